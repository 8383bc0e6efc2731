package io.tierfs.block;

import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.Memory;
import io.tierfs.nativeio.NativeIOException;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import io.tierfs.tier.HotTier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The blocks of one open file: the data path of every FUSE read and write. Lookups in the block map
 * take no lock; a new block is recorded in the metadata store before its first byte is written, so
 * the map never points a crash-surviving reader at a block that does not exist. No lock is held
 * across a data read or write.
 */
public final class FileBlocks implements AutoCloseable {
    private final BlockStore store;
    private final long ino;
    private final int blockSize;
    private final BlockTable table;
    private final TierFile[] files;
    /**
     * Changes of the block map committed so far, and how many of them the caller has since made
     * durable: a count, not a flag, so a change made while a sync is under way is not lost, and a
     * failed metadata sync leaves the map marked unsynced.
     */
    private volatile long mapChanges;
    private volatile long mapChangesSynced;
    /** Told how many blocks the file gained or lost, for st_blocks. */
    private final LongConsumer blockCountChange;
    /** The first failed sync of the file's data: every later sync fails with it (see {@link #sync}). */
    private volatile NativeIOException syncFailure;
    /**
     * A file synced after every few writes (a database's commit log) gets each write started on
     * its way to the disk before the write is answered, so the sync that follows waits only for
     * what is left of it rather than for a whole write-back. Measured with 4 KiB writes each
     * followed by fdatasync: the write takes 13 us longer, the fdatasync 45 us less. Started after
     * the answer instead, the write-back raced the application's fdatasync on this machine's two
     * cores and saved 15 us.
     */
    private static final int EAGER_WRITES_PER_SYNC = 8;
    /** Writes since the last sync; updated without a lock, so an occasional miscount is tolerated. */
    private int writesSinceSync;
    private volatile boolean eagerWriteBack;
    /** Held across a sync of the tier files; never by the read and write path. */
    private final Object syncLock = new Object();
    private final HotTier hot;
    private final Epochs epochs;
    private final HoleSeeker holes;
    private final VerifiedReads reads;
    /** A small file's bytes, while they live in the metadata store rather than in blocks. */
    private final InlineData inline;
    /**
     * Whether the file holds block records: {@link #SOME}, {@link #NONE} or not known yet. Changed
     * under this; a write reads it without the lock only to skip {@link #writeInline} (a stale
     * value sends it there, where the lock decides).
     */
    private byte blockRecords;
    private static final byte UNKNOWN = 0, NONE = 1, SOME = 2;
    /** Whether this table gave the file a new block (see {@link #allocatedBlocks}). Guarded by this. */
    private boolean allocated;
    /**
     * Moves of this file's blocks under way ({@link BlockMover}), by block index. Guarded by this;
     * {@link #movesInFlight} lets a write skip the lock when there are none.
     */
    private final Map<Long, MoveTicket> moves = new HashMap<>();
    private volatile int movesInFlight;
    /** Writes to the blocks under way, for hot copies ({@link #updateHotCopy}) and {@link FetchedBlocks}. */
    private final WriteCounts writes = new WriteCounts();
    private final Seals seals;
    /** The {@link Seals#tick} of the file's last write, kept for its next table when this one is dropped. */
    private int lastWriteTick;
    /**
     * Sealed blocks a write unseals together, where their tier is not the last: one synced commit
     * for a run of them (8 MiB at 128 KiB blocks) rather than one for each block a random writer
     * touches. The neighbours are sealed again once left alone, by a read of a fast tier.
     */
    private static final int UNSEAL_GROUP = 64;

    /** @param empty the file has no block record and no inline bytes in the store ({@link BlockStore#openNew}) */
    FileBlocks(BlockStore store, long ino, LongConsumer blockCountChange, boolean empty) {
        this.store = store;
        this.ino = ino;
        this.blockCountChange = blockCountChange;
        this.blockSize = store.blockSize();
        this.hot = store.hot();
        this.epochs = store.epochs();
        this.seals = store.seals();
        this.table = new BlockTable(store.meta(), hot, ino, seals.lastWriteOfDropped(ino), empty);
        this.files = new TierFile[store.tierCount()];
        for (int t = 0; t < files.length; t++) {
            files[t] = store.tier(t).open(ino);
        }
        this.holes = new HoleSeeker(store.meta(), ino, blockSize, tier -> files[tier]);
        this.reads = new VerifiedReads(this, table, files, store, ino);
        this.inline = new InlineData(store.meta(), ino, empty);
        this.blockRecords = empty ? NONE : UNKNOWN;
    }

    /**
     * Reads {@code length} bytes at {@code offset} into native memory; holes read as zeros. A block
     * the hot tier holds is read from there (and from its own tier if the copy went meanwhile).
     */
    public void read(long offset, long address, int length) throws IOException {
        if (inline.read(offset, address, length)) {
            return;
        }
        int epoch = epochs.enter();
        try {
            int done = 0;
            while (done < length) {
                long pos = offset + done;
                long index = pos / blockSize;
                int inBlock = (int) (pos - index * blockSize);
                BlockRef ref = table.get(index);
                int n = runLength(index, inBlock, length - done, ref, true);
                if (ref == null) {
                    Memory.IO.setMemory(address + done, n, (byte) 0);
                } else if (ref.hot() && hot.read(ino, index, inBlock, address + done, n)) {
                    store.countRead(files.length);
                    store.events().accessed(ino, index);
                } else {
                    if (!fetched(ref, index, inBlock, address + done, n) && !fetchWhole(ref, index, inBlock, address + done, n)) {
                        reads.readRun(ref, index, inBlock, address + done, n);
                    }
                    accessed(index, inBlock, n, ref.tier());
                }
                done += n;
            }
        } finally {
            epochs.exit(epoch);
        }
    }

