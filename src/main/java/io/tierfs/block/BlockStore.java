package io.tierfs.block;

import io.tierfs.codec.BlockCompressor;
import io.tierfs.meta.MetadataStore;
import io.tierfs.nativeio.Errno;
import io.tierfs.namespace.FsException;
import io.tierfs.tier.HotTier;
import io.tierfs.tier.Tier;
import java.io.IOException;
import java.util.concurrent.atomic.LongAdder;

/**
 * The block layer of a volume: the tiers, fastest first, and the rule that places a new block on the
 * fastest tier with room for it. Usage per tier is counted in memory ({@link SpaceUse}, rebuilt
 * from the block map at mount) so that placement costs no system call per block.
 */
public final class BlockStore implements AutoCloseable {
    private static final long FREE_SPACE_RECHECK_NANOS = 200_000_000L;

    private final int blockSize;
    private final Tier[] tiers;
    private final HotTier hot;
    private final MetadataStore meta;
    private final SpaceUse space;
    private final long[] freeBytesSeen;
    private final long[] freeSeenAt;
    /** Bytes of each tier kept from new blocks (see {@link #setHighWatermark}). */
    private final long[] headroom;
    private final Epochs epochs = new Epochs();
    private final Seals seals = new Seals();
    private volatile CompressedBlocks compressed;
    /** Whether blocks moved to each directory tier are stored compressed (see {@link #compressOn}). */
    private volatile boolean[] compressTiers;
    /** Blocks read, by the tier that served them: the directory tiers, then the hot tier. */
    private final LongAdder[] reads;
    private volatile BlockEvents events = BlockEvents.NONE;
    /** Whole blocks reads fetched from the last tier for the migrator (see {@link #keepFetchedBlocks}), or null. */
    private volatile FetchedBlocks fetched;

    /** A block layer of directory tiers alone. */
    public BlockStore(int blockSize, Tier[] tiers, MetadataStore meta) {
        this(blockSize, tiers, null, meta);
    }

    /**
     * @param tiers the tiers that hold blocks, fastest first (the block map's tier numbers)
     * @param hot   the hot tier, which holds copies of blocks of the first tier, or null for none
     */
    public BlockStore(int blockSize, Tier[] tiers, HotTier hot, MetadataStore meta) {
        this.blockSize = blockSize;
        this.tiers = tiers.clone();
        this.hot = hot;
        this.meta = meta;
        this.space = new SpaceUse(blockSize, tiers.length);
        this.freeBytesSeen = new long[tiers.length];
        this.freeSeenAt = new long[tiers.length];
        this.headroom = new long[tiers.length];
        this.compressed = new CompressedBlocks(blockSize, BlockCompressor.DEFAULT_MIN_SAVING,
            BlockCompressor.DEFAULT_ZSTD_LEVEL);
        this.compressTiers = new boolean[tiers.length];
        this.reads = new LongAdder[tiers.length + 1];
        for (int i = 0; i < reads.length; i++) {
            reads[i] = new LongAdder();
        }
    }

    /** The hot tier, or null. */
    public HotTier hot() {
        return hot;
    }

    Epochs epochs() {
        return epochs;
    }

    /**
     * Which directory tiers store the blocks moved to them compressed, by content (one flag per
     * tier; none until told).
     */
    public void compressOn(boolean[] tiers) {
        compressTiers = tiers.clone();
    }

    /**
     * Zstd's level for blocks whose file names none, and the share of a block compression must
     * save for the block to be stored compressed. Before the volume serves.
     */
    public void compressWith(int zstdLevel, double minSaving) {
        compressed = new CompressedBlocks(blockSize, minSaving, zstdLevel);
    }

    boolean compresses(int tier) {
        return compressTiers[tier];
    }

    CompressedBlocks compressed() {
        return compressed;
    }

    /** The sealer's clock, the blocks to seal, and the checksum failures reads found. */
    public Seals seals() {
        return seals;
    }

    BlockEvents events() {
        return events;
    }

    /**
     * Keeps the top {@code percent}..100% of directory tier {@code t} from new blocks (they go to
     * the next tier): room for the migrator to move blocks in, which a tier filled by writes would
     * not have. The last tier takes blocks until it is full.
     */
    public void setHighWatermark(int t, int percent) throws IOException {
        headroom[t] = t + 1 < tiers.length ? tiers[t].capacityBytes() / 100 * (100 - percent) : 0;
    }

    /** Where accesses and new blocks are reported (placement); until then, nowhere. */
    public void setEvents(BlockEvents events) {
        this.events = events;
    }

    /**
     * From now on a read of part of a block on the last tier reads all of it and keeps it a while
     * in a ring of {@code bytes} for the migrator, which copies a block it moves up from there
     * instead of reading the slow disk again ({@link FetchedBlocks}). Before the volume serves.
     */
    public void keepFetchedBlocks(long bytes) {
        if (fetched == null && tiers.length > 1) {
            fetched = new FetchedBlocks(blockSize, bytes);
        }
    }

