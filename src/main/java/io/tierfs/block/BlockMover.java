package io.tierfs.block;

import io.tierfs.nativeio.Memory;
import io.tierfs.tier.HotTier;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Moves blocks between tiers for the migrator, by the rule of ARCHITECTURE.md: copy, verify,
 * switch the block map only if no write came meanwhile, then free the old copy. A write that
 * races a move always wins (the move gives up and tries again later); a reader never finds a
 * freed copy (the old one goes only once the reads that might use it are done); a crash at any
 * moment leaves the block whole in one place or the other. One mover per thread: it owns a
 * block-sized buffer.
 */
public final class BlockMover implements AutoCloseable {
    /** How a promotion into the hot tier ended. */
    public enum Promotion {
        /** The block has a hot copy now (or had one already). */
        DONE,
        /** A write came meanwhile, or the block went: nothing changed. */
        SPOILED,
        /** The hot tier is full: room must be made first. */
        NO_ROOM
    }

    private final BlockStore store;
    private final int blockSize;
    private final long buffer;
    private final ByteBuffer bufferView;
    private final PageSums sums = new PageSums();
    /** The first bytes of a file, for the classifier ({@link #fileHead}). */
    private static final int HEAD = 64;
    private final long head = Memory.allocate(HEAD);
    private final ByteBuffer headView = Memory.IO.newDirectByteBuffer(head, HEAD);
    /** Written by the mover's thread only; read by the status writer. */
    private volatile long fetchedCopies;

    public BlockMover(BlockStore store) {
        this.store = store;
        this.blockSize = store.blockSize();
        this.buffer = Memory.allocate(blockSize);
        this.bufferView = Memory.IO.newDirectByteBuffer(buffer, blockSize);
    }

    /**
     * Moves block {@code index} of {@code file} to directory tier {@code to} (see {@link #moveAll}).
     *
     * @return the bytes moved: the block size, or 0 if the block is gone, already there, or a
     *     write came meanwhile
     */
    public long move(FileBlocks file, long index, int to) throws IOException {
        return moveAll(file, new long[] {index}, 1, to) * (long) blockSize;
    }

    /**
     * Moves the first {@code n} of {@code indexes} (blocks of {@code file}) to directory tier
     * {@code to}, sealed: each block read is checked against its page sums if it was sealed (a
     * block that fails stays, and is reported), its copy is written and read back against the
     * page sums of what was read, the tier file is synced once for all of them before the block
     * map points at them, and the switches, which seal the copies, are one synced commit before
     * the old copies are freed. One sync and one commit for many blocks: a sync costs far more
     * than a copy, on a slow disk most of all.
     *
     * @return how many blocks moved (a block gone, already there, failing its checksum, or
     *     written meanwhile stays)
     */
    public int moveAll(FileBlocks file, long[] indexes, int n, int to) throws IOException {
        FileBlocks.MoveTicket[] tickets = new FileBlocks.MoveTicket[n];
        BlockRef[] next = new BlockRef[n];
        boolean[] switched = new boolean[n];
        TierFile dest = file.tierFile(to);
        try {
            for (int i = 0; i < n; i++) {
                tickets[i] = file.beginMove(indexes[i]);
                if (tickets[i] != null && tickets[i].ref.tier() == to) {
                    file.cancelMove(tickets[i]);
                    tickets[i] = null;
                }
            }
            store.epochs().synchronize(); // writes that began before the tickets are done
            boolean slotsAreHoles = store.tier(to).features().punchHole();
            for (int i = 0; i < n; i++) {
                if (tickets[i] != null) {
                    if (!readIntact(file, tickets[i].ref, indexes[i])) {
                        file.cancelMove(tickets[i]);
                        tickets[i] = null;
                        continue;
                    }
                    next[i] = writeSealed(file, dest, tickets[i].ref.onTier(to), indexes[i], slotsAreHoles);
                }
            }
            file.syncTierFile(to); // the copies are durable before the map points at them
            for (int i = 0; i < n; i++) {
                if (tickets[i] != null) {
                    dest.dropCache(indexes[i], 0, blockSize); // clean now: a block moved is cold where it lands
                }
            }
            switched = file.finishChanges(tickets, next, true);
        } finally {
            for (int i = 0; i < n; i++) {
                if (tickets[i] != null && !switched[i]) {
                    file.cancelMove(tickets[i]);
                    file.discardUnused(indexes[i], to);
                }
            }
        }
        int moved = 0;
        for (boolean s : switched) {
            moved += s ? 1 : 0;
        }
        if (moved > 0) {
            store.epochs().synchronize(); // reads that found the old places are done
            for (int i = 0; i < n; i++) {
                if (switched[i]) {
                    // unless the file was cut meanwhile and a new block took the old slot
                    file.discardUnused(indexes[i], tickets[i].ref.tier());
                }
            }
        }
        return moved;
    }