    /**
     * Reads part of a block of the last tier from {@link FetchedBlocks}, where a read of it put
     * all of it a moment ago; false if it is not there, or a write to it began since (the bytes
     * there are checked against the block's sums when fetched, and a block rewritten since has
     * another ref).
     */
    private boolean fetched(BlockRef ref, long index, int inBlock, long address, int n) {
        FetchedBlocks ring = store.fetched();
        if (ring == null || ref.tier() != files.length - 1 || inBlock + n > blockSize) {
            return false;
        }
        long stamp = ring.copy(ino, index, ref, inBlock, address, n);
        return stamp >= 0 && writes.unwrittenSince(index, stamp);
    }

    /**
     * Reads part of a block of the last tier by reading all of it into {@link FetchedBlocks},
     * where the migrator finds it if the policy moves the block up. False if it did not (no ring,
     * a faster tier, a read of more than part of one block, a write to the block under way, or
     * the ring's slot taken), and the caller reads the part alone.
     */
    private boolean fetchWhole(BlockRef ref, long index, int inBlock, long address, int n) throws IOException {
        FetchedBlocks ring = store.fetched();
        if (ring == null || ref.tier() != files.length - 1 || inBlock + n > blockSize || n == blockSize) {
            return false;
        }
        long stamp = writes.stamp(index);
        int slot = stamp < 0 ? -1 : ring.claim();
        if (slot < 0) {
            return false;
        }
        boolean kept = false;
        try {
            long block = ring.address(slot);
            reads.readPart(ref, index, 0, block, blockSize);
            Memory.IO.copyMemory(block + inBlock, address, n);
            if (writes.unwrittenSince(index, stamp)) {
                ring.publish(slot, ino, index, ref, stamp);
                kept = true;
            }
        } finally {
            if (!kept) {
                ring.abandon(slot);
            }
        }
        return true;
    }

    /**
     * Reads the file's first {@code n} bytes (at most a block) for the classifier, verified: a read
     * of tierfs's own, which tells placement nothing and counts as no reader's.
     */
    void readHead(long dst, int n) throws IOException {
        int epoch = epochs.enter();
        try {
            BlockRef ref = table.get(0);
            if (ref == null || !ref.hot() || !hot.read(ino, 0, 0, dst, n)) {
                reads.readPart(ref, 0, 0, dst, n);
            }
        } finally {
            epochs.exit(epoch);
        }
    }

    /** Reads all of block {@code index}, as {@code ref} names it, raw to {@code dst}, verified (see {@link VerifiedReads}). */
    void readWhole(BlockRef ref, long index, long dst) throws IOException {
        reads.readPart(ref, index, 0, dst, blockSize);
    }

    /**
     * Whether the bytes of block {@code index} that {@link FetchedBlocks} kept at write stamp
     * {@code stamp} are its bytes still: no write to it began since. For a mover holding the
     * block's ticket, once the writes begun before it are done.
     */
    boolean unwrittenSince(long index, long stamp) {
        return writes.unwrittenSince(index, stamp);
    }

    /** Tells placement of the blocks a run of {@code n} bytes from {@code inBlock} of block {@code index} touched. */
    private void accessed(long index, int inBlock, int n, int tier) {
        BlockEvents events = store.events();
        long last = index + (inBlock + n - 1) / blockSize;
        for (long i = index; i <= last; i++) {
            events.accessed(ino, i);
            if (tier >= 0) {
                store.countRead(tier);
            }
        }
    }

    /**
     * Writes {@code length} bytes from native memory at {@code offset}: to each block's own tier,
     * then to its hot copy, if it has one (the hot tier holds copies: see {@link HotTier}).
     */
    public void write(long offset, long address, int length) throws IOException {
        if (length == 0) {
            return;
        }
        // a file with blocks (a database rewriting its first page) takes no lock for it
        if ((inline.active() || (blockRecords != SOME && InlineData.fits(offset, length)))
            && writeInline(offset, address, length)) {
            return;
        }
        int epoch = epochs.enter();
        try {
            if (movesInFlight != 0) {
                spoilMoves(offset, length);
            }
            writeBlocks(offset, address, length);
        } finally {
            epochs.exit(epoch);
        }
    }

    /**
     * Writes into the file's inline bytes if they take the write (see {@link InlineData}): a file
     * without blocks starts them with a write that fits. False if the write needs blocks; the
     * inline bytes, if any, were spilled into block 0 first.
     */
    private synchronized boolean writeInline(long offset, long address, int length) throws IOException {
        if (InlineData.fits(offset, length) && (inline.active() || holdsNoBlocks())) {
            if (!inline.active()) {
                blockCountChange.accept(1); // counted as a block: st_blocks shows a page, as ext4's would
            }
            inline.write(offset, address, length);
            mapChanges++;
            return true;
        }
        if (inline.active()) {
            spillInline();
        }
        return false;
    }

    /**
     * Moves the inline bytes into block 0, written and synced before the inline copy goes (they may
     * have been synced already, by this file's fsync or any other metadata sync), so that a crash
     * finds them in one place or the other. Until the inline copy goes it is the file's data, and
     * readers read it. Call holding this.
     */
    private void spillInline() throws IOException {
        byte[] bytes = inline.snapshot();
        if (bytes.length > 0) {
            long buffer = Memory.allocate(bytes.length);
            try {
                Memory.IO.putByteArray(buffer, bytes, 0, bytes.length);
                BlockRef ref = writeNewBlock(0, 0, buffer, bytes.length);
                store.events().created(ino, 0, ref.tier());
                stampWritten(0, 0, bytes.length);
                syncTierFile(ref.tier());
            } finally {
                Memory.free(buffer);
            }
        }
        inline.drop();
        blockCountChange.accept(-1);
        mapChanges++;
    }

    /**
     * Whether this table ever gave the file a block. A file made by this mount whose only table
     * never did has no block record, tier file or hot copy: its deletion need not look for them.
     */
    public synchronized boolean allocatedBlocks() {
        return allocated;
    }

    /** Whether the file has no block record (looked up once, then kept up to date). */
    public synchronized boolean holdsNoBlocks() {
        if (blockRecords == UNKNOWN) {
            blockRecords = store.meta().anyOf(Keys.BLOCK, ino) ? SOME : NONE;
        }
        return blockRecords == NONE;
    }

