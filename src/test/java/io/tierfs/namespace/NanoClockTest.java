package io.tierfs.namespace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class NanoClockTest {
    @Test
    void aWallClockReadThatWasPreemptedIsReadAgainAndPairedWithItsMidpoint() {
        // the first read is preempted for 5 ms between the monotonic clock and the wall clock
        Iterator<Long> mono = List.of(0L, 5_000_000L, 10_000_000L, 10_001_000L).iterator();
        Iterator<Instant> wall = List.of(Instant.ofEpochSecond(100, 5_000_000), Instant.ofEpochSecond(100, 10_000_500)).iterator();
        NanoClock.Anchor a = NanoClock.Anchor.read(mono::next, wall::next);
        assertEquals(10_000_500L, a.mono(), "the second read's midpoint");
        assertEquals(100_010_000_500L, a.wall());
    }

    @Test
    void aMachineThatPreemptsEveryReadStillGetsAnAnchor() {
        long[] t = {0};
        NanoClock.Anchor a = NanoClock.Anchor.read(() -> t[0] += 1_000_000, () -> Instant.ofEpochSecond(7));
        assertEquals(7_000_000_000L, a.wall());
        assertEquals(NanoClock.Anchor.ATTEMPTS * 2L * 1_000_000 - 500_000, a.mono(), "the last attempt's midpoint");
    }

    @Test
    void nowFollowsTheWallClock() {
        long before = Instant.now().toEpochMilli() * 1_000_000;
        long now = NanoClock.now();
        long after = (Instant.now().toEpochMilli() + 1) * 1_000_000;
        assertTrue(now >= before - 1_000_000 && now <= after, now + " not within [" + before + ", " + after + "]");
    }
}
