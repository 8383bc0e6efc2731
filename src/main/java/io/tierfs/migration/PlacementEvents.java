package io.tierfs.migration;

import io.tierfs.block.BlockEvents;
import io.tierfs.placement.AccessBuffer;
import io.tierfs.placement.BlockKeys;

/**
 * The data path's reports of block accesses, new blocks and dropped hot copies, packed into
 * policy keys and queued for the migrator thread: one compare-and-set each, nothing allocated, and
 * dropped (counted) when a queue is full, since the FUSE workers never wait for placement.
 */
final class PlacementEvents implements BlockEvents {
    private static final int STRIPES = 16;

    final BlockKeys keys;
    final AccessBuffer accesses = new AccessBuffer(STRIPES, 4096);
    /** New blocks placed on the first directory tier, the only ones placement is told of. */
    final AccessBuffer created = new AccessBuffer(STRIPES, 1024);
    final AccessBuffer dropped = new AccessBuffer(STRIPES, 1024);
    /** Blocks whose hot copy a write dropped: they are hot still, and get a new copy. */
    final AccessBuffer lost = new AccessBuffer(STRIPES, 1024);
    /** Blocks whose hot copy a write replacing the whole block dropped. */
    final AccessBuffer rewritten = new AccessBuffer(STRIPES, 1024);

    PlacementEvents(BlockKeys keys) {
        this.keys = keys;
    }

    @Override
    public void accessed(long ino, long index) {
        long key = keys.pack(ino, index);
        if (key != BlockKeys.UNTRACKED) {
            accesses.offer(key);
        }
    }

    @Override
    public void created(long ino, long index, int tier) {
        long key = keys.pack(ino, index);
        if (tier == 0 && key != BlockKeys.UNTRACKED) {
            created.offer(key);
        }
    }

    @Override
    public void hotDropped(long ino, long index) {
        long key = keys.pack(ino, index);
        if (key != BlockKeys.UNTRACKED) {
            dropped.offer(key);
        }
    }

    @Override
    public void hotLost(long ino, long index) {
        long key = keys.pack(ino, index);
        if (key != BlockKeys.UNTRACKED) {
            lost.offer(key);
        }
    }

    @Override
    public void hotRewritten(long ino, long index) {
        long key = keys.pack(ino, index);
        if (key != BlockKeys.UNTRACKED) {
            rewritten.offer(key);
        }
    }
}
