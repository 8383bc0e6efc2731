package io.tierfs.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencyWindowsTest {
    private static final int READ = 15;
    private long now;
    private final LatencyWindows windows = new LatencyWindows(() -> now);
    private final Histogram[] seconds = new Histogram[FuseOps.LIMIT];
    private final long[] bytes = new long[FuseOps.LIMIT];
    private Histogram current = LatencyWindows.newHistogram();

    private void second(long millis, int ops, long nanosEach, long bytesEach) {
        for (int i = 0; i < ops; i++) {
            current.recordValue(nanosEach);
            bytes[READ] += bytesEach;
        }
        now += millis * 1_000_000;
        seconds[READ] = current;
        windows.tick(seconds, bytes, 0);
        current = LatencyWindows.newHistogram();
    }

    private void start() {
        windows.tick(seconds, bytes, 0); // starts the clock
    }

    @Test
    void ratesDivideByTheTimeTheWindowReallyTook() {
        start();
        for (int s = 0; s < 10; s++) {
            second(1250, 1000, 50_000, 4096); // ticks a quarter late: 1000 ops in 1.25 s each
        }
        Map<String, Object> read = windows.window(10).get("read");
        assertEquals(800.0, (double) read.get("opsPerSecond"), 1e-9);
        assertEquals(800.0 * 4096, (double) read.get("bytesPerSecond"), 1e-6);
    }

    @Test
    void percentilesComeFromTheWindowOnly() {
        start();
        for (int s = 0; s < 30; s++) {
            second(1000, 100, 10_000_000, 0); // a slow half minute: 10 ms each
        }
        for (int s = 0; s < 10; s++) {
            // then 95 of each 100 take 0.1 ms and 5 take 2 ms
            for (int i = 0; i < 5; i++) {
                current.recordValue(2_000_000);
            }
            second(1000, 95, 100_000, 0);
        }
        Map<String, Object> last10 = windows.window(10).get("read");
        assertEquals(0.1, (double) last10.get("p50Ms"), 0.001);
        assertEquals(0.1, (double) last10.get("p95Ms"), 0.001);
        assertEquals(2.0, (double) last10.get("p99Ms"), 0.02);
        assertEquals(2.0, (double) last10.get("maxMs"), 0.02);
        assertEquals(0.195, (double) last10.get("avgMs"), 0.002);
        Map<String, Object> last60 = windows.window(60).get("read");
        assertEquals(10.0, (double) last60.get("maxMs"), 0.1, "the minute still holds the slow half");
        assertTrue((double) last60.get("p50Ms") >= 9.9);
    }

    @Test
    void aQuietOperationDropsOutOfTheWindow() {
        start();
        second(1000, 10, 1000, 0);
        for (int s = 0; s < 10; s++) {
            second(1000, 0, 0, 0);
        }
        assertTrue(windows.window(10).isEmpty());
        assertEquals(10 / 11.0, (double) windows.window(60).get("read").get("opsPerSecond"), 1e-9);
    }
}