    private void writeBlocks(long offset, long address, int length) throws IOException {
        // a file that stops being synced goes back to the kernel's pace after a few writes
        boolean eager = eagerWriteBack && writesSinceSync < EAGER_WRITES_PER_SYNC;
        prepareInPlace(offset / blockSize, (offset + length - 1) / blockSize);
        int done = 0;
        while (done < length) {
            long pos = offset + done;
            long index = pos / blockSize;
            int inBlock = (int) (pos - index * blockSize);
            BlockRef ref = table.get(index);
            int n;
            if (ref == null) {
                n = Math.min(length - done, blockSize - inBlock);
                ref = writeNewBlock(index, inBlock, address + done, n);
                store.events().created(ino, index, ref.tier());
            } else {
                n = runLength(index, inBlock, length - done, ref, false);
                writeInPlace(ref, index, inBlock, address + done, n);
                if (ref.tier() > 0) {
                    // a write is served by the block's own tier whatever the hot tier holds, so it
                    // tells placement only where that tier is slow: promoting blocks just written
                    // spent the migrator and a second copy of every write (1 MiB buffered writes
                    // 0.99x mergerfs with the hot tier, 1.16x without)
                    accessed(index, inBlock, n, -1);
                }
            }
            if (eager) {
                files[ref.tier()].startWriteBack(index, inBlock, n);
            }
            stampWritten(index, inBlock, n);
            done += n;
        }
        writesSinceSync++;
    }

    /**
     * Makes blocks {@code first} to {@code last} writable in place before a write touches any of
     * them: a compressed one is rewritten raw, a sealed one unsealed. All of them first, since one
     * run of a tier's blocks (see {@link #runLength}) may start at an unsealed block and reach a
     * sealed one. None can become sealed or compressed again until the write ends: a seal or a move
     * that began before the write waits for it, and one that began after is spoiled by it.
     */
    private void prepareInPlace(long first, long last) throws IOException {
        for (long i = first; i <= last; i++) {
            BlockRef ref = table.get(i);
            if (ref != null && ref.compressed()) {
                expandForWrite(i);
            }
        }
        for (long i = first; i <= last; i++) {
            BlockRef ref = table.get(i);
            if (ref != null && ref.sealed()) {
                unsealForWrite(i, last); // and every sealed block after it in the write
                return;
            }
        }
    }

    /** Stamps the blocks a write of {@code n} bytes from {@code inBlock} of block {@code index} touched, for the sealer. */
    private void stampWritten(long index, int inBlock, int n) {
        int tick = seals.tick();
        long last = index + (inBlock + n - 1) / blockSize;
        for (long i = index; i <= last; i++) {
            table.written(i, tick);
        }
        lastWriteTick = tick;
    }

    /**
     * Rewrites compressed block {@code index} raw in its slot, so that a write can go to it in
     * place. Journaled, since the raw bytes overwrite the only copy of the compressed ones: they
     * go into the metadata store ({@link Keys#rewrite}, {@link RewriteJournal}) with the block's
     * raw record in one synced commit, then into the slot, synced, and the journal entry goes in a
     * synced commit; only then does the table name the raw block, so no write reaches the slot
     * while the entry could be replayed over it. All under this object's lock: a reader that meets
     * the slot half rewritten fails the compressed bytes' checksum and takes the lock to find the
     * block's reference again ({@link VerifiedReads}), which is the raw one by then. The block's
     * reference now.
     */
    private synchronized BlockRef expandForWrite(long index) throws IOException {
        BlockRef ref = table.get(index);
        if (ref == null || !ref.compressed()) {
            return ref;
        }
        requireSyncable(); // a journal entry left behind by a sync that cannot succeed helps nobody
        CompressedBlocks.Buffers b = store.compressed().buffers();
        reads.readPart(ref, index, 0, b.rawAddress, blockSize); // verified, from its replica if need be
        if (store.tier(ref.tier()).features().punchHole()) {
            // the slot's hole after the stored bytes is filled now: a full tier fails here, before anything changed
            files[ref.tier()].reserve(index);
        }
        BlockRef expanded = ref.expanded(blockSize);
        MetadataStore meta = store.meta();
        try (MetadataStore.Batch batch = meta.newBatch()) {
            batch.put(Keys.rewrite(ino, index), RewriteJournal.entry(expanded.generation(), b.raw, blockSize));
            batch.put(Keys.block(ino, index), expanded.encode());
            meta.commit(batch, true);
        }
        dropReplica(index, ref); // the raw record has none: its stored bytes are about to change
        // A failure from here on leaves the journal entry, which the next mount's recovery writes
        // (the record is still the one it was committed with: the table keeps the compressed one,
        // so no write reaches the block meanwhile; its reads fail until then).
        files[ref.tier()].write(index, 0, b.rawAddress, blockSize);
        syncTierFile(ref.tier());
        try (MetadataStore.Batch batch = meta.newBatch()) {
            batch.delete(Keys.rewrite(ino, index));
            meta.commit(batch, true);
        }
        // Only now may writes reach the slot: one that did while the journal entry could still be
        // replayed could be acknowledged by an fsync and then overwritten by the replay.
        table.set(index, expanded);
        store.changed(ref, expanded);
        seals.review(ino, index);
        return expanded;
    }

    /**
     * Rewrites compressed block {@code t.index} raw in its slot, unsealed ({@link #expandForWrite}),
     * for the sealer to compress it again by another codec; only if no write came since the ticket.
     * Whether it was rewritten.
     */
    synchronized boolean expandForRecompression(MoveTicket t) throws IOException {
        if (t.spoiled || table.get(t.index) != t.ref || !t.ref.compressed()) {
            return false;
        }
        expandForWrite(t.index);
        return true;
    }

