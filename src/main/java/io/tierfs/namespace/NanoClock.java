package io.tierfs.namespace;

import java.time.Instant;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Wall-clock time in nanoseconds without allocating (Instant.now() allocates, and writes stamp
 * mtime on every call): the monotonic clock, anchored to the wall clock once a second.
 */
public final class NanoClock {
    private static final long REANCHOR_NANOS = 1_000_000_000L;

    /**
     * The wall clock and the monotonic clock read together, published as one object: kept in two
     * fields, a reader could pair a new wall time with an old monotonic one and stamp a time up to
     * a second ahead (a utimensat(UTIME_NOW) came out later than the clock read after it).
     */
    record Anchor(long wall, long mono) {
        /** Longest a wall-clock read may take between its two monotonic reads to be trusted. */
        static final long MAX_READ_NANOS = 50_000;
        static final int ATTEMPTS = 5;

        static Anchor now() {
            return read(System::nanoTime, Instant::now);
        }

        /**
         * The wall clock read between two monotonic reads, paired with their midpoint; read again
         * when the two lie far apart. A thread preempted between the reads (a loaded 2-core
         * machine) paired a wall time with a monotonic one taken milliseconds earlier, and every
         * stamp for the next second came out that far ahead of the clock: the POSIX suite's
         * utimensat(UTIME_NOW) saw an atime later than the clock read after it.
         */
        static Anchor read(LongSupplier mono, Supplier<Instant> wall) {
            for (int attempt = 1; ; attempt++) {
                long before = mono.getAsLong();
                Instant t = wall.get();
                long after = mono.getAsLong();
                if (after - before <= MAX_READ_NANOS || attempt == ATTEMPTS) {
                    return new Anchor(t.getEpochSecond() * 1_000_000_000L + t.getNano(), before + (after - before) / 2);
                }
            }
        }
    }

    private static volatile Anchor anchor = Anchor.now();

    private NanoClock() {
    }

    public static long now() {
        Anchor a = anchor;
        long mono = System.nanoTime();
        if (mono - a.mono() > REANCHOR_NANOS) {
            a = Anchor.now(); // once a second: the only allocation
            anchor = a;
            mono = System.nanoTime();
        }
        return a.wall() + (mono - a.mono());
    }
}