    /**
     * Reads a block to be moved, raw, holding its ticket: from its hot copy if it has one (the same
     * bytes, written through, and no read of a slow disk: a block leaving the hot tier for ssd
     * comes from memory; one that fails the sealed block's sums is passed over), else from what a read fetched of it a moment ago if no write came since
     * ({@link FetchedBlocks}: a block coming up from hdd; checked when fetched), else from its own
     * tier, checked against its checksums if it is sealed, decompressed if it is compressed: a copy
     * of bytes that rotted would seal the rot. False if they fail (the block stays, reported).
     */
    private boolean readIntact(FileBlocks file, BlockRef ref, long index) throws IOException {
        if (ref.hot() && store.hot().read(file.ino(), index, 0, buffer, blockSize)
            && (!ref.sealed() || ref.compressed() || Arrays.equals(sums.of(buffer, blockSize), ref.pageSums()))) {
            return true; // a sealed raw block's copy is checked against its sums; a compressed one's at the mount
        }
        FetchedBlocks fetched = store.fetched();
        if (fetched != null && file.unwrittenSince(index, fetched.copy(file.ino(), index, ref, buffer))) {
            fetchedCopies++;
            return true;
        }
        try {
            file.readWhole(ref, index, buffer);
            return true;
        } catch (ChecksumMismatch e) {
            return false;
        }
    }

    /**
     * Writes the raw block in the buffer to {@code dest} as {@code moved} (its record on the new
     * tier) says, sealed: compressed by content where the tier compresses and that pays, else
     * raw with page sums; read back and checked against what was written. The record to switch to.
     */
    private BlockRef writeSealed(FileBlocks file, TierFile dest, BlockRef moved, long index, boolean slotIsHole)
        throws IOException {
        BlockRef raw = moved.compressed() ? moved.expanded(blockSize) : moved;
        CompressedBlocks.Compressed c = store.compresses(moved.tier())
            ? store.compressed().compress(file.ino(), index, bufferView, () -> fileHead(file)) : null;
        if (c == null) {
            int[] pageSums = sums.of(buffer, blockSize);
            writeCopy(dest, slotIsHole, index);
            verify(file, dest, index, pageSums, moved.tier());
            return raw.sealedWith(pageSums);
        }
        dest.writeNew(index, 0, c.address(), c.storedLength());
        dest.read(index, 0, buffer, c.storedLength()); // the raw block is not needed any more
        if (sums.sum(buffer, c.storedLength()) != c.checksum()) {
            throw new IOException("compressed block " + index + " of inode " + file.ino() + " read back from tier "
                + moved.tier() + " differs from what was written there");
        }
        return raw.compressedAs(c.codec().id, c.storedLength(), c.checksum());
    }