    /**
     * Replaces sealed raw block {@code t.index} by its compressed form, in its slot: for a block
     * written straight to a tier that compresses (a move compresses as it copies). Under this
     * object's lock, which every writer to a sealed block must take to unseal it, so none writes
     * the slot meanwhile; a reader that meets the slot half rewritten fails the page sums and
     * looks again under the lock. Only if no write came since the ticket and the block is still
     * the one read. Journaled as a write to a compressed block is (rule 6): the raw bytes with
     * the sealed record's generation go into the metadata store, synced, before the slot changes,
     * so that recovery puts them back if the compressed record never became durable.
     *
     * @param raw        the block's raw bytes, checked against its page sums
     * @param rawAddress the same bytes' native address
     * @param stored     where the compressed bytes are, {@code next.storedLength()} of them
     * @return whether it was replaced
     */
    synchronized boolean compressInPlace(MoveTicket t, BlockRef next, java.nio.ByteBuffer raw, long rawAddress, long stored)
        throws IOException {
        if (t.spoiled || table.get(t.index) != t.ref) {
            return false;
        }
        requireSyncable();
        int tier = t.ref.tier();
        MetadataStore meta = store.meta();
        try (MetadataStore.Batch batch = meta.newBatch()) {
            batch.put(Keys.rewrite(ino, t.index), RewriteJournal.entry(t.ref.generation(), raw, blockSize));
            meta.commit(batch, true);
        }
        try {
            files[tier].write(t.index, 0, stored, next.storedLength());
            files[tier].zero(t.index, next.storedLength(), blockSize - next.storedLength());
            syncTierFile(tier);
            try (MetadataStore.Batch batch = meta.newBatch()) {
                batch.put(Keys.block(ino, t.index), next.encode());
                batch.delete(Keys.rewrite(ino, t.index));
                meta.commit(batch, true);
            }
        } catch (IOException | RuntimeException e) {
            undoCompressInPlace(t, rawAddress);
            throw e;
        }
        table.set(t.index, next);
        store.changed(t.ref, next);
        files[tier].dropCache(t.index, 0, blockSize);
        return true;
    }

    /**
     * A compression in place that failed after its journal entry: the table still names the
     * sealed raw record, so the raw bytes go back into the slot, synced, before the entry goes
     * (a write that came later would unseal the block and find compressed bytes around its own,
     * and the entry, of an older generation then, would no longer be replayed). Where they
     * cannot be made durable (a failed sync sticks: every later sync of the file fails, EIO, so
     * no application is told its data is safe), the entry stays for recovery.
     */
    private void undoCompressInPlace(MoveTicket t, long rawAddress) {
        int tier = t.ref.tier();
        try {
            files[tier].write(t.index, 0, rawAddress, blockSize);
            syncTierFile(tier);
            try (MetadataStore.Batch batch = store.meta().newBatch()) {
                batch.delete(Keys.rewrite(ino, t.index));
                store.meta().commit(batch, true);
            }
            files[tier].dropCache(t.index, 0, blockSize);
        } catch (IOException | RuntimeException again) {
            java.util.logging.Logger.getLogger(FileBlocks.class.getName()).severe("inode " + ino + " block " + t.index
                + ": compressing it in place failed, and its raw bytes could not be put back durably; its journal entry"
                + " stays for recovery at the next mount, and every sync of the file fails until then: " + again);
            failSyncs(new NativeIOException("block " + t.index + " could not be put back after a failed compression",
                Errno.EIO));
        }
    }

    /**
     * Unseals the sealed blocks of a write from block {@code first} to {@code last}, and their
     * sealed neighbours of the same {@link #UNSEAL_GROUP} on a tier that is not the last, in one
     * synced commit before the write's bytes go anywhere: a power cut must never leave new bytes
     * under a record whose checksums are of the old ones. A replica goes with the seal, so a
     * neighbour with one is left sealed: its replica would have to be made again. Block
     * {@code first}'s reference now.
     */
    private synchronized BlockRef unsealForWrite(long first, long last) throws IOException {
        BlockRef head = table.get(first);
        if (head == null || !head.sealed() || head.compressed()) {
            return head; // a compressed block is rewritten raw (expandForWrite), not unsealed
        }
        boolean grouped = head.tier() != files.length - 1;
        long from = grouped ? first & -UNSEAL_GROUP : first;
        long to = grouped ? last | (UNSEAL_GROUP - 1) : last;
        List<Long> unsealed = new ArrayList<>();
        MetadataStore meta = store.meta();
        try (MetadataStore.Batch batch = meta.newBatch()) {
            for (long i = from; i <= to; i++) {
                BlockRef ref = table.get(i);
                boolean written = i >= first && i <= last;
                if (ref != null && ref.sealed() && !ref.compressed()
                    && (written || ref.tier() == head.tier() && ref.replica() < 0)) {
                    batch.put(Keys.block(ino, i), ref.unsealedNow().encode());
                    unsealed.add(i);
                }
            }
            meta.commit(batch, true);
        }
        for (long i : unsealed) {
            BlockRef sealed = table.get(i);
            BlockRef unsealedRef = sealed.unsealedNow();
            table.set(i, unsealedRef);
            store.changed(sealed, unsealedRef);
            seals.review(ino, i);
            dropReplica(i, sealed);
        }
        return table.get(first);
    }

    /**
     * Frees the replica {@code was} had, once the record without it is committed (and counted): a
     * reader still holding the old reference may read the slot as it is punched, and fails the
     * checksum there and looks again (see {@link VerifiedReads}). Call holding this.
     */
    private void dropReplica(long index, BlockRef was) throws IOException {
        if (was.replica() >= 0) {
            files[was.replica()].discard(index, index + 1);
        }
    }

    /**
     * Writes a run of existing blocks like {@code ref} to their tier in one call, then to the hot
     * copies among them. Counted in {@link #writes} only where a count is asked of it: on a run
     * with a hot block (see {@link #updateHotCopy}) or on blocks {@link FetchedBlocks} may hold;
     * every other write (on ssd, the foundation's data path) pays no shared counter.
     */
    private void writeInPlace(BlockRef ref, long index, int inBlock, long address, int n) throws IOException {
        long last = index + (inBlock + n - 1) / blockSize;
        boolean hotCopies = hot != null && anyHot(index, last);
        boolean counted = hotCopies || counted(ref);
        if (counted) {
            writes.begin(index, last);
        }
        try {
            files[ref.tier()].write(index, inBlock, address, n);
            if (hotCopies) {
                updateHotCopies(ref.tier(), index, inBlock, address, n);
            }
        } finally {
            if (counted) {
                writes.end(index, last);
            }
        }
    }

