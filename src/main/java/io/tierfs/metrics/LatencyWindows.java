package io.tierfs.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Per-operation latency, operation and byte counts over sliding windows: once a second
 * {@link #tick} takes each operation's histogram of that second (the workers' HdrHistogram
 * recorders, merged), and the last {@link #SLOTS} are kept in a ring. A window's figures merge
 * its slots; nothing is estimated by hand.
 */
final class LatencyWindows {
    static final int SLOTS = 60;
    /** One nanosecond to a minute at two significant digits: a few KiB an operation. */
    private static final long HIGHEST_NANOS = 60_000_000_000L;
    private static final int DIGITS = 2;

    private final Histogram[][] ring = new Histogram[FuseOps.LIMIT][];
    private final long[][] bytes = new long[FuseOps.LIMIT][];
    /** When each slot ended: a tick comes about once a second, and rates divide by the real time. */
    private final long[] endedNanos = new long[SLOTS];
    /** The running count of fault answers (see {@link Kpis#FAULTS}) at the end of each slot. */
    private final long[] faultsAt = new long[SLOTS];
    private final LongSupplier clock;
    private int slot;
    private int filled;

    /** @param clock nanoseconds, as {@link System#nanoTime} (tests give their own) */
    LatencyWindows(LongSupplier clock) {
        this.clock = clock;
    }

    static SingleWriterRecorder newRecorder() {
        return new SingleWriterRecorder(HIGHEST_NANOS, DIGITS);
    }

    static Histogram newHistogram() {
        return new Histogram(HIGHEST_NANOS, DIGITS);
    }

    /**
     * Ends the current second with each operation's histogram of it (null: none seen yet) and
     * its running byte total; called once a second by one thread.
     */
    synchronized void tick(Histogram[] intervals, long[] byteTotals, long faultTotal) {
        slot = (slot + 1) % SLOTS;
        filled = Math.min(filled + 1, SLOTS);
        endedNanos[slot] = clock.getAsLong();
        faultsAt[slot] = faultTotal;
        for (int op = 0; op < FuseOps.LIMIT; op++) {
            if (intervals[op] == null) {
                continue;
            }
            if (ring[op] == null) {
                ring[op] = new Histogram[SLOTS];
                bytes[op] = new long[SLOTS]; // the running byte total at the end of each slot
            }
            ring[op][slot] = intervals[op];
            bytes[op][slot] = byteTotals[op];
        }
    }

    /** Fault answers a second over the last {@code seconds} (at most those seen so far). */
    synchronized double faultsPerSecond(int seconds) {
        int n = Math.min(Math.min(seconds, SLOTS - 1), filled - 1);
        if (n <= 0) {
            return 0;
        }
        int first = Math.floorMod(slot - n, SLOTS);
        return (faultsAt[slot] - faultsAt[first]) / ((endedNanos[slot] - endedNanos[first]) / 1e9);
    }

    /**
     * The last {@code seconds} (at most those seen so far) per operation: ops and bytes a second,
     * and latency in milliseconds (avg, p50, p95, p99, max).
     */
    synchronized Map<String, Map<String, Object>> window(int seconds) {
        // n slots need the end of the one before them: the first tick only starts the clock
        int n = Math.min(Math.min(seconds, SLOTS - 1), filled - 1);
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        if (n <= 0) {
            return out;
        }
        double elapsed = (endedNanos[slot] - endedNanos[Math.floorMod(slot - n, SLOTS)]) / 1e9;
        for (int op = 0; op < FuseOps.LIMIT; op++) {
            if (ring[op] == null) {
                continue;
            }
            Histogram merged = null;
            for (int i = 0; i < n; i++) {
                Histogram h = ring[op][Math.floorMod(slot - i, SLOTS)];
                if (h != null) {
                    if (merged == null) {
                        merged = newHistogram();
                    }
                    merged.add(h);
                }
            }
            if (merged == null || merged.getTotalCount() == 0) {
                continue;
            }
            long byteDelta = bytes[op][slot] - bytes[op][Math.floorMod(slot - n, SLOTS)];
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("opsPerSecond", merged.getTotalCount() / elapsed);
            m.put("bytesPerSecond", Math.max(0, byteDelta) / elapsed);
            m.put("avgMs", merged.getMean() / 1e6);
            m.put("p50Ms", merged.getValueAtPercentile(50) / 1e6);
            m.put("p95Ms", merged.getValueAtPercentile(95) / 1e6);
            m.put("p99Ms", merged.getValueAtPercentile(99) / 1e6);
            m.put("maxMs", merged.getMaxValue() / 1e6);
            out.merge(FuseOps.name(op), m, (a, b) -> a); // "other" once
        }
        return out;
    }
}
