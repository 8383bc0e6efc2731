package io.tierfs.namespace;

import io.tierfs.block.BlockRef;
import io.tierfs.block.BlockStore;
import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.tier.Tier;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Runs at every mount, before the filesystem serves: deletes orphans (files unlinked while open),
 * drops block references to a missing inode, corrects block counts and counts each tier's use.
 * Blocks past a file's end are space reserved by fallocate(KEEP_SIZE) and stay. After an unclean
 * shutdown such a block may instead hold an extending write whose new size never became durable:
 * it is zeroed, so that growing the file later reads zeros, not that unacknowledged data. An
 * unclean shutdown also sweeps the tiers for data no reference points at (blocks written, or files
 * deleted, just before the crash) and frees it.
 */
public final class Recovery {
    private static final Logger LOG = Logger.getLogger(Recovery.class.getName());

    private final MetadataStore meta;
    private final BlockStore blocks;
    private int orphans;
    private int droppedRefs;
    private int zeroedPastEnd;
    private int fixedCounts;
    private int sweptFiles;
    private int sweptBlocks;

    public Recovery(MetadataStore meta, BlockStore blocks) {
        this.meta = meta;
        this.blocks = blocks;
    }

    public void run(boolean unclean) throws IOException {
        deleteOrphans();
        checkBlockMap(unclean);
        if (unclean) {
            sweepTiers();
        }
        meta.sync();
        LOG.info(String.format("recovery (%s shutdown): %d orphans deleted, %d block references dropped, "
                + "%d blocks past a file's end zeroed, %d block counts fixed, %d leaked tier files and %d leaked "
                + "blocks freed", unclean ? "unclean" : "clean", orphans, droppedRefs, zeroedPastEnd, fixedCounts,
            sweptFiles, sweptBlocks));
    }

    private void deleteOrphans() throws IOException {
        Set<Long> found = new HashSet<>();
        meta.scan(Keys.all(Keys.ORPHAN), Keys.allEnd(Keys.ORPHAN), (k, v) -> found.add(Keys.inoOf(k)));
        for (long ino : found) {
            Inodes.deleteRecords(meta, ino, tier -> { }); // usage is counted afterwards, from what remains
            meta.sync();
            blocks.deleteFile(ino);
            orphans++;
        }
    }

    /** One pass over the block map, inode by inode. */
    private void checkBlockMap(boolean unclean) throws IOException {
        int bs = blocks.blockSize();
        long[] current = {-1, 0, 0};  // ino, size, counted blocks
        Inode[] inode = {null};
        List<long[]> dropped = new ArrayList<>();  // ino, index, tier
        List<long[]> toZero = new ArrayList<>();  // ino, index, tier
        try (MetadataStore.Batch fixes = meta.newBatch()) {
            meta.scan(Keys.all(Keys.BLOCK), Keys.allEnd(Keys.BLOCK), (k, v) -> {
                long ino = Keys.inoOf(k);
                if (ino != current[0]) {
                    finishInode(fixes, inode[0], current[2]);
                    byte[] record = meta.get(Keys.inode(ino));
                    inode[0] = record == null ? null : InodeCodec.decode(ino, record);
                    current[0] = ino;
                    current[1] = inode[0] == null ? -1 : inode[0].size;
                    current[2] = 0;
                }
                long index = Keys.blockIndexOf(k);
                int tier = BlockRef.decode(v).tier();
                if (inode[0] == null) {
                    fixes.delete(k);
                    droppedRefs++;
                    dropped.add(new long[] {ino, index, tier});
                } else {
                    if (unclean && index * bs >= current[1]) {
                        toZero.add(new long[] {ino, index, tier});
                    }
                    blocks.addUsage(tier, bs);
                    current[2]++;
                }
                return true;
            });
            finishInode(fixes, inode[0], current[2]);
            if (fixes.size() > 0) {
                meta.commit(fixes, true);
            }
        }
        for (long[] d : dropped) {
            try (TierFile file = blocks.tier((int) d[2]).open(d[0])) {
                file.discard(d[1], d[1] + 1);
                file.sync();
            }
        }
        for (long[] z : toZero) {
            try (TierFile file = blocks.tier((int) z[2]).open(z[0])) {
                file.discard(z[1], z[1] + 1);
                file.reserve(z[1]);
                file.sync();
            }
            zeroedPastEnd++;
        }
        // Inodes without any block reference must count zero blocks too.
        try (MetadataStore.Batch fixes = meta.newBatch()) {
            meta.scan(Keys.all(Keys.INODE), Keys.allEnd(Keys.INODE), (k, v) -> {
                Inode i = InodeCodec.decode(Keys.inoOf(k), v);
                if (i.blockCount != 0 && !hasBlocks(i.ino)) {
                    finishInode(fixes, i, 0);
                }
                return true;
            });
            if (fixes.size() > 0) {
                meta.commit(fixes, true);
            }
        }
    }

    private boolean hasBlocks(long ino) {
        return meta.any(Keys.first(Keys.BLOCK, ino), Keys.after(Keys.BLOCK, ino));
    }

    private void finishInode(MetadataStore.Batch fixes, Inode i, long counted) {
        if (i != null && i.blockCount != counted) {
            i.blockCount = counted;
            fixes.put(Keys.inode(i.ino), InodeCodec.encode(i));
            fixedCounts++;
        }
    }

    /** Frees tier data that no block reference points at. */
    private void sweepTiers() throws IOException {
        for (int t = 0; t < blocks.tierCount(); t++) {
            Tier tier = blocks.tier(t);
            for (long ino : tier.storedInodes()) {
                if (meta.get(Keys.inode(ino)) == null) {
                    tier.delete(ino);
                    sweptFiles++;
                    continue;
                }
                Map<Long, Integer> refs = new HashMap<>();
                meta.scan(Keys.first(Keys.BLOCK, ino), Keys.after(Keys.BLOCK, ino), (k, v) -> {
                    refs.put(Keys.blockIndexOf(k), BlockRef.decode(v).tier());
                    return true;
                });
                try (TierFile file = tier.open(ino)) {
                    for (long index : file.storedBlocks()) {
                        Integer owner = refs.get(index);
                        if (owner == null || owner != t) {
                            file.discard(index, index + 1);
                            sweptBlocks++;
                        }
                    }
                    file.sync();
                }
            }
        }
    }
}