    /**
     * Whether writes to a block like {@code ref} are counted in {@link #writes}. Enough for both
     * uses: a write that saw the block without its hot mark never overlaps one that saw it with
     * the mark (a promotion waits out the writes under way and is spoiled by any that begins), and
     * the bytes {@link FetchedBlocks} keeps are of a ref on the last tier, which a block elsewhere
     * no longer has.
     */
    private boolean counted(BlockRef ref) {
        return ref.hot() || ref.tier() == files.length - 1 && store.fetched() != null;
    }

    private boolean anyHot(long first, long last) {
        for (long i = first; i <= last; i++) {
            if (isHot(i)) {
                return true;
            }
        }
        return false;
    }

    /** Whether block {@code index} has a hot copy now (a block a racing truncate took has none). */
    private boolean isHot(long index) {
        BlockRef ref = table.get(index);
        return ref != null && ref.hot();
    }

    /**
     * Writes to the hot copies among the blocks of a run on tier {@code tier} what was just
     * written there. A block on the first tier that the write replaced whole loses its copy
     * instead, as a cache bypassed by large writes (bcache's sequential cutoff): copying a stream
     * into memory too cost 1 MiB O_DIRECT writes over hot blocks a quarter of their rate (memory
     * copies: 30% of the daemon's CPU), and the block is new data, which its tier serves until
     * placement lifts it again for its reads. A copy over a slower tier is written: making it
     * again would cost that tier a read.
     */
    private void updateHotCopies(int tier, long index, int inBlock, long address, int n) {
        int done = 0;
        for (long i = index; done < n; i++) {
            int from = i == index ? inBlock : 0;
            int length = Math.min(n - done, blockSize - from);
            if (isHot(i)) {
                if (length == blockSize && tier == 0) {
                    dropRewrittenHotCopy(i);
                } else {
                    updateHotCopy(i, from, address + done, length);
                }
            }
            done += length;
        }
    }

    private void dropRewrittenHotCopy(long index) {
        if (unmarkHot(index) != null && hot.remove(ino, index)) {
            store.events().hotRewritten(ino, index);
        }
    }

    /**
     * Writes to the hot copy of block {@code index} what was just written to its own tier. Two
     * writes to one block can reach the tier in one order and the copy in the other, and the
     * copy would keep the older bytes: a write that may have company drops the copy instead (its
     * own tier has the last write either way), and placement makes it again.
     */
    private void updateHotCopy(long index, int inBlock, long address, int n) {
        if (!writes.othersUnderWay(index)) {
            hot.update(ino, index, inBlock, address, n);
        } else {
            dropRacedHotCopy(index);
        }
    }

    private void dropRacedHotCopy(long index) {
        if (unmarkHot(index) != null && hot.remove(ino, index)) {
            store.events().hotLost(ino, index);
        }
    }

    /**
     * How many of the {@code remaining} bytes from {@code inBlock} of block {@code index} lie in
     * blocks like {@code first}: on the same tier, or all holes. One tier call then moves them all
     * (a 1 MiB request over 128 KiB blocks is one pread instead of eight: 70 -> 57 us in the
     * block-layer benchmark). A compressed block is a run of its own, its bytes not where a raw
     * block's would be; so, when {@code reading}, is a block with a hot copy, read from its own
     * entry. A write goes on through hot blocks: their tier gets the run in one call, then each
     * copy its part (see {@link #updateHotCopies}).
     */
    private int runLength(long index, int inBlock, int remaining, BlockRef first, boolean reading) {
        int n = Math.min(remaining, blockSize - inBlock);
        for (long next = index + 1; n < remaining; next++) {
            BlockRef ref = table.get(next);
            if (first == null ? ref != null : ref == null || ref.tier() != first.tier()
                || reading && (ref.hot() || first.hot()) || ref.compressed() || first.compressed()) {
                break;
            }
            n += Math.min(remaining - n, blockSize);
        }
        return n;
    }

    /**
     * A new block that finds its tier full when written (or the tier gone: its directory removed,
     * or read-only) goes to the next slower tier instead.
     */
    private BlockRef writeNewBlock(long index, int inBlock, long address, int n) throws IOException {
        BlockRef ref = allocate(index, false);
        while (true) {
            try {
                files[ref.tier()].writeNew(index, inBlock, address, n);
                return ref;
            } catch (NativeIOException e) {
                boolean tierFailed = e.errno() == Errno.ENOSPC || e.alreadyReported();
                if (!tierFailed || ref.tier() + 1 >= files.length) {
                    throw e;
                }
                store.markFull(ref.tier());
                ref = relocate(index, ref);
            }
        }
    }

    /** Records a new block in the map (unsynced) and returns its reference. */
    private synchronized BlockRef allocate(long index, boolean reserve) throws IOException {
        BlockRef existing = table.get(index);
        if (existing != null) {
            return existing;
        }
        BlockRef ref = BlockRef.unsealed(store.placeNewBlock(), blockSize);
        blockRecords = SOME;
        allocated = true;
        record(index, ref);
        seals.review(ino, index);
        if (index == 0) {
            store.compressed().forget(ino); // the file's first bytes, which the classifier goes by, are new
        }
        store.account(ref, 1);
        blockCountChange.accept(1);
        if (reserve) {
            files[ref.tier()].reserve(index);
        }
        return ref;
    }

    private synchronized BlockRef relocate(long index, BlockRef ref) throws IOException {
        if (store.tier(ref.tier()).unavailableReason() == null) {
            files[ref.tier()].discard(index, index + 1);
        }
        BlockRef moved = ref.onTier(ref.tier() + 1);
        record(index, moved);
        store.changed(ref, moved);
        return moved;
    }