    /** The first bytes of the file, for the classifier: a block's format shows only at the file's start. */
    private ByteBuffer fileHead(FileBlocks file) {
        try {
            file.readHead(head, HEAD);
            return headView.clear();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Seals the first {@code n} of {@code indexes}, blocks of {@code file} left alone a while: each
     * is read from its tier and its page sums computed; the tier files are synced, so that the
     * bytes the sums are of are the ones on disk, and the records switched in one commit, for
     * each block no write came to meanwhile. Unsynced: a seal lost in a crash leaves the block
     * unsealed, to be sealed again. Blocks sealed already, compressed or gone are skipped.
     *
     * @return how many blocks were sealed
     */
    public int sealAll(FileBlocks file, long[] indexes, int n) throws IOException {
        FileBlocks.MoveTicket[] tickets = new FileBlocks.MoveTicket[n];
        BlockRef[] next = new BlockRef[n];
        boolean[] switched = new boolean[n];
        try {
            for (int i = 0; i < n; i++) {
                tickets[i] = file.beginMove(indexes[i]);
                if (tickets[i] != null && (tickets[i].ref.sealed() || tickets[i].ref.codec() != BlockRef.CODEC_NONE)) {
                    file.cancelMove(tickets[i]);
                    tickets[i] = null;
                }
            }
            store.epochs().synchronize(); // writes that began before the tickets are done
            boolean[] read = new boolean[store.tierCount()];
            for (int i = 0; i < n; i++) {
                if (tickets[i] != null) {
                    BlockRef ref = tickets[i].ref;
                    file.tierFile(ref.tier()).read(indexes[i], 0, buffer, ref.storedLength());
                    next[i] = ref.sealedWith(sums.of(buffer, ref.storedLength()));
                    read[ref.tier()] = true;
                }
            }
            for (int t = 0; t < read.length; t++) {
                if (read[t]) {
                    file.syncTierFile(t); // fails for a file whose data may not be on disk: nothing is sealed
                }
            }
            switched = file.finishChanges(tickets, next, false);
        } finally {
            for (int i = 0; i < n; i++) {
                if (tickets[i] != null && !switched[i]) {
                    file.cancelMove(tickets[i]);
                }
            }
        }
        int sealed = 0;
        for (boolean s : switched) {
            sealed += s ? 1 : 0;
        }
        return sealed;
    }

    /** How many blocks this mover copied from {@link FetchedBlocks} rather than from their tier. */
    public long fetchedCopies() {
        return fetchedCopies;
    }

    /**
     * Reads the copy back and checks it against the checksum of what was read from the block's
     * own tier: a short or misplaced write shows here, before the map points at the copy. It is
     * read back right after its write, from the dirty pages the write left, which memory pressure
     * cannot take before they are written: read back after the batch's sync, a batch larger than
     * the daemon's page cache allowance was read from the slow disk again (a read of it per block,
     * as costly as the copy; media errors are the checksums' job).
     */
    private void verify(FileBlocks file, TierFile dest, long index, int[] expected, int to) throws IOException {
        dest.read(index, 0, buffer, blockSize);
        if (!Arrays.equals(sums.of(buffer, blockSize), expected)) {
            throw new IOException("block " + index + " of inode " + file.ino() + " read back from tier " + to
                + " differs from what was written there");
        }
    }

    /**
     * Puts a copy of block {@code index} into the hot tier and marks it there, unless a write
     * came meanwhile; the block's own tier then drops its cached pages (memory is spent once).
     *
     */
    public Promotion promote(FileBlocks file, long index) throws IOException {
        HotTier hot = store.hot();
        FileBlocks.MoveTicket t = file.beginMove(index);
        if (t == null) {
            return Promotion.SPOILED;
        }
        try {
            if (t.ref.hot()) {
                return Promotion.DONE;
            }
            if (hot.full()) {
                return Promotion.NO_ROOM; // before the read of the block, which the migrator would repeat each round
            }
            store.epochs().synchronize();
            if (!readIntact(file, t.ref, index)) {
                return Promotion.SPOILED; // its bytes failed their checksums: reported, and left where they are
            }
            if (!hot.put(file.ino(), index, buffer)) {
                return Promotion.NO_ROOM;
            }
            if (!file.finishMove(t, t.ref.withHot(true))) {
                hot.remove(file.ino(), index);
                return Promotion.SPOILED;
            }
            file.tierFile(t.ref.tier()).dropCache(index, 0, blockSize);
            return Promotion.DONE;
        } finally {
            file.cancelMove(t);
        }
    }

    /** Drops the hot copy of block {@code index}: reads go to the block's own tier again. */
    public void evict(FileBlocks file, long index) {
        file.unmarkHot(index);
        store.hot().remove(file.ino(), index);
    }

    /**
     * Writes the block in the buffer to {@code dest}. Where freed slots are punched out, the slot
     * is a hole already, and only the pages holding something are written: a sparse block stays
     * sparse (its holes still seen by SEEK_HOLE, its space not taken); elsewhere all of it.
     */
    private void writeCopy(TierFile dest, boolean slotIsHole, long index) throws IOException {
        if (!slotIsHole) {
            dest.writeNew(index, 0, buffer, blockSize);
            return;
        }
        for (int page = 0; page < blockSize; ) {
            while (page < blockSize && Memory.isZero(buffer + page, PAGE)) {
                page += PAGE;
            }
            int start = page;
            while (page < blockSize && !Memory.isZero(buffer + page, PAGE)) {
                page += PAGE;
            }
            if (page > start) {
                dest.write(index, start, buffer + start, page - start);
            }
        }
    }

    private static final int PAGE = 4096;

    @Override
    public void close() {
        Memory.free(buffer);
        Memory.free(head);
    }
}
