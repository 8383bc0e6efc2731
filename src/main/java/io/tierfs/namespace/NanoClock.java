package io.tierfs.namespace;

/**
 * Wall-clock time in nanoseconds without allocating (Instant.now() allocates, and writes stamp
 * mtime on every call): the monotonic clock, anchored to the wall clock once a second.
 */
public final class NanoClock {
    private static final long REANCHOR_NANOS = 1_000_000_000L;
    private static volatile long anchorWall = System.currentTimeMillis() * 1_000_000L;
    private static volatile long anchorMono = System.nanoTime();

    private NanoClock() {
    }

    public static long now() {
        long mono = System.nanoTime();
        long elapsed = mono - anchorMono;
        if (elapsed > REANCHOR_NANOS) {
            java.time.Instant t = java.time.Instant.now();
            anchorWall = t.getEpochSecond() * 1_000_000_000L + t.getNano();
            anchorMono = mono;
            return anchorWall;
        }
        return anchorWall + elapsed;
    }
}
