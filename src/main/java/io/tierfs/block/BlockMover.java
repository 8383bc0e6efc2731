package io.tierfs.block;

import io.tierfs.codec.Codec;
import io.tierfs.codec.CompressionChoice;
import io.tierfs.meta.Keys;
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
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(BlockMover.class.getName());
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
     * than a copy, on a slow disk most of all. A block with a replica on {@code to} is read from
     * there from now on, its own copy becoming the replica: no copy, once the replica's bytes
     * are checked (the replica keeps the form of the copy it was made from, raw or compressed).
     *
     * @return how many blocks moved (a block gone, already there, failing its checksum, or
     *     written meanwhile stays)
     */
    public int moveAll(FileBlocks file, long[] indexes, int n, int to) throws IOException {
        FileBlocks.MoveTicket[] tickets = begin(file, indexes, n, ref -> ref.tier() != to);
        BlockRef[] next = new BlockRef[n];
        boolean[] switched = new boolean[n];
        TierFile dest = file.tierFile(to);
        CompressionChoice choice = store.compresses(to) ? compressionOf(file) : CompressionChoice.AUTO;
        try {
            store.epochs().synchronize(); // writes that began before the tickets are done
            boolean slotsAreHoles = store.tier(to).features().punchHole();
            for (int i = 0; i < n; i++) {
                if (tickets[i] != null && tickets[i].ref.replica() == to) {
                    BlockRef ref = tickets[i].ref;
                    if (storedIntact(file, ref, to, indexes[i])) {
                        next[i] = ref.swapped();
                    } else {
                        // the block stays where it is read from; its bad replica is rewritten from there
                        store.seals().needsRepair(new Seals.BadCopy(file.ino(), indexes[i], to, ref.generation()));
                        file.cancelMove(tickets[i]);
                        tickets[i] = null;
                    }
                } else if (tickets[i] != null) {
                    if (!readIntact(file, tickets[i].ref, indexes[i])) {
                        file.cancelMove(tickets[i]);
                        tickets[i] = null;
                        continue;
                    }
                    next[i] = writeSealed(file, dest, tickets[i].ref.onTier(to), indexes[i], slotsAreHoles, choice);
                }
            }
            file.syncTierFile(to); // the copies are durable before the map points at them
            for (int i = 0; i < n; i++) {
                if (tickets[i] != null && tickets[i].ref.replica() != to) {
                    dest.dropCache(indexes[i], 0, blockSize); // clean now: a block moved is cold where it lands
                }
            }
            switched = file.finishChanges(tickets, next, true);
            int moved = count(switched);
            if (moved > 0) {
                store.epochs().synchronize(); // reads that found the old places are done
                for (int i = 0; i < n; i++) {
                    if (switched[i]) {
                        // unless the old copy is the replica now
                        file.discardUnused(indexes[i], tickets[i].ref.tier());
                        if (tickets[i].ref.replica() >= 0) {
                            file.discardUnused(indexes[i], tickets[i].ref.replica());
                        }
                        store.seals().review(file.ino(), indexes[i]); // sealed now: a replica may be due
                    }
                }
            }
        } finally {
            for (int i = 0; i < n; i++) {
                if (tickets[i] != null && !switched[i]) {
                    file.discardUnused(indexes[i], to); // unless it is the replica still
                }
            }
            file.endMoves(tickets); // last: a slot freed under a ticket is one no other mover is filling
        }
        int moved = count(switched);
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
    private BlockRef writeSealed(FileBlocks file, TierFile dest, BlockRef moved, long index, boolean slotIsHole,
                                 CompressionChoice choice) throws IOException {
        BlockRef raw = moved.compressed() ? moved.expanded(blockSize) : moved;
        CompressedBlocks.Compressed c = store.compresses(moved.tier())
            ? store.compressed().compress(file.ino(), index, bufferView, () -> fileHead(file), choice) : null;
        if (c == null || c.codec() == Codec.NONE) {
            int[] pageSums = sums.of(buffer, blockSize);
            writeCopy(dest, slotIsHole, index);
            verify(file, dest, index, pageSums, moved.tier());
            BlockRef sealed = raw.sealedWith(pageSums);
            return c != null && c.contentClass() >= 0 ? sealed.classifiedAs(c.contentClass()) : sealed;
        }
        dest.writeNew(index, 0, c.address(), c.storedLength());
        dest.read(index, 0, buffer, c.storedLength()); // the raw block is not needed any more
        if (sums.sum(buffer, c.storedLength()) != c.checksum()) {
            throw new IOException("compressed block " + index + " of inode " + file.ino() + " read back from tier "
                + moved.tier() + " differs from what was written there");
        }
        BlockRef compressed = raw.compressedAs(c.codec().id, c.storedLength(), c.checksum());
        return c.contentClass() >= 0 ? compressed.classifiedAs(c.contentClass()) : compressed;
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
        FileBlocks.MoveTicket[] tickets = begin(file, indexes, n, ref -> !ref.sealed() && !ref.compressed());
        BlockRef[] next = new BlockRef[n];
        boolean[] switched = new boolean[n];
        try {
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
            file.endMoves(tickets);
        }
        return count(switched);
    }

    /**
     * Gives the first {@code n} of {@code indexes}, sealed blocks of {@code file} (a file with two
     * replicas), a replica: their stored bytes, checked against their checksums, are copied as
     * they are into their slots on another directory tier ({@link #replicaTier}), read back and
     * checked, the tier file synced, and the records switched in one commit for each block no write
     * came to meanwhile (unsynced: a replica lost in a crash is made again). A block whose own copy
     * fails is left (reported); so are blocks with a replica, unsealed (sealed first), gone, or with
     * no room for a replica.
     *
     * @return how many blocks got a replica
     */
    public int replicateAll(FileBlocks file, long[] indexes, int n) throws IOException {
        return replicate(file, indexes, n, -1);
    }

    /** {@link #replicateAll}, onto tier {@code onTier} if it is not -1: a slot just freed there, whose room is the replica's. */
    private int replicate(FileBlocks file, long[] indexes, int n, int onTier) throws IOException {
        FileBlocks.MoveTicket[] tickets = begin(file, indexes, n, ref -> ref.sealed() && ref.replica() < 0);
        BlockRef[] next = new BlockRef[n];
        boolean[] switched = new boolean[n];
        int[] to = new int[n];
        try {
            for (int i = 0; i < n; i++) {
                to[i] = tickets[i] == null ? -1 : onTier >= 0 ? onTier : replicaTier(tickets[i].ref.tier());
                // a repair's tier may since have become the block's own (a move between its
                // ticket and this one): a "replica" in its own slot would be dropped, slot and
                // all, by the next write
                if (tickets[i] != null && (to[i] < 0 || to[i] == tickets[i].ref.tier())) {
                    file.cancelMove(tickets[i]);
                    tickets[i] = null;
                }
            }
            store.epochs().synchronize(); // writes that began before the tickets are done
            boolean[] wrote = new boolean[store.tierCount()];
            for (int i = 0; i < n; i++) {
                BlockRef ref = tickets[i] == null ? null : tickets[i].ref;
                if (ref == null || !storedIntact(file, ref, ref.tier(), indexes[i])) {
                    continue;
                }
                TierFile dest = file.tierFile(to[i]);
                if (ref.compressed()) {
                    dest.writeNew(indexes[i], 0, buffer, ref.storedLength());
                } else {
                    writeCopy(dest, store.tier(to[i]).features().punchHole(), indexes[i]);
                }
                if (!storedIntact(file, ref, to[i], indexes[i])) {
                    throw new IOException("replica of block " + indexes[i] + " of inode " + file.ino()
                        + " read back from tier " + to[i] + " differs from what was written there");
                }
                next[i] = ref.withReplica(to[i]);
                wrote[to[i]] = true;
            }
            for (int t = 0; t < wrote.length; t++) {
                if (wrote[t]) {
                    file.syncTierFile(t); // the replicas are durable before the map points at them
                }
            }
            for (int i = 0; i < n; i++) {
                if (next[i] != null) {
                    file.tierFile(to[i]).dropCache(indexes[i], 0, blockSize); // read only if the block's own copy fails
                } else if (tickets[i] != null) {
                    file.cancelMove(tickets[i]);
                    tickets[i] = null;
                }
            }
            switched = file.finishChanges(tickets, next, false);
        } finally {
            for (int i = 0; i < n; i++) {
                if (tickets[i] != null && !switched[i]) {
                    file.discardUnused(indexes[i], to[i]);
                }
            }
            file.endMoves(tickets);
        }
        return count(switched);
    }

    /**
     * The directory tier for a replica of a block on {@code tier}: the next slower one, or for the
     * last tier the one before it, if it has room for a block below its high watermark (taken
     * now). -1 if there is none.
     */
    private int replicaTier(int tier) {
        int other = tier + 1 < store.tierCount() ? tier + 1 : tier - 1;
        return other >= 0 && store.roomForReplica(other) ? other : -1;
    }

    /**
     * Drops one copy of each of the first {@code n} of {@code indexes} (a file back to one
     * replica): the replica, or the block's own copy if that one fails its checksums and the
     * replica does not (a block with two bad copies keeps both). The records naming one copy are
     * committed, synced, before the other's slot is freed.
     *
     * @return how many copies were dropped
     */
    public int dropReplicas(FileBlocks file, long[] indexes, int n) throws IOException {
        FileBlocks.MoveTicket[] tickets = begin(file, indexes, n, ref -> ref.replica() >= 0);
        BlockRef[] next = new BlockRef[n];
        store.epochs().synchronize(); // writes that began before the tickets are done
        for (int i = 0; i < n; i++) {
            BlockRef ref = tickets[i] == null ? null : tickets[i].ref;
            if (ref != null && storedIntact(file, ref, ref.tier(), indexes[i])) {
                next[i] = ref.onlyOn(ref.tier());
            } else if (ref != null && storedIntact(file, ref, ref.replica(), indexes[i])) {
                next[i] = ref.onlyOn(ref.replica());
            } else if (ref != null) {
                file.cancelMove(tickets[i]);
                tickets[i] = null;
            }
        }
        boolean[] switched = new boolean[n];
        try {
            switched = file.finishChanges(tickets, next, true);
            store.epochs().synchronize(); // reads that might use the dropped copies are done
            for (int i = 0; i < n; i++) {
                if (switched[i]) {
                    int other = next[i].tier() == tickets[i].ref.tier() ? tickets[i].ref.replica() : tickets[i].ref.tier();
                    file.discardUnused(indexes[i], other);
                }
            }
        } finally {
            file.endMoves(tickets);
        }
        return count(switched);
    }

    /**
     * Rewrites {@code bad}, a copy of a replicated block that failed its checksums, from the
     * block's other copy: the good copy is checked, the record switched (synced) to name it alone,
     * the bad slot freed once no read can be using it, and a new replica made there
     * ({@link #replicateAll}). Nothing happens if the block changed since the copy was found bad
     * (written, moved, or being moved: a later read finds a copy still bad again).
     *
     * @return whether the bad copy was rewritten
     */
    public boolean repair(FileBlocks file, Seals.BadCopy bad) throws IOException {
        FileBlocks.MoveTicket t = file.beginMove(bad.index());
        if (t == null) {
            return false;
        }
        BlockRef ref = t.ref;
        FileBlocks.MoveTicket[] ticket = {t};
        try {
            if (ref.generation() != bad.generation() || ref.replica() < 0
                || bad.tier() != ref.tier() && bad.tier() != ref.replica()
                || store.tier(bad.tier()).unavailableReason() != null) {
                return false; // changed since, or its tier is gone: nothing to write to
            }
            int good = bad.tier() == ref.tier() ? ref.replica() : ref.tier();
            store.epochs().synchronize();
            if (!storedIntact(file, ref, good, bad.index())
                || !file.finishChanges(ticket, new BlockRef[] {ref.onlyOn(good)}, true)[0]) {
                return false; // both copies bad (reads fail with EIO, the copies stay), or a write came
            }
            store.epochs().synchronize(); // reads that found the bad copy are done
            file.discardUnused(bad.index(), bad.tier());
        } finally {
            file.endMoves(ticket);
        }
        return replicate(file, new long[] {bad.index()}, 1, bad.tier()) == 1;
    }

    /**
     * Compresses in place those of the first {@code n} of {@code indexes} that are sealed raw
     * blocks of {@code file} on a tier that compresses, without a replica and, unless the file
     * names its codec, not classified since their last write (a block the classifier already
     * judged stays as it was judged): written there, not moved, they were never compressed. Each
     * is read and checked against its page sums, compressed by its content or its file's choice,
     * and rewritten in its slot if that pays ({@link FileBlocks#compressInPlace}). One block at a
     * time: each holds its file's lock while its slot is rewritten.
     *
     * @return how many blocks were compressed
     */
    public int compressInPlace(FileBlocks file, long[] indexes, int n) throws IOException {
        int done = 0;
        CompressionChoice choice = compressionOf(file);
        for (int i = 0; i < n; i++) {
            FileBlocks.MoveTicket[] ticket = {file.beginMove(indexes[i])};
            try {
                BlockRef ref = ticket[0] == null ? null : ticket[0].ref;
                if (ref == null || !ref.sealed() || ref.compressed() || ref.replica() >= 0
                    || ref.contentClass() >= 0 && choice == CompressionChoice.AUTO || !store.compresses(ref.tier())) {
                    continue;
                }
                store.epochs().synchronize(); // writes that began before the ticket are done
                if (!storedIntact(file, ref, ref.tier(), indexes[i])) {
                    continue;
                }
                CompressedBlocks.Compressed c = store.compressed().compress(file.ino(), indexes[i], bufferView,
                    () -> fileHead(file), choice);
                if (c.codec() == Codec.NONE) {
                    continue;
                }
                BlockRef next = ref.compressedAs(c.codec().id, c.storedLength(), c.checksum());
                next = c.contentClass() >= 0 ? next.classifiedAs(c.contentClass()) : next;
                done += file.compressInPlace(ticket[0], next, bufferView, buffer, c.address()) ? 1 : 0;
            } finally {
                file.endMoves(ticket);
            }
        }
        return done;
    }

    /**
     * Compresses again, by their file's choice (user.tierfs.compress, just changed), those of the
     * first {@code n} of {@code indexes} that are sealed blocks of {@code file} without a replica:
     * one stored by a codec the choice does not name is rewritten raw in its slot ({@link
     * FileBlocks#expandForRecompression}), unsealed, for the sealer to seal and compress as any
     * idle block; a raw one is compressed in place ({@link #compressInPlace}). A level alone is not
     * told from the record: a block of the same codec stays as it is. The choice {@code auto}
     * leaves compressed blocks as the classifier judged them.
     *
     * @return how many blocks were rewritten raw or compressed
     */
    public int recompress(FileBlocks file, long[] indexes, int n) throws IOException {
        CompressionChoice choice = compressionOf(file);
        int expanded = 0;
        for (int i = 0; i < n && choice != CompressionChoice.AUTO; i++) {
            FileBlocks.MoveTicket[] ticket = {file.beginMove(indexes[i])};
            try {
                BlockRef ref = ticket[0] == null ? null : ticket[0].ref;
                if (ref != null && ref.compressed() && ref.replica() < 0 && ref.codec() != choice.codec().id
                    && file.expandForRecompression(ticket[0])) {
                    expanded++;
                }
            } finally {
                file.endMoves(ticket);
            }
        }
        return expanded + compressInPlace(file, indexes, n);
    }

    private CompressionChoice compressionOf(FileBlocks file) {
        return CompressionChoice.of(store.meta().get(Keys.xattr(file.ino(), COMPRESS)));
    }

    /** What a scrub found of one block ({@link #scrubAll}). */
    public enum Verdict {
        /** Every copy matches its checksums. */
        INTACT,
        /** A copy failed, and was rewritten from the other. */
        REPAIRED,
        /** A copy failed and the other did not, but the block changed before the bad one could be rewritten. */
        BAD,
        /** No copy matches: reads of the block fail with EIO. */
        UNRECOVERABLE,
        /** Not checked: unsealed, gone, being moved, or written meanwhile. */
        SKIPPED
    }

    /**
     * Verifies the first {@code n} of {@code indexes}, blocks of {@code file}: each copy of each
     * sealed one (its own and its replica) is read whole and checked against its checksums,
     * holding the block's ticket, so that a write meanwhile makes it {@link Verdict#SKIPPED}
     * rather than a false failure. A bad copy is reported as a read's is; one whose twin is good
     * is rewritten from it ({@link #repair}).
     */
    public Verdict[] scrubAll(FileBlocks file, long[] indexes, int n) throws IOException {
        Verdict[] verdicts = new Verdict[n];
        // a copy on a tier that is gone is not judged (taken as good: a bad twin is then BAD, not
        // UNRECOVERABLE, and cannot be rewritten from it); a block with no copy here is skipped
        FileBlocks.MoveTicket[] tickets = begin(file, indexes, n, ref -> ref.sealed()
            && (available(ref.tier()) || ref.replica() >= 0 && available(ref.replica())));
        boolean[] ownIntact = new boolean[n];
        boolean[] twinIntact = new boolean[n];
        boolean[] unchanged = new boolean[n];
        try {
            store.epochs().synchronize(); // writes that began before the tickets are done
            for (int i = 0; i < n; i++) {
                if (tickets[i] != null) {
                    BlockRef ref = tickets[i].ref;
                    ownIntact[i] = !available(ref.tier()) || storedIntact(file, ref, ref.tier(), indexes[i]);
                    twinIntact[i] = ref.replica() >= 0
                        && (!available(ref.replica()) || storedIntact(file, ref, ref.replica(), indexes[i]));
                    unchanged[i] = file.endCheck(tickets[i]);
                    tickets[i] = null;
                }
            }
        } finally {
            file.endMoves(tickets);
        }
        for (int i = 0; i < n; i++) {
            verdicts[i] = unchanged[i] ? judge(file, indexes[i], ownIntact[i], twinIntact[i]) : Verdict.SKIPPED;
        }
        return verdicts;
    }

    /** What a scrub makes of a block whose copies were found as they are: one bad copy with a good twin is rewritten. */
    private Verdict judge(FileBlocks file, long index, boolean ownIntact, boolean twinIntact) {
        BlockRef ref = file.ref(index);
        if (ref == null || ownIntact && (twinIntact || ref.replica() < 0)) {
            return ref == null ? Verdict.SKIPPED : Verdict.INTACT;
        }
        if (!ownIntact && !twinIntact) {
            return Verdict.UNRECOVERABLE;
        }
        if (!available(ownIntact ? ref.tier() : ref.replica())) {
            return Verdict.BAD; // its good copy is out of reach (not checked): a later scrub repairs it
        }
        Seals.BadCopy copy = new Seals.BadCopy(file.ino(), index, ownIntact ? ref.replica() : ref.tier(), ref.generation());
        boolean rewritten = false;
        try {
            rewritten = repair(file, copy);
        } catch (IOException | RuntimeException e) {
            LOG.warning("scrub: rewriting the bad copy of block " + index + " of inode " + file.ino() + " on tier "
                + copy.tier() + " failed: " + e);
        } finally {
            store.seals().repairDone(copy, rewritten);
            if (!rewritten) {
                store.seals().review(file.ino(), index); // its replica, if it lost it, is made again later
            }
        }
        return rewritten ? Verdict.REPAIRED : Verdict.BAD;
    }

    /**
     * Reads the stored bytes of block {@code index}'s copy on {@code tier} (its own or its
     * replica's) into the buffer, as they are, and checks them against its checksums: the page
     * sums of a raw block, the checksum of a compressed one's stored bytes. A copy that fails (or
     * whose tier fails the read) is reported; what to do with it is the caller's choice.
     */
    private boolean storedIntact(FileBlocks file, BlockRef ref, int tier, long index) {
        boolean intact;
        try {
            file.tierFile(tier).read(index, 0, buffer, ref.storedLength());
            intact = ref.compressed() ? sums.sum(buffer, ref.storedLength()) == ref.checksum()
                : Arrays.equals(sums.of(buffer, ref.storedLength()), ref.pageSums());
        } catch (IOException e) {
            intact = false;
        }
        if (!intact && file.ref(index) == ref) {
            store.seals().failed(file.ino(), index, ref, tier, "stored bytes fail their checksum (found by a move, a replica or a scrub)");
        }
        return intact;
    }

    /**
     * Begins moves of the first {@code n} of {@code indexes}, keeping the tickets of the blocks
     * {@code wanted} accepts; the others (and blocks gone or being moved) get null.
     */
    private static FileBlocks.MoveTicket[] begin(FileBlocks file, long[] indexes, int n,
                                                 java.util.function.Predicate<BlockRef> wanted) {
        FileBlocks.MoveTicket[] tickets = new FileBlocks.MoveTicket[n];
        for (int i = 0; i < n; i++) {
            FileBlocks.MoveTicket t = file.beginMove(indexes[i]);
            if (t != null && wanted.test(t.ref)) {
                tickets[i] = t;
            } else if (t != null) {
                file.cancelMove(t);
            }
        }
        return tickets;
    }

    private boolean available(int tier) {
        return store.tier(tier).unavailableReason() == null;
    }

    private static int count(boolean[] switched) {
        int n = 0;
        for (boolean s : switched) {
            n += s ? 1 : 0;
        }
        return n;
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
    private static final byte[] COMPRESS = CompressionChoice.ATTRIBUTE.getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @Override
    public void close() {
        Memory.free(buffer);
        Memory.free(head);
    }
}
