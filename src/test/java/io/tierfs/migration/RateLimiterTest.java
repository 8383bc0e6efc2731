package io.tierfs.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    private final AtomicLong clock = new AtomicLong();

    @Test
    void itLetsThroughTheRateAndNoMore() {
        RateLimiter r = new RateLimiter(1000, clock::get); // 1000 bytes a second, bursts of 100
        assertFalse(r.tryAcquire(50), "empty at first");
        clock.addAndGet(50_000_000L); // 50 ms: 50 bytes
        assertTrue(r.tryAcquire(50));
        assertFalse(r.tryAcquire(1));
        assertEquals(10_000_000L, r.nanosUntil(10));
        clock.addAndGet(10_000_000_000L); // ten seconds idle still fill only one burst
        assertTrue(r.tryAcquire(100));
        assertFalse(r.tryAcquire(1));
    }

    @Test
    void aHugeRateAfterALongPauseDoesNotOverflow() {
        RateLimiter r = new RateLimiter(1L << 40, clock::get);
        clock.addAndGet(3_600_000_000_000L);
        assertTrue(r.tryAcquire(1L << 20));
        assertEquals(0, r.nanosUntil(1L << 20));
    }

    @Test
    void aBlockLargerThanTheBurstPassesOnceTheBucketIsFull() {
        RateLimiter r = new RateLimiter(1000, clock::get);
        clock.addAndGet(100_000_000L);
        assertTrue(r.tryAcquire(500), "a move is never refused for being larger than a burst");
        assertFalse(r.tryAcquire(1), "it is paid back before the next");
    }
}
