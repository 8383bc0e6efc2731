package io.tierfs.block;

import io.tierfs.meta.MetadataStore;
import io.tierfs.nativeio.Errno;
import io.tierfs.namespace.FsException;
import io.tierfs.tier.Tier;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The block layer of a volume: the tiers, fastest first, and the rule that places a new block on the
 * fastest tier with room for it. Usage per tier is counted in memory (rebuilt from the block map
 * at mount) so that placement costs no system call per block.
 */
public final class BlockStore implements AutoCloseable {
    private static final long FREE_SPACE_RECHECK_NANOS = 200_000_000L;

    private final int blockSize;
    private final Tier[] tiers;
    private final MetadataStore meta;
    private final AtomicLongArray usedBytes;
    private final long[] freeBytesSeen;
    private final long[] freeSeenAt;

    public BlockStore(int blockSize, Tier[] tiers, MetadataStore meta) {
        this.blockSize = blockSize;
        this.tiers = tiers.clone();
        this.meta = meta;
        this.usedBytes = new AtomicLongArray(tiers.length);
        this.freeBytesSeen = new long[tiers.length];
        this.freeSeenAt = new long[tiers.length];
    }

    public int blockSize() {
        return blockSize;
    }

    public Tier tier(int i) {
        return tiers[i];
    }

    public int tierCount() {
        return tiers.length;
    }

    public MetadataStore meta() {
        return meta;
    }

    public long usedBytes(int tier) {
        return usedBytes.get(tier);
    }

    public void addUsage(int tier, long bytes) {
        usedBytes.addAndGet(tier, bytes);
    }

    public FileBlocks open(long ino, java.util.function.LongConsumer blockCountChange) {
        return new FileBlocks(this, ino, blockCountChange);
    }

    /**
     * The tier a new block goes to: the fastest with room for it; else ENOSPC, or when no tier is
     * available at all EROFS (all read-only) or EIO (one gone; the log says which and why).
     */
    int placeNewBlock() {
        long now = System.nanoTime();
        boolean anyAvailable = false;
        boolean anyGone = false;
        for (int t = 0; t < tiers.length; t++) {
            String reason = tiers[t].unavailableReason();
            if (reason != null) {
                anyGone |= !reason.equals(Tier.READ_ONLY);
                continue;
            }
            anyAvailable = true;
            if (free(t, now) >= blockSize) {
                return t;
            }
        }
        if (!anyAvailable) {
            throw new FsException(anyGone ? Errno.EIO : Errno.EROFS, "no tier is available");
        }
        throw new FsException(Errno.ENOSPC, "every tier is full");
    }

    /** Each tier looks at its storage (gone, read-only, back): the daemon calls this every second. */
    public void checkTiers() {
        for (Tier tier : tiers) {
            tier.checkHealth();
        }
    }

    /** A write found tier {@code t} full although it looked free: skip it until it is checked again. */
    void markFull(int t) {
        synchronized (freeBytesSeen) {
            freeBytesSeen[t] = 0;
            freeSeenAt[t] = System.nanoTime();
        }
    }

    private long free(int t, long now) {
        synchronized (freeBytesSeen) {
            if (now - freeSeenAt[t] > FREE_SPACE_RECHECK_NANOS || freeSeenAt[t] == 0) {
                try {
                    freeBytesSeen[t] = tiers[t].freeBytes(usedBytes.get(t));
                } catch (IOException e) {
                    freeBytesSeen[t] = 0;
                }
                freeSeenAt[t] = now;
            }
            freeBytesSeen[t] -= blockSize;
            return freeBytesSeen[t] + blockSize;
        }
    }

    /** Frees every block of a deleted file on every tier; durable after {@link #syncDeletes}. */
    public void deleteFile(long ino) throws IOException {
        for (Tier tier : tiers) {
            tier.delete(ino);
        }
    }

    /** Makes every {@link #deleteFile} so far durable. */
    public void syncDeletes() throws IOException {
        for (Tier tier : tiers) {
            tier.syncDeletes();
        }
    }

    @Override
    public void close() {
        for (Tier tier : tiers) {
            tier.close();
        }
    }
}
