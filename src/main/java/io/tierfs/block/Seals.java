package io.tierfs.block;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

/**
 * What the data path and the sealer tell each other about sealed blocks (see {@link BlockRef}):
 * the sealer's clock, which writes stamp their blocks with; the blocks that became unsealed
 * (new, or written), for the sealer to seal once they are left alone; files whose replica count
 * changed; the checksum failures reads find, and the bad copies of replicated blocks, for the
 * sealer to rewrite from their good copy.
 */
public final class Seals {
    private static final Logger LOG = Logger.getLogger(Seals.class.getName());

    /** A block whose stored bytes failed its checksum, for the daemon to log with the file's path. */
    public interface BadBlockReporter {
        void report(long ino, long index, int tier, String what);
    }

    /** Advanced by the sealer, about once a second; a block's last write is stamped with it. */
    private volatile int tick = 1;
    private final ConcurrentLinkedQueue<long[]> review = new ConcurrentLinkedQueue<>();
    /** The tick of the last write of each file whose table was dropped since (see {@link BlockTable}). */
    private final ConcurrentHashMap<Long, Integer> lastWriteOfDropped = new ConcurrentHashMap<>();
    private final LongAdder checksumFailures = new LongAdder();
    private final LongAdder replicaReads = new LongAdder();
    private final LongAdder repaired = new LongAdder();
    private final ConcurrentLinkedQueue<FileChange> filesChanged = new ConcurrentLinkedQueue<>();
    /** Bad copies waiting for the sealer to rewrite them, once each. */
    private final ConcurrentLinkedQueue<BadCopy> repairs = new ConcurrentLinkedQueue<>();
    private final Set<BadCopy> repairsWaiting = ConcurrentHashMap.newKeySet();
    private static final int MAX_BAD_COPIES_REMEMBERED = 100_000;
    private final Set<BadCopy> badCopies = ConcurrentHashMap.newKeySet();
    private volatile BadBlockReporter reporter = (ino, index, tier, what) ->
        LOG.severe("inode " + ino + " block " + index + " on tier " + tier + ": " + what);

    public int tick() {
        return tick;
    }

    /** The sealer's clock moves on. */
    public void advance() {
        tick++;
    }

    /**
     * Block {@code index} of {@code ino} needs the sealer's look: unsealed now (a new block, or one
     * a write unsealed), or sealed by a move and maybe due a replica.
     */
    void review(long ino, long index) {
        review.add(new long[] {ino, index});
    }

    /** The next block to look at, as {ino, index}, or null. For the sealer. */
    public long[] pollReview() {
        return review.poll();
    }

    void tableDropped(long ino, int lastWriteTick) {
        if (lastWriteTick > 0) {
            lastWriteOfDropped.merge(ino, lastWriteTick, Math::max);
        }
    }

    /** The tick of {@code ino}'s last write before its table was dropped, 0 if long ago. */
    int lastWriteOfDropped(long ino) {
        Integer t = lastWriteOfDropped.get(ino);
        return t == null ? 0 : t;
    }

    /** Forgets the dropped tables' writes from before {@code tick}: their blocks are idle. */
    public void forgetWritesBefore(int tick) {
        lastWriteOfDropped.values().removeIf(t -> t < tick);
    }

    public void setReporter(BadBlockReporter reporter) {
        this.reporter = reporter;
    }

    /** Copies of blocks whose stored bytes failed their checksums when read, since the mount. */
    public long checksumFailures() {
        return checksumFailures.sum();
    }

    /**
     * A read found the stored bytes of block {@code index} of {@code ino} failing their checksum.
     * Counted and reported once per copy (its record's generation): the migrator, or a reader
     * trying again, finds the same bad copy again until it is repaired.
     */
    void failed(long ino, long index, BlockRef ref, int tier, String what) {
        if (badCopies.size() < MAX_BAD_COPIES_REMEMBERED
            && badCopies.add(new BadCopy(ino, index, tier, ref.generation()))) {
            checksumFailures.increment();
            reporter.report(ino, index, tier, what);
        }
    }

    /**
     * A read of block {@code index} of {@code ino} was served from its replica because its own
     * copy failed ({@code what}): reported as a bad copy, and handed to the sealer to rewrite.
     */
    void servedFromReplica(long ino, long index, BlockRef ref, String what) {
        replicaReads.increment();
        failed(ino, index, ref, ref.tier(), what + "; served from its replica, and rewritten from it");
        needsRepair(new BadCopy(ino, index, ref.tier(), ref.generation()));
    }

    /** The copy of a replicated block on {@code copy.tier} failed its checksums: the sealer rewrites it from the other. */
    void needsRepair(BadCopy copy) {
        if (repairsWaiting.size() < MAX_BAD_COPIES_REMEMBERED && repairsWaiting.add(copy)) {
            repairs.add(copy);
        }
    }

    /** The next bad copy to rewrite, or null. For the sealer. */
    public BadCopy pollRepair() {
        return repairs.poll();
    }

    /** The sealer is done with {@code copy}: rewritten from the good one ({@code rewritten}), or found changed or unrecoverable. */
    public void repairDone(BadCopy copy, boolean rewritten) {
        repairsWaiting.remove(copy);
        if (rewritten) {
            repaired.increment();
            LOG.warning("inode " + copy.ino() + " block " + copy.index() + ": its bad copy on tier " + copy.tier()
                + " was rewritten from its replica");
        }
    }

    /** Reads served from a replica because the block's own copy failed, since the mount. */
    public long replicaReads() {
        return replicaReads.sum();
    }

    /** Bad copies rewritten from their good replica, since the mount. */
    public long repaired() {
        return repaired.sum();
    }

    /**
     * File {@code ino}'s replica count (user.tierfs.replicas) changed, or its compression choice
     * (user.tierfs.compress, {@code compression}): the sealer makes or drops its replicas, or
     * compresses its sealed blocks again.
     */
    public void fileChanged(long ino, boolean compression) {
        filesChanged.add(new FileChange(ino, compression));
    }

    /** The next file whose replica count or compression changed, or null. For the sealer. */
    public FileChange pollFileChanged() {
        return filesChanged.poll();
    }

    /** A file whose replica count or, if {@code compression}, compression choice changed. */
    public record FileChange(long ino, boolean compression) {
    }

    /** One copy of a block (its own tier's or its replica's), by the generation of the record that named it. */
    public record BadCopy(long ino, long index, int tier, long generation) {
    }
}
