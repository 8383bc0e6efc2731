package io.tierfs.daemon;

import io.tierfs.block.BlockStore;
import io.tierfs.tier.Tier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;

/** Capacity and use of the tiers, for statfs and the status command. */
final class TierStats {
    private final BlockStore blocks;

    TierStats(BlockStore blocks) {
        this.blocks = blocks;
    }

    /**
     * {total, free} bytes over all tiers; tiers that share a filesystem share its space, so that
     * filesystem is counted once (capped by the tiers' limits).
     */
    long[] capacity() {
        try {
            Map<FileStore, long[]> byFs = new HashMap<>();
            for (int t = 0; t < blocks.tierCount(); t++) {
                Tier tier = blocks.tier(t);
                FileStore fs = Files.getFileStore(tier.location());
                long[] sum = byFs.computeIfAbsent(fs, k -> new long[2]);
                sum[0] += tier.capacityBytes();
                sum[1] += tier.freeBytes(blocks.usedBytes(t));
            }
            long total = 0;
            long free = 0;
            for (Map.Entry<FileStore, long[]> e : byFs.entrySet()) {
                total += Math.min(e.getValue()[0], e.getKey().getTotalSpace());
                free += Math.min(e.getValue()[1], e.getKey().getUsableSpace());
            }
            return new long[] {total, free};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Per tier: name, path, capacity, used, free. */
    Object[][] perTier() throws IOException {
        Object[][] rows = new Object[blocks.tierCount()][];
        for (int t = 0; t < rows.length; t++) {
            Tier tier = blocks.tier(t);
            long used = blocks.usedBytes(t);
            rows[t] = new Object[] {tier.name(), tier.location().toString(), tier.capacityBytes(), used,
                tier.freeBytes(used)};
        }
        return rows;
    }
}
