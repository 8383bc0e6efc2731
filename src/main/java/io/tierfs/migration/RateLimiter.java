package io.tierfs.migration;

import java.util.function.LongSupplier;

/**
 * Bounds the bytes the migrator moves (and the sealer reads) a second, so that they never crowd out the foreground
 * I/O: a token bucket refilled at the rate, holding at most a tenth of a second's worth.
 */
public final class RateLimiter {
    private static final long BURST_NANOS = 100_000_000L;

    private final long bytesPerSecond;
    private final LongSupplier nanoClock;
    private double tokens;
    private long refilledAt;

    public RateLimiter(long bytesPerSecond, LongSupplier nanoClock) {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("the rate must be positive");
        }
        this.bytesPerSecond = bytesPerSecond;
        this.nanoClock = nanoClock;
        this.refilledAt = nanoClock.getAsLong();
    }

    /** Takes {@code bytes} if the bucket holds them; else takes nothing. */
    public boolean tryAcquire(long bytes) {
        refill();
        if (tokens < Math.min(bytes, maxTokens())) {
            return false;
        }
        tokens -= bytes;
        return true;
    }

    /** Nanoseconds until {@code bytes} (at most a full bucket) are available. */
    public long nanosUntil(long bytes) {
        refill();
        double missing = Math.min(bytes, maxTokens()) - tokens;
        return missing <= 0 ? 0 : (long) (missing * 1e9 / bytesPerSecond);
    }

    private double maxTokens() {
        return bytesPerSecond * (BURST_NANOS / 1e9);
    }

    private void refill() {
        long now = nanoClock.getAsLong();
        tokens = Math.min(maxTokens(), tokens + (now - refilledAt) / 1e9 * bytesPerSecond);
        refilledAt = now;
    }
}
