package io.tierfs.block;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

/**
 * What the data path and the sealer tell each other about sealed blocks (see {@link BlockRef}):
 * the sealer's clock, which writes stamp their blocks with; the blocks that became unsealed
 * (new, or written), for the sealer to seal once they are left alone; and the checksum failures
 * reads find.
 */
public final class Seals {
    private static final Logger LOG = Logger.getLogger(Seals.class.getName());

    /** A block whose stored bytes failed its checksum, for the daemon to log with the file's path. */
    public interface BadBlockReporter {
        void report(long ino, long index, int tier, String what);
    }

    /** Advanced by the sealer, about once a second; a block's last write is stamped with it. */
    private volatile int tick = 1;
    private final ConcurrentLinkedQueue<long[]> unsealed = new ConcurrentLinkedQueue<>();
    /** The tick of the last write of each file whose table was dropped since (see {@link BlockTable}). */
    private final ConcurrentHashMap<Long, Integer> lastWriteOfDropped = new ConcurrentHashMap<>();
    private final LongAdder checksumFailures = new LongAdder();
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

    /** Block {@code index} of {@code ino} is unsealed now: a new block, or one a write unsealed. */
    void unsealed(long ino, long index) {
        unsealed.add(new long[] {ino, index});
    }

    /** The next block reported unsealed, as {ino, index}, or null. For the sealer. */
    public long[] pollUnsealed() {
        return unsealed.poll();
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
    void failed(long ino, long index, BlockRef ref, String what) {
        if (badCopies.size() < MAX_BAD_COPIES_REMEMBERED
            && badCopies.add(new BadCopy(ino, index, ref.tier(), ref.generation()))) {
            checksumFailures.increment();
            reporter.report(ino, index, ref.tier(), what);
        }
    }

    private record BadCopy(long ino, long index, int tier, long generation) {
    }
}