    private void record(long index, BlockRef ref) {
        MetadataStore meta = store.meta();
        try (MetadataStore.Batch batch = meta.newBatch()) {
            batch.put(Keys.block(ino, index), ref.encode());
            meta.commit(batch, false);
        }
        table.set(index, ref);
        mapChanges++;
    }

    /** Allocates real space for every absent block in [offset, offset+length) (fallocate mode 0). */
    public void reserve(long offset, long length) throws IOException {
        synchronized (this) {
            if (inline.active()) {
                spillInline(); // reserved space is a tier's
            }
        }
        for (long index = offset / blockSize; index * blockSize < offset + length; index++) {
            if (table.get(index) == null) {
                store.events().created(ino, index, allocate(index, true).tier());
            }
        }
    }

    /**
     * Shrinks the file to {@code newSize}: frees the blocks past it (after the map change is durable,
     * so a crash cannot leave the map pointing at freed space) and zeroes the tail of the last block.
     * {@code alsoCommit} adds the caller's own changes (the new size) to the same atomic commit.
     */
    public synchronized void shrink(long newSize, Consumer<MetadataStore.Batch> alsoCommit)
        throws IOException {
        if (inline.active()) {
            try (MetadataStore.Batch batch = store.meta().newBatch()) {
                if (inline.truncate(newSize, batch)) {
                    blockCountChange.accept(-1);
                }
                alsoCommit.accept(batch);
                store.meta().commit(batch, false);
            }
            mapChanges++;
            return;
        }
        long firstFreed = (newSize + blockSize - 1) / blockSize;
        awaitMoves(firstFreed, Long.MAX_VALUE);
        List<Freed> freed = new ArrayList<>();
        MetadataStore meta = store.meta();
        try (MetadataStore.Batch batch = meta.newBatch()) {
            meta.scan(Keys.block(ino, firstFreed), Keys.after(Keys.BLOCK, ino), (k, v) -> {
                freed.add(new Freed(Keys.blockIndexOf(k), BlockRef.decode(v)));
                batch.delete(k);
                return true;
            });
            RewriteJournal.dropEntries(meta, batch, ino, firstFreed, Long.MAX_VALUE);
            alsoCommit.accept(batch);
            meta.commit(batch, !freed.isEmpty());
        }
        table.clearFrom(firstFreed);
        blockRecords = UNKNOWN;
        blockCountChange.accept(-freed.size());
        for (Freed f : freed) {
            store.account(f.ref, -1);
        }
        if (!freed.isEmpty()) {
            for (TierFile file : files) {
                file.discard(firstFreed, Long.MAX_VALUE);
            }
            if (hot != null) {
                store.dropHotCopies(ino, firstFreed, Long.MAX_VALUE);
            }
        }
        int tail = (int) (newSize % blockSize);
        if (tail != 0) {
            zeroInBlock(newSize / blockSize, tail, (newSize / blockSize + 1) * blockSize);
        }
    }

    /**
     * Punches [from, to) out of a file of {@code size} bytes, as ext4 does: nothing at or past the
     * end, and the range stops at the page holding the end. Whole blocks lose their record (the
     * shorter map is committed synced before their data is freed, so a crash leaks space at
     * worst); the block holding the end counts as whole when the range covers all of it up to the
     * end. Partial blocks are zeroed in place.
     */
    public synchronized void punch(long from, long to, long size) throws IOException {
        if (from >= size) {
            return;
        }
        if (inline.active()) {
            inline.zero(from, to);
            mapChanges++;
            return;
        }
        long stop = Math.min(to, (size + PAGE - 1) & -PAGE);
        long firstWhole = (from + blockSize - 1) / blockSize;
        long endWhole = stop >= size ? (size + blockSize - 1) / blockSize : stop / blockSize;
        if (firstWhole < endWhole) {
            freeBlocks(firstWhole, endWhole);
        }
        long head = from / blockSize;
        if (head < firstWhole || firstWhole >= endWhole) {
            zeroInBlock(head, (int) (from - head * blockSize), Math.min(stop, (head + 1) * blockSize));
        }
        long tail = Math.max(endWhole, firstWhole);
        if (tail > head && tail * blockSize < stop) {
            zeroInBlock(tail, 0, stop);
        }
    }

    private static final long PAGE = 4096;

    /**
     * Zeroes block {@code index} from {@code inBlock} up to file offset {@code end}, and its hot
     * copy; a move of the block under way is spoiled, as by a write. Call holding this.
     */
    private void zeroInBlock(long index, int inBlock, long end) throws IOException {
        BlockRef ref = table.get(index);
        int length = (int) Math.min(end - index * blockSize - inBlock, blockSize - inBlock);
        spoilMove(index);
        if (ref != null && ref.compressed() && length > 0) {
            ref = expandForWrite(index);
        }
        if (ref != null && ref.sealed() && length > 0) {
            ref = unsealForWrite(index, index);
        }
        if (ref != null && length > 0) {
            boolean counted = counted(ref);
            if (counted) {
                writes.begin(index, index);
            }
            try {
                files[ref.tier()].zero(index, inBlock, length);
                stampWritten(index, inBlock, length);
                if (ref.hot() && !writes.othersUnderWay(index)) {
                    hot.zeroIfPresent(ino, index, inBlock, length);
                } else if (ref.hot()) {
                    dropRacedHotCopy(index); // as a write does (see updateHotCopy)
                }
            } finally {
                if (counted) {
                    writes.end(index, index);
                }
            }
        }
    }

