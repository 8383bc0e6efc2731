package io.tierfs.daemon;

import io.tierfs.block.BlockStore;
import io.tierfs.metrics.VolumeGauges;
import io.tierfs.tier.HotTier;
import io.tierfs.tier.Tier;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Capacity and use of the tiers, for statfs and the status command. */
final class TierStats {
    private final BlockStore blocks;

    TierStats(BlockStore blocks) {
        this.blocks = blocks;
    }

    /**
     * {total, free} bytes over all tiers; tiers that share a filesystem share its space, so that
     * filesystem is counted once (capped by the tiers' limits). A tier that is unavailable counts
     * nothing; a filesystem that reports no size counts its tiers' configured capacities. The
     * metadata store's bytes (small files live there) are used space too: taken from the free
     * space of the tiers on its filesystem before that filesystem's own free space caps it (which
     * counts them already), or from the whole when no tier shares it.
     */
    long[] capacity() {
        Map<FileStore, long[]> byFs = new HashMap<>();
        long total = 0;
        long free = 0;
        long metaBytes = blocks.meta().diskBytes();
        FileStore metaFs = null;
        try {
            metaFs = Files.getFileStore(blocks.meta().location());
        } catch (IOException e) {
            // counted below, from the whole
        }
        for (int t = 0; t < blocks.tierCount(); t++) {
            Tier tier = blocks.tier(t);
            if (tier.unavailableReason() != null) {
                continue;
            }
            try {
                long capacity = tier.capacityBytes();
                long tierFree = tier.freeBytes(blocks.usedBytes(t));
                FileStore fs = Files.getFileStore(tier.location());
                if (!tier.features().reportsSize()) {
                    total += capacity;
                    free += tierFree;
                    continue;
                }
                long[] sum = byFs.computeIfAbsent(fs, k -> new long[2]);
                sum[0] += capacity;
                sum[1] += tierFree;
            } catch (IOException e) {
                tier.checkHealth(); // counted as nothing until it is back
            }
        }
        long[] sharing = metaFs == null ? null : byFs.get(metaFs);
        if (sharing != null) {
            sharing[1] = Math.max(0, sharing[1] - metaBytes);
        } else {
            free -= metaBytes;
        }
        for (Map.Entry<FileStore, long[]> e : byFs.entrySet()) {
            try {
                total += Math.min(e.getValue()[0], e.getKey().getTotalSpace());
                free += Math.min(e.getValue()[1], e.getKey().getUsableSpace());
            } catch (IOException ex) {
                // the filesystem went away between the two calls: its tiers report it next time
            }
        }
        return new long[] {total, Math.max(0, free)};
    }

    /** The volume's blocks, sealed and not, and what they take per codec and per content class. */
    Map<String, Object> space() {
        return blocks.spaceSummary();
    }

    /** The figures Prometheus scrapes, from the same rows as {@link #perTier}. */
    List<VolumeGauges.Tier> figures() {
        List<VolumeGauges.Tier> out = new ArrayList<>();
        for (Map<String, Object> row : perTier()) {
            out.add(new VolumeGauges.Tier((String) row.get("name"), (Long) row.get("capacityBytes"),
                (Long) row.get("usedBytes"), (Long) row.get("logicalBytes"), (Long) row.get("reads")));
        }
        return out;
    }

    /** Per tier, fastest first (the hot tier, if any, then ssd and hdd), for the state file and `tierfs status`. */
    List<Map<String, Object>> perTier() {
        long allReads = 0;
        for (int t = 0; t <= blocks.tierCount(); t++) {
            allReads += blocks.reads(t);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        HotTier hot = blocks.hot();
        if (hot != null) {
            rows.add(row(hot, hot.blockCount() * blocks.blockSize(), hot.blockCount(), blocks.reads(blocks.tierCount()),
                allReads));
        }
        for (int t = 0; t < blocks.tierCount(); t++) {
            rows.add(row(blocks.tier(t), blocks.usedBytes(t), blocks.blocksOn(t), blocks.reads(t), allReads));
        }
        return rows;
    }

    /**
     * One tier: {@code used} bytes (what its copies take: compressed ones their stored bytes) in
     * {@code count} blocks' slots, which hold {@code count} blocks' worth of logical bytes.
     */
    private Map<String, Object> row(Tier tier, long used, long count, long reads, long allReads) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", tier.name());
        row.put("path", tier.location().toString());
        String problem = tier.unavailableReason();
        try {
            row.put("capacityBytes", tier.capacityBytes());
            row.put("freeBytes", tier.freeBytes(used));
        } catch (IOException e) {
            row.put("capacityBytes", 0L);
            row.put("freeBytes", 0L);
            problem = problem != null ? problem : "its filesystem cannot be read: " + e.getMessage();
        }
        row.put("usedBytes", used);
        row.put("blocks", count);
        row.put("logicalBytes", count * blocks.blockSize());
        // block reads it served since the mount, and their share of all block reads
        row.put("reads", reads);
        row.put("hitRatio", allReads == 0 ? 0.0 : (double) reads / allReads);
        row.put("state", problem == null ? "available" : "unavailable");
        if (problem != null) {
            row.put("problem", problem);
        }
        row.put("features", tier.features().toJson());
        return row;
    }
}
