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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.LongPredicate;

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
    /** The rate allowed no more this round. */
    boolean throttled;

    MoveExecutor(BlockStore store, Inodes inodes, BlockKeys keys, RateLimiter limiter, MigrationStats stats,
                 int hotLevel, int ssdLevel) {
        this.store = store;
        this.inodes = inodes;
        this.keys = keys;
        this.mover = new BlockMover(store);
        this.limiter = limiter;
        this.stats = stats;
        this.hotLevel = hotLevel;
        this.ssdLevel = ssdLevel;
    }

    /**
     * Puts the blocks {@code blockKeys}, all of inode {@code ino}, where {@code level} says.
     * {@code done} hears of each that is there now (or is gone, or failed: it is not tried again);
     * {@code gone} of each that no longer exists. The rest stay to be tried later.
     */
    void carryOut(long ino, List<Long> blockKeys, int level, LongConsumer done, LongConsumer gone,
                  LongPredicate settledForHdd) {
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
            place(file, blockKeys, level, done, gone, settledForHdd);
        } catch (IOException e) {
            blockKeys.forEach(done::accept);
            throw new MoveFailure("moving blocks of inode " + ino, e);
        } finally {
            inodes.close(inode);
        }
    }

    /**
     * @param settledForHdd whether a decision to bring a block up from hdd has held long enough:
     *                      a copy up from the slow disk costs a read of it, which near the policy's
     *                      boundaries (blocks going in and out within seconds) would be spent again
     *                      and again
     */
    private void place(FileBlocks file, List<Long> blockKeys, int level, LongConsumer done, LongConsumer gone,
                       LongPredicate settledForHdd) throws IOException {
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
            } else if (ref.tier() == HDD && target == SSD && !settledForHdd.test(key)) {
                continue; // up from hdd: not yet
            } else if (level == hotLevel) {
                if (!throttled && toHot(file, key, index, ref)) {
                    done.accept(key);
                }
            } else if (ref.tier() == target) {
                dropHotCopy(file, key, index);
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
     * How many of {@code wanted} blocks directory tier {@code t} has room for; on ssd, the own
     * copies of hot blocks go down to hdd to make room (the hot copy serves their reads).
     */
    private int room(int t, int wanted) throws IOException {
        int free = (int) Math.min(wanted, store.freeBlocks(t));
        while (t == SSD && free < wanted && makeRoomOnSsd()) {
            free = (int) Math.min(wanted, store.freeBlocks(t));
        }
        return free;
    }

    private boolean makeRoomOnSsd() throws IOException {
        while (!hotOnSsd.isEmpty() && !throttled) {
            long key = hotOnSsd.iterator().next();
            hotOnSsd.remove(key);
            Inode inode;
            try {
                inode = inodes.get(keys.inoOf(key));
            } catch (FsException gone) {
                continue;
            }
            FileBlocks file = inodes.open(inode);
            try {
                long index = keys.indexOf(key);
                BlockRef ref = file.ref(index);
                if (ref != null && ref.hot() && ref.tier() == SSD && store.freeBlocks(HDD) > 0 && affordable(1) == 1
                    && mover.move(file, index, HDD) > 0) {
                    stats.moved(SSD, HDD, store.blockSize());
                    return true;
                }
            } finally {
                inodes.close(inode);
            }
        }
        return false;
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