    /**
     * For recovery: zeroes compressed block {@code index} from byte {@code from} to its end, where
     * it may hold an extending write whose size never became durable, unless it reads zeros there
     * already. The block is rewritten raw first (journaled, see {@link #expandForWrite}) and synced.
     * A block whose bytes fail their checksum is left as it is (reported). Whether it changed.
     */
    public synchronized boolean zeroCompressedTail(long index, int from) throws IOException {
        BlockRef ref = table.get(index);
        if (ref == null || !ref.compressed()) {
            return false;
        }
        long raw = store.compressed().buffers().rawAddress;
        try {
            reads.readPart(ref, index, 0, raw, blockSize);
        } catch (ChecksumMismatch e) {
            return false;
        }
        if (Memory.isZero(raw + from, blockSize - from)) {
            return false;
        }
        zeroInBlock(index, from, (index + 1) * blockSize);
        int tier = table.get(index).tier();
        if (store.tier(tier).features().punchHole()) {
            files[tier].reserve(index); // the zeroed range was punched out: reserve it again, as for a raw block
        }
        syncTierFile(tier);
        return true;
    }

    /** Drops the records of blocks [from, to) (synced), then frees their data. Call holding this. */
    private void freeBlocks(long from, long to) throws IOException {
        awaitMoves(from, to);
        List<Freed> freed = new ArrayList<>();
        MetadataStore meta = store.meta();
        try (MetadataStore.Batch batch = meta.newBatch()) {
            meta.scan(Keys.block(ino, from), Keys.block(ino, to), (k, v) -> {
                freed.add(new Freed(Keys.blockIndexOf(k), BlockRef.decode(v)));
                batch.delete(k);
                return true;
            });
            if (freed.isEmpty()) {
                return;
            }
            RewriteJournal.dropEntries(meta, batch, ino, from, to);
            meta.commit(batch, true);
        }
        boolean[] touched = new boolean[files.length];
        for (Freed f : freed) {
            table.set(f.index, null);
            store.account(f.ref, -1);
            touched[f.ref.tier()] = true;
            if (f.ref.replica() >= 0) {
                touched[f.ref.replica()] = true;
            }
        }
        blockRecords = UNKNOWN;
        blockCountChange.accept(-freed.size());
        for (int t = 0; t < files.length; t++) {
            if (touched[t]) {
                files[t].discard(from, to);
            }
        }
        if (hot != null) {
            store.dropHotCopies(ino, from, to);
        }
    }

    /** A block whose record a truncation or a punch dropped, as the record was. */
    private record Freed(long index, BlockRef ref) {
    }

    /**
     * The first byte at or after {@code offset} (below {@code size}) that holds data, or
     * {@code size} (see {@link HoleSeeker}).
     */
    public long nextData(long offset, long size) {
        if (inline.active()) {
            return offset < inline.length() ? offset : size;
        }
        int epoch = epochs.enter(); // a move must not free a copy this is looking at
        try {
            return holes.nextData(offset, size);
        } finally {
            epochs.exit(epoch);
        }
    }

    /** The first byte at or after {@code offset} that is in a hole, or {@code size} (the hole at the end). */
    public long nextHole(long offset, long size) {
        if (inline.active()) {
            return Math.max(offset, Math.min(inline.length(), size));
        }
        int epoch = epochs.enter();
        try {
            return holes.nextHole(offset, size);
        } finally {
            epochs.exit(epoch);
        }
    }

    // ---- moves (BlockMover): a write that races a move always wins ---------------------------

    /** A move of one block under way: what it copied, and whether a write came since. */
    static final class MoveTicket {
        final long index;
        final BlockRef ref;
        boolean spoiled;

        MoveTicket(long index, BlockRef ref) {
            this.index = index;
            this.ref = ref;
        }
    }

    long ino() {
        return ino;
    }

    TierFile tierFile(int tier) {
        return files[tier];
    }

    /** The {@link Seals#tick} of block {@code index}'s last write (or of the file's, before its table was loaded). */
    public int lastWrite(long index) {
        return table.lastWrite(index);
    }

    /** Block {@code index}'s reference now, or null for a hole. */
    public BlockRef ref(long index) {
        return table.get(index);
    }

    /**
     * Starts a move of block {@code index}: from now on a write to it spoils the move. The caller
     * then waits out the reads and writes already under way ({@link Epochs#synchronize}), copies,
     * and calls {@link #finishMove}. Null if the block is gone or is being moved already.
     */
    synchronized MoveTicket beginMove(long index) {
        BlockRef ref = table.get(index);
        if (ref == null || moves.containsKey(index)) {
            return null;
        }
        MoveTicket t = new MoveTicket(index, ref);
        moves.put(index, t);
        movesInFlight = moves.size();
        return t;
    }

    /**
     * Ends a move whose switch lives in memory only (a hot copy made): marks the block as
     * {@code moved} only if no write came since the move began and the block is still the one it
     * copied. Whether it switched.
     */
    synchronized boolean finishMove(MoveTicket t, BlockRef moved) {
        try {
            if (t.spoiled || table.get(t.index) != t.ref) {
                return false;
            }
            table.set(t.index, moved);
            return true;
        } finally {
            endMove(t); // last: until the map is switched, a write must find the ticket
        }
    }

    /**
     * Ends a check of a block's copies (a scrub), which changes nothing: whether what it read is
     * the block still, with no write since its ticket.
     */
    synchronized boolean endCheck(MoveTicket t) {
        try {
            return !t.spoiled && table.get(t.index) == t.ref;
        } finally {
            endMove(t);
        }
    }

    /** Ends a move that will not switch (it stopped early); nothing changes. */
    synchronized void cancelMove(MoveTicket t) {
        endMove(t);
    }

    /** Forgets the move's ticket, and wakes a truncation waiting for it. Call holding this. */
    private void endMove(MoveTicket t) {
        if (moves.get(t.index) == t) {
            moves.remove(t.index);
            movesInFlight = moves.size();
            notifyAll();
        }
    }

    /**
     * Waits (letting go of this object's lock meanwhile) until no block in [from, to) is being
     * moved. Freeing a block must wait for its move: once freed, its slot may be taken by a new
     * block on the tier the move is copying to, and the copy would overwrite it. A move takes
     * milliseconds; a write never waits here, only a truncation or a punch. Call holding this.
     */
    private void awaitMoves(long from, long to) {
        Monitors.awaitUntil(this, () -> moves.keySet().stream().noneMatch(i -> i >= from && i < to));
    }

