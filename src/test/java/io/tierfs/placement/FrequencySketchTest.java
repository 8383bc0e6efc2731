package io.tierfs.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FrequencySketchTest {

    @Test
    void memoryIsTheConfiguredCounterCountRoundedUpToAPowerOfTwo() {
        assertEquals(1024, new FrequencySketch(1000, 100, null, 0).counters());
        assertEquals(1024, new FrequencySketch(1024, 100, null, 0).counters());
        assertEquals(128, new FrequencySketch(1, 100, null, 0).counters());
        assertThrows(IllegalArgumentException.class, () -> new FrequencySketch(0, 100, null, 0));
    }

    @Test
    void countsUpToFifteen() {
        FrequencySketch sketch = new FrequencySketch(1 << 16, 1_000_000, null, 0);
        for (int i = 1; i <= 20; i++) {
            sketch.increment(42);
            assertEquals(Math.min(i, 15), sketch.frequency(42));
        }
        assertEquals(0, sketch.frequency(43));
    }

    @Test
    void frequentKeysEstimateAboveRareOnesAmongManyKeys() {
        // About ten counters per key: each of a key's four then rarely shares with another key.
        FrequencySketch sketch = new FrequencySketch(64 * 1024, 1_000_000, null, 0);
        for (int round = 0; round < 10; round++) {
            for (long k = 0; k < 100; k++) {
                sketch.increment(k);
            }
            for (long k = 1000 + round * 500; k < 1500 + round * 500; k++) {
                sketch.increment(k);
            }
        }
        int errors = 0;
        for (long k = 1000; k < 6000; k++) {
            errors += sketch.frequency(k) > 1 ? 1 : 0;
        }
        for (long k = 0; k < 100; k++) {
            assertTrue(sketch.frequency(k) >= 10, "a Count-Min sketch never underestimates");
        }
        assertTrue(errors < 250, errors + " of 5000 single accesses overestimated");
    }

    @Test
    void halvesEveryCounterAfterSampleSizeIncrements() {
        FrequencySketch sketch = new FrequencySketch(1 << 12, 200, null, 0);
        for (int i = 0; i < 12; i++) {
            sketch.increment(7);
        }
        for (long k = 100; k < 287; k++) {
            sketch.increment(k);
        }
        assertEquals(12, sketch.frequency(7));
        sketch.increment(99); // the 200th increment
        assertEquals(6, sketch.frequency(7));
    }

    @Test
    void agesByTimeWhenNoHalvingCameByCount() {
        AtomicLong now = new AtomicLong(1_000);
        long halfLife = 60_000_000_000L;
        FrequencySketch sketch = new FrequencySketch(1 << 12, 1_000_000, now::get, halfLife);
        for (int i = 0; i < 12; i++) {
            sketch.increment(7);
        }
        now.addAndGet(halfLife - 1);
        touch(sketch);
        assertEquals(12, sketch.frequency(7), "not a half-life yet");
        now.addAndGet(1);
        touch(sketch);
        assertEquals(6, sketch.frequency(7));
        now.addAndGet(2 * halfLife);
        touch(sketch);
        assertEquals(1, sketch.frequency(7), "two half-lives gone by: halved twice");
    }

    @Test
    void aHalvingByCountRestartsTheHalfLife() {
        AtomicLong now = new AtomicLong();
        long halfLife = 1_000;
        FrequencySketch sketch = new FrequencySketch(1 << 12, 1_000_000, now::get, halfLife);
        for (int i = 0; i < 8; i++) {
            sketch.increment(7);
        }
        now.addAndGet(600);
        sketch.halve();
        now.addAndGet(600);
        touch(sketch);
        assertEquals(4, sketch.frequency(7), "600 since the last halving: not a half-life");
    }

    /** The clock is read once every CLOCK_CHECK_INTERVAL increments: make it read it. */
    private static void touch(FrequencySketch sketch) {
        for (int i = 0; i < FrequencySketch.CLOCK_CHECK_INTERVAL; i++) {
            sketch.increment(1_000_000 + i);
        }
    }
}
