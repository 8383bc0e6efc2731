package io.tierfs.namespace;

import io.tierfs.block.BlockRef;
import io.tierfs.block.BlockStore;
import io.tierfs.block.FileBlocks;
import io.tierfs.block.RewriteJournal;
import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.nativeio.Memory;
import io.tierfs.tier.Tier;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Runs at every mount, before the filesystem serves: deletes orphans (files without a name whose
 * data was not freed yet: unlinked while open, or still queued, or failing, to be freed when the
 * daemon stopped),
 * drops block references to a missing inode, corrects block counts and counts each tier's use.
 * Blocks past a file's end are space reserved by fallocate(KEEP_SIZE) and stay. After an unclean
 * shutdown such a block may instead hold an extending write whose new size never became durable:
 * it is zeroed, so that growing the file later reads zeros, not that unacknowledged data; so is
 * the rest of the block that holds the file's end, for the same reason. An
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
    private int zeroedTails;
    private int fixedCounts;
    private int sweptFiles;
    private int sweptBlocks;

    public Recovery(MetadataStore meta, BlockStore blocks) {
        this.meta = meta;
        this.blocks = blocks;
    }

    public void run(boolean unclean) throws IOException {
        replayRewrites();
        deleteOrphans();
        checkBlockMap(unclean);
        if (unclean) {
            sweepTiers();
        }
        meta.sync();
        LOG.info(String.format("recovery (%s shutdown): %d orphans deleted, %d block references dropped, "
                + "%d blocks past a file's end and %d last blocks' tails zeroed, %d block counts fixed, %d leaked "
                + "tier files and %d leaked blocks freed", unclean ? "unclean" : "clean", orphans, droppedRefs,
            zeroedPastEnd, zeroedTails, fixedCounts, sweptFiles, sweptBlocks));
    }

    /**
     * Finishes the in-place rewrites of compressed blocks a crash or an I/O error cut short: each
     * journaled raw block is written into the slot its record names, if the record is still the raw
     * one committed with it, and synced before its journal entry goes; an entry whose block changed
     * since is dropped. A tier that cannot be written refuses the mount: the record names raw bytes
     * that its slot may not hold yet.
     */
    private void replayRewrites() throws IOException {
        List<byte[]> done = new ArrayList<>();
        List<IOException> failed = new ArrayList<>();
        meta.scan(Keys.all(Keys.REWRITE), Keys.allEnd(Keys.REWRITE), (k, v) -> {
            long ino = Keys.inoOf(k);
            long index = Keys.blockIndexOf(k);
            byte[] record = meta.get(Keys.block(ino, index));
            BlockRef ref = record == null ? null : BlockRef.decode(record);
            if (RewriteJournal.applies(v, ref)) {
                byte[] bytes = RewriteJournal.raw(v);
                long raw = Memory.allocate(bytes.length);
                try (TierFile file = blocks.tier(ref.tier()).open(ino)) {
                    Memory.IO.putByteArray(raw, bytes, 0, bytes.length);
                    file.write(index, 0, raw, bytes.length);
                    file.sync();
                } catch (IOException e) {
                    failed.add(e);
                    return false;
                } finally {
                    Memory.free(raw);
                }
            }
            done.add(k);
            return true;
        });
        if (!failed.isEmpty()) {
            throw failed.get(0);
        }
        if (!done.isEmpty()) {
            try (MetadataStore.Batch b = meta.newBatch()) {
                done.forEach(b::delete);
                meta.commit(b, true);
            }
            LOG.info(done.size() + " in-place rewrites of compressed blocks finished");
        }
    }

    private void deleteOrphans() throws IOException {
        Set<Long> found = new HashSet<>();
        meta.scan(Keys.all(Keys.ORPHAN), Keys.allEnd(Keys.ORPHAN), (k, v) -> found.add(Keys.inoOf(k)));
        for (long ino : found) {
            Inodes.deleteRecords(meta, ino, ref -> { }, false, true); // usage is counted afterwards, from what remains
        }
        meta.sync();
        Map<Long, Exception> failures = Reclaimer.freeData(meta, blocks, found);
        failures.forEach((ino, e) ->
            LOG.warning("could not free the data of deleted inode " + ino + ", the next mount tries again: " + e));
        orphans += found.size() - failures.size();
    }

    private void checkBlockMap(boolean unclean) throws IOException {
        try {
            scanBlockMap(unclean);
        } catch (UncheckedIOException e) {
            throw e.getCause(); // from zeroPastEnd, which the scan's visitor calls
        }
        // Inodes without any block reference must count zero blocks too.
        fixBlockCountsOfInodesWithoutBlocks(unclean);
    }

    /** One pass over the block map, inode by inode. */
    private void scanBlockMap(boolean unclean) throws IOException {
        int bs = blocks.blockSize();
        long[] current = {-1, 0, 0};  // ino, size, counted blocks
        Inode[] inode = {null};
        List<long[]> dropped = new ArrayList<>();  // ino, index, tier
        try (MetadataStore.Batch fixes = meta.newBatch()) {
            meta.scan(Keys.all(Keys.BLOCK), Keys.allEnd(Keys.BLOCK), (k, v) -> {
                long ino = Keys.inoOf(k);
                if (ino != current[0]) {
                    finishInode(fixes, inode[0], current[2]);
                    byte[] record = meta.get(Keys.inode(ino));
                    inode[0] = record == null ? null : InodeCodec.decode(ino, record);
                    current[0] = ino;
                    current[1] = inode[0] == null ? -1 : inode[0].size;
                    // a file with inline bytes has them as its data: its block records are what a
                    // spill into block 0 left when a crash cut it short (see InlineData)
                    current[2] = inode[0] != null && meta.get(Keys.inline(ino)) != null ? -1 : 0;
                }
                long index = Keys.blockIndexOf(k);
                BlockRef ref = BlockRef.decode(v);
                int tier = ref.tier();
                if (inode[0] == null || current[2] < 0) {
                    fixes.delete(k);
                    droppedRefs++;
                    dropped.add(new long[] {ino, index, tier});
                    if (ref.replica() >= 0) {
                        dropped.add(new long[] {ino, index, ref.replica()});
                    }
                } else {
                    blocks.account(ref, 1); // first: zeroing a block changes its record, and its count
                    long fromByte = current[1] - index * bs;
                    if (unclean && fromByte < bs) {
                        zeroPastEnd(ino, index, ref, (int) Math.max(fromByte, 0));
                    }
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
    }

    private void fixBlockCountsOfInodesWithoutBlocks(boolean unclean) {
        try (MetadataStore.Batch fixes = meta.newBatch()) {
            meta.scan(Keys.all(Keys.INODE), Keys.allEnd(Keys.INODE), (k, v) -> {
                Inode i = InodeCodec.decode(Keys.inoOf(k), v);
                // after a crash an inode may hold inline bytes its record does not count yet
                if ((i.blockCount != 0 || (unclean && FileMode.isRegular(i.mode))) && !meta.anyOf(Keys.BLOCK, i.ino)) {
                    byte[] inline = meta.get(Keys.inline(i.ino));
                    if (inline != null && unclean && inline.length > i.size) {
                        // a write's bytes whose new size the crash lost: a later truncate up must show zeros there
                        fixes.put(Keys.inline(i.ino), java.util.Arrays.copyOf(inline, (int) i.size));
                        zeroedTails++;
                    }
                    finishInode(fixes, i, inline != null ? 1 : 0);
                }
                return true;
            });
            if (fixes.size() > 0) {
                meta.commit(fixes, true);
            }
        }
    }

    /**
     * Zeroes block {@code index} of {@code ino} from byte {@code from} to its end, where the file's
     * size does not reach, unless it already reads as zeros (a hole, or space fallocate reserved):
     * after an unclean shutdown it may hold an extending write whose new size never became durable.
     * The space stays reserved, since the block is referenced and counted whole, and the zeros are
     * synced before the mount serves, so no later growth of the file can make that data its own.
     * A sealed block may hold such bytes too, sealed while the size was not yet durable: it is
     * unsealed first (synced), as a write would be; a compressed one is rewritten raw first.
     */
    private void zeroPastEnd(long ino, long index, BlockRef ref, int from) {
        int bs = blocks.blockSize();
        if (ref.compressed()) {
            try (FileBlocks file = blocks.open(ino, n -> { })) {
                if (file.zeroCompressedTail(index, from)) {
                    if (from == 0) {
                        zeroedPastEnd++;
                    } else {
                        zeroedTails++;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return;
        }
        try (TierFile file = blocks.tier(ref.tier()).open(ino)) {
            if (file.readsZeros(index, from, bs - from)) {
                return;
            }
            if (ref.sealed()) {
                try (MetadataStore.Batch unseal = meta.newBatch()) {
                    unseal.put(Keys.block(ino, index), ref.unsealedNow().encode());
                    meta.commit(unseal, true);
                }
                blocks.account(ref, -1);
                blocks.account(ref.unsealedNow(), 1);
                if (ref.replica() >= 0) { // unsealed, the block keeps no replica
                    try (TierFile replica = blocks.tier(ref.replica()).open(ino)) {
                        replica.discard(index, index + 1);
                    }
                }
            }
            file.zero(index, from, bs - from);
            if (from == 0) {
                zeroedPastEnd++;
            } else {
                zeroedTails++;
            }
            if (blocks.tier(ref.tier()).features().punchHole()) {
                file.reserve(index); // the zeroed range was punched out: reserve it again
            }
            file.sync();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sets the block count of {@code i} to {@code counted}; -1 stands for inline bytes, counted as one block. */
    private void finishInode(MetadataStore.Batch fixes, Inode i, long counted) {
        counted = Math.max(counted, -counted);
        if (i != null && i.blockCount != counted) {
            i.blockCount = counted;
            fixes.put(Keys.inode(i.ino), InodeCodec.encode(i));
            fixedCounts++;
        }
    }

    /**
     * Deletes the tier file of an inode that does not exist. One that cannot be deleted gets an
     * orphan record, so that every later mount tries again; an orphan's was tried already.
     */
    private void sweepFile(Tier tier, long ino) {
        if (meta.get(Keys.orphan(ino)) != null) {
            return;
        }
        try {
            tier.delete(ino);
            sweptFiles++;
        } catch (IOException e) {
            LOG.warning("could not free the leaked tier file of inode " + ino + ", the next mount tries again: " + e);
            try (MetadataStore.Batch b = meta.newBatch()) {
                b.put(Keys.orphan(ino), new byte[0]);
                meta.commit(b, false);
            }
        }
    }

    /**
     * Frees tier data that no block reference points at. A tier that cannot punch holes keeps
     * such slots (their bytes are overwritten when a block is placed there again, see
     * {@code TierFile.writeNew}); only tier files of missing inodes go there.
     */
    private void sweepTiers() throws IOException {
        for (int t = 0; t < blocks.tierCount(); t++) {
            Tier tier = blocks.tier(t);
            for (long ino : tier.storedInodes()) {
                if (meta.get(Keys.inode(ino)) == null) {
                    sweepFile(tier, ino);
                    continue;
                }
                if (!tier.features().punchHole()) {
                    continue;
                }
                Map<Long, BlockRef> refs = new HashMap<>();
                meta.scan(Keys.first(Keys.BLOCK, ino), Keys.after(Keys.BLOCK, ino), (k, v) -> {
                    refs.put(Keys.blockIndexOf(k), BlockRef.decode(v));
                    return true;
                });
                try (TierFile file = tier.open(ino)) {
                    for (long index : file.storedBlocks()) {
                        BlockRef owner = refs.get(index);
                        if (owner == null || owner.tier() != t && owner.replica() != t) {
                            file.discard(index, index + 1);
                            sweptBlocks++;
                        }
                    }
                    file.sync();
                }
            }
        }
        blocks.syncDeletes(); // else a clean shutdown after this mount could leave them to come back
    }
}