    /**
     * Frees the copy of block {@code index} a move left on {@code tier} (the new copy of a move
     * that did not switch, or the old one of a move that did), unless the block lives there now:
     * the file was cut and a new block took the slot meanwhile, or its replica does. Under this
     * object's lock, so that no new block takes the slot in between.
     */
    synchronized void discardUnused(long index, int tier) throws IOException {
        BlockRef now = table.get(index);
        if (now == null || now.tier() != tier && now.replica() != tier) {
            files[tier].discard(index, index + 1);
        }
    }

    /**
     * Switches moves, seals and replicas: each block that no write came to since its ticket, and
     * that is still the block it copied, to {@code next[i]}, in one commit (synced when
     * {@code durable}: a move's, before its old copy is freed); null tickets are skipped. Which
     * switched. The tickets stay: the caller ends them ({@link #endMoves}) once it has freed what
     * it leaves behind, so that no other mover fills a slot it is about to free.
     */
    synchronized boolean[] finishChanges(MoveTicket[] tickets, BlockRef[] next, boolean durable) {
        boolean[] switched = new boolean[tickets.length];
        MetadataStore meta = store.meta();
        try (MetadataStore.Batch batch = meta.newBatch()) {
            for (int i = 0; i < tickets.length; i++) {
                MoveTicket t = tickets[i];
                switched[i] = t != null && !t.spoiled && table.get(t.index) == t.ref;
                if (switched[i]) {
                    batch.put(Keys.block(ino, t.index), next[i].encode());
                }
            }
            if (batch.size() > 0) {
                meta.commit(batch, durable);
            }
        }
        for (int i = 0; i < tickets.length; i++) {
            if (switched[i]) {
                table.set(tickets[i].index, next[i]);
                store.changed(tickets[i].ref, next[i]);
            }
        }
        return switched;
    }

    /** Ends the moves of {@code tickets}; null ones, and ones ended already, are skipped. */
    synchronized void endMoves(MoveTicket[] tickets) {
        for (MoveTicket t : tickets) {
            if (t != null) {
                endMove(t);
            }
        }
    }

    /** A write to [offset, offset+length) spoils the moves of the blocks it touches. */
    private synchronized void spoilMoves(long offset, long length) {
        for (long index = offset / blockSize; index * blockSize < offset + length; index++) {
            spoilMove(index);
        }
    }

    /** Call holding this. */
    private void spoilMove(long index) {
        MoveTicket t = moves.get(index);
        if (t != null) {
            t.spoiled = true;
        }
    }

    /** Drops the hot mark of block {@code index} (its copy is about to go); the ref it had, or null. */
    synchronized BlockRef unmarkHot(long index) {
        BlockRef ref = table.get(index);
        if (ref != null && ref.hot()) {
            table.set(index, ref.withHot(false));
        }
        return ref;
    }

    /**
     * Makes the file's data durable on its tiers.
     *
     * @return the map's change count if it has changes not yet durable (the caller syncs the metadata,
     *     then reports {@link #mapSynced}), or -1 if it has none
     */
    public long sync() throws IOException {
        // One sync at a time per file: a sync that found nothing left to do while another was
        // still under way would report success before the data is on disk, or after it failed.
        synchronized (syncLock) {
            long changes = mapChanges;
            int writes = writesSinceSync;
            if (writes > 0) {
                eagerWriteBack = writes <= EAGER_WRITES_PER_SYNC;
                writesSinceSync = 0;
            }
            for (int t = 0; t < files.length; t++) {
                syncTierFile(t);
            }
            return changes != mapChangesSynced ? changes : -1;
        }
    }

    /**
     * Makes the file's data on tier {@code tier} durable: for the application's fsync, and for a
     * move or a seal, which must not take a failure meant for the application. The kernel reports
     * a failed write-back once and then forgets it: a retried fdatasync would succeed for data it
     * dropped. So a failure sticks, and every later sync of the file, of any tier, fails with it.
     */
    void syncTierFile(int tier) throws IOException {
        synchronized (syncLock) {
            requireSyncable();
            try {
                files[tier].sync();
            } catch (IOException e) {
                syncFailure = e instanceof NativeIOException n ? n
                    : new NativeIOException("sync of inode " + ino + ": " + e.getMessage(), Errno.EIO);
                throw e;
            }
        }
    }

    /** Fails with the earlier sync failure of this file, if one failed (see {@link #syncTierFile}). */
    private void requireSyncable() throws NativeIOException {
        NativeIOException failed = syncFailure;
        if (failed != null) {
            throw new NativeIOException("inode " + ino + ": an earlier sync failed (" + failed.getMessage()
                + "); its data may not be on disk", failed.errno());
        }
    }

    /** The failure every sync of this file reports, or null if none failed. */
    public NativeIOException syncFailure() {
        return syncFailure;
    }

    /** For a file whose earlier table saw a sync fail: every sync through this one fails too. */
    public void failSyncs(NativeIOException failure) {
        syncFailure = failure;
    }

    /** The metadata holding the map's first {@code changes} changes is durable. */
    public synchronized void mapSynced(long changes) {
        mapChangesSynced = Math.max(mapChangesSynced, changes);
    }

    /** Whether anything written through this table is not yet durable (data or block map). */
    public boolean hasUnsyncedChanges() {
        if (mapChanges != mapChangesSynced) {
            return true;
        }
        for (TierFile file : files) {
            if (file.hasUnsyncedWrites()) {
                return true;
            }
        }
        return false;
    }

    /**
     * For a file whose earlier table was dropped with changes not yet durable: the next
     * {@link #sync} syncs every tier file and reports the map as changed.
     */
    public void assumeUnsynced() {
        for (TierFile file : files) {
            file.assumeUnsynced();
        }
        mapChanges++;
    }

    @Override
    public void close() {
        seals.tableDropped(ino, lastWriteTick);
        for (TierFile file : files) {
            file.close();
        }
    }
}
