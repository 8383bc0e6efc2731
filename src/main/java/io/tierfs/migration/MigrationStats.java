package io.tierfs.migration;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/** What the migrator did since the mount, for `tierfs status` and the metrics. */
public final class MigrationStats {
    /** Tier names by the migrator's tier number: the directory tiers, then hot. */
    private final String[] names;
    /** Bytes copied, by [from][to]. */
    private final LongAdder[][] bytes;
    final LongAdder promotions = new LongAdder();
    final LongAdder demotions = new LongAdder();
    final LongAdder spoiledByWrites = new LongAdder();
    final LongAdder failures = new LongAdder();
    final AtomicLong backlog = new AtomicLong();
    /** The mover's count of blocks copied from what a read fetched ({@code BlockMover#fetchedCopies}). */
    volatile LongSupplier copiedFromReads = () -> 0;

    MigrationStats(String[] names) {
        this.names = names.clone();
        this.bytes = new LongAdder[names.length][names.length];
        for (LongAdder[] row : bytes) {
            for (int i = 0; i < row.length; i++) {
                row[i] = new LongAdder();
            }
        }
    }

    void moved(int from, int to, long n) {
        bytes[from][to].add(n);
    }

    /** Moves into a faster tier (a hot copy, or up from hdd to ssd). */
    public long promotions() {
        return promotions.sum();
    }

    /** Moves out of a faster tier (a hot copy dropped, or down from ssd to hdd). */
    public long demotions() {
        return demotions.sum();
    }

    /** Moves given up because a write to the block came meanwhile (the write wins; tried again later). */
    public long spoiledByWrites() {
        return spoiledByWrites.sum();
    }

    /** Blocks moved up with the bytes a read of them had just fetched: moves that cost the slow disk no read. */
    public long copiedFromReads() {
        return copiedFromReads.getAsLong();
    }

    public long failures() {
        return failures.sum();
    }

    /** Blocks waiting to be moved. */
    public long backlog() {
        return backlog.get();
    }

    public long bytesMigrated() {
        long sum = 0;
        for (LongAdder[] row : bytes) {
            for (LongAdder b : row) {
                sum += b.sum();
            }
        }
        return sum;
    }

    /** Bytes copied, as "ssd->hdd" to bytes, for the pairs that moved any. */
    public Map<String, Long> bytesByRoute() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int f = 0; f < names.length; f++) {
            for (int t = 0; t < names.length; t++) {
                long n = bytes[f][t].sum();
                if (n > 0) {
                    m.put(names[f] + "->" + names[t], n);
                }
            }
        }
        return m;
    }
}
