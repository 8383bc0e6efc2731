package io.tierfs.namespace;

import java.time.Instant;

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
    private record Anchor(long wall, long mono) {
        static Anchor now() {
            long mono = System.nanoTime();
            Instant t = Instant.now();
            return new Anchor(t.getEpochSecond() * 1_000_000_000L + t.getNano(), mono);
        }
    }

    private static volatile Anchor anchor = Anchor.now();

    private NanoClock() {
    }

    public static long now() {
        Anchor a = anchor;
        long elapsed = System.nanoTime() - a.mono();
        if (elapsed > REANCHOR_NANOS) {
            a = Anchor.now(); // once a second: the only allocation
            anchor = a;
            return a.wall();
        }
        return a.wall() + elapsed;
    }
}
