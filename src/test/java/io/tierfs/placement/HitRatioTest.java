package io.tierfs.placement;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Level 0's hit ratio against LRU and Caffeine's adaptive W-TinyLFU of the same size, on workloads
 * that each favour one of them: it must come within a point of the better one on every one.
 */
class HitRatioTest {
    private static final double TOLERANCE = 0.01;

    static Stream<Arguments> workloads() {
        return Stream.of(500, 2000).flatMap(c -> Stream.of(
            Arguments.of("zipf 0.9", c, Traces.zipf(c * 150, c * 50, 0.9, 0, 1)),
            Arguments.of("zipf 0.7", c, Traces.zipf(c * 150, c * 50, 0.7, 0, 2)),
            Arguments.of("loop 1.1x the cache", c, Traces.loop(c * 11 / 10, 40, 0)),
            Arguments.of("shifting working set", c, Traces.shiftingWorkingSet(c * 150, c * 8 / 10, c * 20, 3)),
            Arguments.of("recency", c, Traces.recency(c * 150, c / 2, 4)),
            Arguments.of("scan inside zipf", c, Traces.concat(Traces.zipf(c * 60, c * 50, 0.9, 0, 1),
                Traces.scan(c * 20, 1L << 40), Traces.zipf(c * 60, c * 50, 0.9, 0, 2))),
            Arguments.of("zipf mixed with recency", c, Traces.interleave(5, Traces.zipf(c * 75, c * 50, 0.8, 0, 1),
                Traces.recency(c * 75, c / 4, 6))),
            Arguments.of("loop mixed with zipf", c, Traces.interleave(5, Traces.loop(c * 3 / 2, 50, 1L << 40),
                Traces.zipf(c * 75, c * 50, 0.8, 0, 1)))));
    }

    @ParameterizedTest(name = "{0} at {1} blocks")
    @MethodSource("workloads")
    void levelZeroIsWithinAPointOfTheBetterOfLruAndCaffeine(String name, int capacity, long[] trace) {
        double ours = HitRatios.tierPolicy(trace, capacity);
        double lru = HitRatios.lru(trace, capacity);
        double caffeine = HitRatios.caffeine(trace, capacity);
        double opt = HitRatios.opt(trace, capacity);
        System.out.printf("%-24s %5d  tierfs %.4f  lru %.4f  caffeine %.4f  opt %.4f%n", name, capacity, ours, lru, caffeine, opt);
        assertTrue(ours >= Math.max(lru, caffeine) - TOLERANCE,
            String.format("%s: %.4f, lru %.4f, caffeine %.4f", name, ours, lru, caffeine));
        assertTrue(ours <= opt, "nothing beats the optimum");
    }
}