    public FetchedBlocks fetched() {
        return fetched;
    }

    /** Blocks read from directory tier {@code tier}, or from the hot tier with {@code tier} = tierCount(). */
    public long reads(int tier) {
        return reads[tier].sum();
    }

    void countRead(int tier) {
        reads[tier].increment();
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

    /** Bytes the copies on directory tier {@code tier} take there: a compressed one its stored bytes. */
    public long usedBytes(int tier) {
        return space.stored(tier);
    }

    /** Slots of directory tier {@code tier} that hold a copy of a block (its own, or a replica). */
    public long blocksOn(int tier) {
        return space.slots(tier);
    }

    /** Block record {@code ref} came into the block map ({@code sign} 1) or left it (-1): what its copies take is counted. */
    public void account(BlockRef ref, int sign) {
        space.count(ref, sign);
    }

    /** A block's record changed from {@code from} to {@code to}. */
    void changed(BlockRef from, BlockRef to) {
        space.change(from, to);
    }

    /** The volume's blocks, sealed and not, and what they take per codec and per content class (`tierfs status`). */
    public java.util.Map<String, Object> spaceSummary() {
        return space.summary();
    }

    public FileBlocks open(long ino, java.util.function.LongConsumer blockCountChange) {
        return new FileBlocks(this, ino, blockCountChange, false);
    }

    /**
     * Opens the block table of a file known to have no block record and no inline bytes (made by
     * this mount, its table never opened before): it reads nothing from the metadata store, where
     * a new file's first write looked for records it cannot have (a RocksDB iterator, half the
     * cost of writing a small file; perf, BENCHMARKS.md "Small files").
     */
    public FileBlocks openNew(long ino, java.util.function.LongConsumer blockCountChange) {
        return new FileBlocks(this, ino, blockCountChange, true);
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
            if (take(t, now)) {
                return t;
            }
        }
        if (!anyAvailable) {
            throw new FsException(anyGone ? Errno.EIO : Errno.EROFS, "no tier is available");
        }
        throw new FsException(Errno.ENOSPC, "every tier is full");
    }

    /**
     * Takes room for a replica on directory tier {@code t}, as a new block would (below the
     * tier's high watermark); false if it has none, or is unavailable.
     */
    boolean roomForReplica(int t) {
        return tiers[t].unavailableReason() == null && take(t, System.nanoTime());
    }

    /** Takes a block's room on tier {@code t} if it has it, until the next check of its free space counts it. */
    private boolean take(int t, long now) {
        synchronized (freeBytesSeen) {
            if (free(t, now) - headroom[t] >= blockSize) {
                freeBytesSeen[t] -= blockSize;
                return true;
            }
            return false;
        }
    }

    /** Each tier looks at its storage (gone, read-only, back): the daemon calls this every second. */
    public void checkTiers() {
        for (Tier tier : tiers) {
            tier.checkHealth();
        }
    }

    /** How many more blocks directory tier {@code t} has room for (0 if it is unavailable), for moves. */
    public long freeBlocks(int t) {
        if (tiers[t].unavailableReason() != null) {
            return 0;
        }
        synchronized (freeBytesSeen) {
            return Math.max(0, free(t, System.nanoTime()) / blockSize);
        }
    }

    /** A write found tier {@code t} full although it looked free: skip it until it is checked again. */
    void markFull(int t) {
        synchronized (freeBytesSeen) {
            freeBytesSeen[t] = 0;
            freeSeenAt[t] = System.nanoTime();
        }
    }

    /** Tier {@code t}'s free bytes, checked again every so often. Call holding freeBytesSeen. */
    private long free(int t, long now) {
        if (now - freeSeenAt[t] > FREE_SPACE_RECHECK_NANOS || freeSeenAt[t] == 0) {
            try {
                freeBytesSeen[t] = tiers[t].freeBytes(space.stored(t));
            } catch (IOException e) {
                freeBytesSeen[t] = 0;
            }
            freeSeenAt[t] = now;
        }
        return freeBytesSeen[t];
    }

    /** Frees every block of a deleted file on every tier; durable after {@link #syncDeletes}. */
    public void deleteFile(long ino) throws IOException {
        for (Tier tier : tiers) {
            tier.delete(ino);
        }
        if (hot != null) {
            dropHotCopies(ino, 0, Long.MAX_VALUE);
        }
    }

    /** Drops the hot copies of blocks [from, to) of {@code ino}, telling placement. */
    void dropHotCopies(long ino, long from, long to) {
        hot.forEachBlock(ino, from, to, index -> {
            hot.remove(ino, index);
            events.hotDropped(ino, index);
        });
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
        if (hot != null) {
            hot.close();
        }
        if (fetched != null) {
            fetched.close();
        }
    }
}
