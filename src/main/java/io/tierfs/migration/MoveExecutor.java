package io.tierfs.migration;

import io.tierfs.block.BlockMover;
import io.tierfs.block.BlockRef;
import io.tierfs.block.BlockStore;
import io.tierfs.block.FileBlocks;
import io.tierfs.namespace.FsException;
import io.tierfs.namespace.Inode;
import io.tierfs.namespace.Inodes;
import io.tierfs.placement.BlockKeys;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Carries out the migrator's decisions, a file at a time: hot copies made and dropped one by one
 * (in memory), moves between the directory tiers in batches ({@link BlockMover#moveAll}: one sync
 * and one commit for many blocks), at most at the configured rate. Migrator thread only.
 */
final class MoveExecutor {
    static final int SSD = 0, HDD = 1, HOT = 2;

    private final BlockStore store;
    private final Inodes inodes;
    private final BlockKeys keys;
    private final BlockMover mover;
    private final RateLimiter limiter;
    private final MigrationStats stats;
    private final int hotLevel;
    private final int ssdLevel;
    /** Keys of hot blocks whose own copy is on ssd, oldest first: what goes down when ssd needs room. */
    final LinkedHashSet<Long> hotOnSsd = new LinkedHashSet<>();
    /**
     * Keys of blocks the policy sent down to hdd whose copy is still on ssd, oldest decision first.
     * They go down only when the ssd tier needs the room (for a block coming up, or to get back
     * under its low watermark after new writes): a move down costs a write of the slow disk, and
     * until then ssd serves them if they are read again.
     */
    final LinkedHashSet<Long> demotable = new LinkedHashSet<>();
    /** Blocks of the ssd tier kept free: its share above the low watermark. */
    private final long ssdReserve;
    /** Blocks of room on ssd made ahead for blocks coming up: {@link #ROOM_AHEAD}, or 1/32 of a small tier. */
    private final long roomAhead;
    /** The rate allowed no more this round. */
    boolean throttled;

    MoveExecutor(BlockStore store, Inodes inodes, BlockKeys keys, RateLimiter limiter, MigrationStats stats,
                 int hotLevel, int ssdLevel, int lowWatermark) throws IOException {
        this.store = store;
        this.inodes = inodes;
        this.keys = keys;
        this.mover = new BlockMover(store);
        this.limiter = limiter;
        this.stats = stats;
        stats.copiedFromReads = mover::fetchedCopies;
        this.hotLevel = hotLevel;
        this.ssdLevel = ssdLevel;
        long ssdBlocks = store.tier(SSD).capacityBytes() / store.blockSize();
        this.ssdReserve = ssdBlocks * (100 - lowWatermark) / 100;
        this.roomAhead = Math.min(ROOM_AHEAD, ssdBlocks / 32);
    }

    /**
     * Puts the blocks {@code blockKeys}, all of inode {@code ino}, where {@code level} says.
     * {@code done} hears of each that is there now (or is gone, or failed: it is not tried again);
     * {@code gone} of each that no longer exists. The rest stay to be tried later.
     */
    void carryOut(long ino, List<Long> blockKeys, int level, LongConsumer done, LongConsumer gone,
                  Decisions decisions) {
        Inode inode;
        try {
            inode = inodes.get(ino);
        } catch (FsException e) {
            blockKeys.forEach(key -> {
                gone.accept(key);
                done.accept(key);
            });
            return;
        }
        FileBlocks file = inodes.open(inode);
        try {
            place(file, blockKeys, level, done, gone, decisions);
        } catch (IOException e) {
            blockKeys.forEach(done::accept);
            throw new MoveFailure("moving blocks of inode " + ino, e);
        } finally {
            inodes.close(inode);
        }
    }

    /** What the migrator knows of its pending decisions, which says which moves may wait. */
    interface Decisions {
        /** Whether the decision is the policy's, from accesses, rather than a pin's or one carried over. */
        boolean guessed(long key);

        /**
         * Whether the block earned a move up: read since the decision, or ranked into its
         * level's main region by its frequency rather than only let into its admission window.
         */
        boolean earned(long key);

        /** The block's move up waits for its next read, which fetches its bytes. */
        void awaitRead(long key);
    }

    /**
     * A move of the policy's may wait when the slow disk would pay for it: a block comes up from
     * hdd only once it earned it (read again since the decision, or ranked by its frequency: the
     * evidence that the move will pay for itself), and with bytes at hand that cost the slow disk no read of its own, its hot copy or
     * what that read fetched ({@link io.tierfs.block.FetchedBlocks}); else it waits for its next
     * read. Read from the slow disk for the move, copies up spent most of the emulated 200-IOPS
     * disk (14,500 in a 240 s zipf run). One sent down from ssd waits in {@link #demotable} until
     * the room is needed. A pin's move is carried out at once.
     */
    private void place(FileBlocks file, List<Long> blockKeys, int level, LongConsumer done, LongConsumer gone,
                       Decisions decisions) throws IOException {
        int target = level == hotLevel || level == ssdLevel ? SSD : HDD;
        long[] indexes = new long[blockKeys.size()];
        long[] moving = new long[blockKeys.size()];
        int n = 0;
        for (long key : blockKeys) {
            long index = keys.indexOf(key);
            BlockRef ref = file.ref(index);
            if (ref == null) {
                gone.accept(key);
                done.accept(key);
            } else if (ref.tier() == HDD && target == SSD && decisions.guessed(key)
                       && !(decisions.earned(key) && (ref.hot() || fetched(key, index)))) {
                if (level != hotLevel) {
                    dropHotCopy(file, key, index); // the policy gave its hot room to another block
                }
                decisions.awaitRead(key);
            } else if (level == hotLevel) {
                if (!throttled && toHot(file, key, index, ref)) {
                    done.accept(key);
                }
            } else if (ref.tier() == target) {
                dropHotCopy(file, key, index);
                done.accept(key);
            } else if (target == HDD && decisions.guessed(key)) {
                dropHotCopy(file, key, index); // the policy gave its hot room to another block
                demotable.add(key);
                done.accept(key);
            } else {
                indexes[n] = index;
                moving[n++] = key;
            }
        }
        int affordable = Math.min(affordable(Math.min(n, room(target, n))), n);
        if (affordable > 0) {
            // a block with a hot copy is copied from it, so its hot copy goes only after the move
            mover.moveAll(file, indexes, affordable, target);
        }
        for (int i = 0; i < n; i++) {
            BlockRef ref = file.ref(indexes[i]);
            boolean moved = i < affordable && ref != null && ref.tier() == target;
            if (i < affordable) {
                if (moved) {
                    stats.moved(1 - target, target, store.blockSize());
                    (target == SSD ? stats.promotions : stats.demotions).increment();
                } else {
                    stats.spoiledByWrites.increment(); // a write came: tried again later
                }
            }
            // out of the hot tier now, moved or not: the policy gave its room to another block
            dropHotCopy(file, moving[i], indexes[i]);
            if (moved) {
                done.accept(moving[i]);
            }
        }
    }

    /** Whether a read fetched the block a moment ago: moving it up then costs the slow disk nothing. */
    private boolean fetched(long key, long index) {
        return store.fetched() != null && store.fetched().holds(keys.inoOf(key), index);
    }

    private void dropHotCopy(FileBlocks file, long key, long index) {
        BlockRef ref = file.ref(index);
        if (ref != null && ref.hot()) {
            mover.evict(file, index);
            hotOnSsd.remove(key);
            stats.demotions.increment();
        }
    }

    /** Makes a hot copy of the block, from wherever its own copy is. Whether it is hot now. */
    private boolean toHot(FileBlocks file, long key, long index, BlockRef ref) throws IOException {
        if (ref.hot()) {
            return true;
        }
        if (affordable(1) == 0) {
            return false;
        }
        BlockMover.Promotion p = mover.promote(file, index);
        if (p == BlockMover.Promotion.SPOILED) {
            stats.spoiledByWrites.increment();
        } else if (p == BlockMover.Promotion.DONE) {
            stats.promotions.increment();
            stats.moved(ref.tier(), HOT, store.blockSize());
            if (ref.tier() == SSD) {
                hotOnSsd.add(key);
            }
        }
        return p == BlockMover.Promotion.DONE;
    }

    /** How many of {@code wanted} blocks the rate allows now; none sets {@link #throttled}. */
    private int affordable(int wanted) {
        for (int n = wanted; n > 0; n /= 2) {
            if (limiter.tryAcquire((long) n * store.blockSize())) {
                return n;
            }
        }
        throttled = wanted > 0;
        return 0;
    }

    /**
     * How many of {@code wanted} blocks directory tier {@code t} has room for. On ssd that is room
     * below the low watermark, made by moving down first the own copies of hot blocks (their hot
     * copy serves their reads), then the blocks the policy sent down ({@link #demotable}).
     */
    private int room(int t, int wanted) throws IOException {
        if (t != SSD) {
            return (int) Math.min(wanted, store.freeBlocks(t));
        }
        long short_ = wanted - roomOnSsd();
        if (short_ > 0) {
            makeRoomOnSsd(short_);
        }
        return (int) Math.max(0, Math.min(wanted, roomOnSsd()));
    }

    /** The block is gone: nothing of it is left to move down. */
    void forget(long key) {
        hotOnSsd.remove(key);
        demotable.remove(key);
    }

    /**
     * Moves blocks down until the ssd tier is under its low watermark again (new writes fill it
     * up to the high one) with {@link #roomAhead} blocks to spare. Done at the end of a round,
     * so that the blocks coming up next round find their room made: made then, the moves down
     * (a write of the slow disk each, and its sync) came between a block's read and its move up,
     * and a quarter of the blocks coming up had left {@code FetchedBlocks} by then and were read
     * from the slow disk again.
     */
    boolean keepSsdReserve() throws IOException {
        long short_ = roomAhead - roomOnSsd();
        return short_ > 0 && makeRoomOnSsd(short_) > 0;
    }

    /** Blocks of room on ssd made ahead for blocks coming up, at most (4 MiB at 128 KiB blocks). */
    private static final int ROOM_AHEAD = 32;

    private long roomOnSsd() {
        return store.freeBlocks(SSD) - ssdReserve;
    }

    /** Moves up to {@code blocks} blocks from ssd to hdd, a batch per file; how many moved. */
    private int makeRoomOnSsd(long blocks) throws IOException {
        int moved = moveDown(hotOnSsd, blocks, true);
        return moved + (moved < blocks ? moveDown(demotable, blocks - moved, false) : 0);
    }

    /**
     * Moves down up to {@code blocks} blocks taken off the head of {@code from}, as the rate and
     * hdd's room allow; with {@code onlyHot}, only those that still have a hot copy.
     */
    private int moveDown(LinkedHashSet<Long> from, long blocks, boolean onlyHot) throws IOException {
        Map<Long, List<Long>> byFile = new LinkedHashMap<>();
        long room = Math.min(blocks, store.freeBlocks(HDD));
        int taken = 0;
        for (Iterator<Long> it = from.iterator(); it.hasNext() && taken < room && affordable(1) == 1; taken++) {
            long key = it.next();
            it.remove();
            byFile.computeIfAbsent(keys.inoOf(key), ino -> new ArrayList<>()).add(key);
        }
        int moved = 0;
        for (Map.Entry<Long, List<Long>> f : byFile.entrySet()) {
            moved += moveFileDown(f.getKey(), f.getValue(), onlyHot);
        }
        return moved;
    }

    private int moveFileDown(long ino, List<Long> blockKeys, boolean onlyHot) throws IOException {
        Inode inode;
        try {
            inode = inodes.get(ino);
        } catch (FsException gone) {
            return 0;
        }
        FileBlocks file = inodes.open(inode);
        try {
            long[] indexes = new long[blockKeys.size()];
            int n = 0;
            for (long key : blockKeys) {
                BlockRef ref = file.ref(keys.indexOf(key));
                if (ref != null && ref.tier() == SSD && (ref.hot() || !onlyHot)) {
                    indexes[n++] = keys.indexOf(key);
                }
            }
            int moved = n == 0 ? 0 : mover.moveAll(file, indexes, n, HDD);
            stats.moved(SSD, HDD, (long) moved * store.blockSize());
            stats.demotions.add(moved);
            return moved;
        } finally {
            inodes.close(inode);
        }
    }

    /** A move's I/O failed; the migrator logs it and goes on. */
    static final class MoveFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MoveFailure(String what, IOException cause) {
            super(what + ": " + cause.getMessage(), cause);
        }
    }

    void close() {
        mover.close();
    }
}
