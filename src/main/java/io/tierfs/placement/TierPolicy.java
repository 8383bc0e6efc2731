package io.tierfs.placement;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * Decides which tier each block belongs on: levels {@code 0..n-1} are the capacity-bounded tiers
 * (hot, then ssd), and a block in none belongs on the bottom tier (hdd), returned as level
 * {@code n}. Levels are exclusive and stacked: every access reaches level 0; a block found below
 * it moves up into level 0's admission window; what level {@code i} evicts is offered to level
 * {@code i + 1}, which admits it by its own W-TinyLFU rule ({@link Level}); the last level's evictions
 * fall to the bottom. Level {@code i} sees the accesses that missed levels {@code 0..i-1}, so it is
 * an adaptive W-TinyLFU of its own size over exactly what reaches its tier, and level 0 alone is
 * one over the whole trace whatever lies below it.
 *
 * <p>The data path records accesses; this class only decides. The migrator drains the changes
 * ({@link #drainChanges}) and moves the blocks later, at its own pace; {@code tierfs simulate}
 * replays traces through this same class.
 *
 * <p>Not thread-safe: one thread drives it. Every operation is O(1) amortized (a resize, a load and
 * a drain are linear in what they touch). Memory per block of capacity, allocated up front: 18
 * bytes of node ({@link NodeTable} and {@link #returnsTo}), 8 to 16 bytes of index ({@link KeyIndex}, at most half full)
 * and 8 bytes of sketch, about 40 bytes; plus each level's {@link WindowTuner}, nine experts of about
 * 45 bytes a block each: full-size copies for a level of up to 4096 blocks (about 400 bytes per
 * block of capacity, 1.7 MB at most), else 1/R samples of 1024 to 2047 blocks (under 0.9 MB a
 * level, whatever its size). A level that small also pays about nine expert accesses per access.
 */
public final class TierPolicy {
    /** The first field of {@link #save}'s output; {@link #load} refuses any other. */
    public static final int FORMAT_VERSION = 3;

    /** Receives the drained changes. */
    @FunctionalInterface
    public interface ChangeSink {
        /** {@code key}'s block belongs on {@code level} now ({@code levels()} = the bottom tier). */
        void moved(long key, int level);
    }

    private final NodeTable nodes;
    private final KeyIndex index;
    private final Level[] levels;
    /**
     * Per node, the level {@code i >= 1} a block was hit in and left for level 0's window (0: none).
     * Falling out of level 0 again, it goes back to level {@code i}'s protected region rather than
     * through its window and admission: levels are exclusive, so every read of a block on ssd takes
     * it up and out, and each way back down was one more contest against a victim by frequencies
     * that are noise in a long tail, which the warmest ssd blocks lost often enough to churn the
     * level (on a Zipf 1.2 trace, hot 1024 and ssd 3891 blocks: hot+ssd hit ratio 94.9% -> 95.3%,
     * blocks moved into ssd 17,053 -> 9,583; a loop 1.1x hot+ssd: ssd 49.7% -> 63.3%).
     */
    private byte[] returnsTo;
    /** Null in a shadow. */
    private final ChangeLog changes;

    /** Levels of these capacities, in blocks, from the top; aged by count only. */
    public TierPolicy(long... capacities) {
        this(capacities, null, 0);
    }

    /**
     * @param capacities blocks per level, from the top
     * @param nanoClock read to age frequencies by time; {@code null} ages by count only
     * @param halfLifeNanos a level's frequencies halve at least this often (with a clock)
     */
    public TierPolicy(long[] capacities, LongSupplier nanoClock, long halfLifeNanos) {
        if (capacities.length == 0 || capacities.length > Byte.MAX_VALUE / Level.REGIONS) {
            throw new IllegalArgumentException("between 1 and 42 levels");
        }
        long total = 0;
        for (long c : capacities) {
            if (c < 0) {
                throw new IllegalArgumentException("negative capacity " + c);
            }
            total += c;
        }
        int nodeCapacity = nodeCapacity(total, capacities.length);
        changes = new ChangeLog();
        nodes = new NodeTable(capacities.length * Level.REGIONS, nodeCapacity);
        index = new KeyIndex(nodeCapacity);
        returnsTo = new byte[nodes.keys.length];
        levels = new Level[capacities.length];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = new Level(this, nodes, i, capacities[i], nanoClock, halfLifeNanos);
        }
    }

    /**
     * A one-level policy with a fixed window share that records no changes: a {@link WindowTuner}'s
     * expert. Its sketch counts from the first access ({@code eager}) or from half full, aged by count only.
     */
    static TierPolicy shadow(long capacity, double windowShare, boolean eager) {
        return new TierPolicy(capacity, windowShare, eager, null, null, 0);
    }

    /**
     * An expert whose sketch ages by {@code nanoClock} too, as its level's does; with {@code shared},
     * an expert counting from half full that reads a sketch its tuner counts for all such experts.
     */
    static TierPolicy shadow(long capacity, double windowShare, boolean eager, FrequencySketch shared, LongSupplier nanoClock,
        long halfLifeNanos) {
        return new TierPolicy(capacity, windowShare, eager, shared, nanoClock, halfLifeNanos);
    }

    private TierPolicy(long capacity, double windowShare, boolean eager, FrequencySketch shared, LongSupplier nanoClock,
        long halfLifeNanos) {
        nodes = new NodeTable(Level.REGIONS, nodeCapacity(capacity, 1));
        index = new KeyIndex(nodeCapacity(capacity, 1));
        returnsTo = new byte[nodes.keys.length];
        levels = new Level[] {new Level(this, nodes, 0, capacity, windowShare, eager, shared, nanoClock, halfLifeNanos)};
        changes = null;
    }

    /** Level 0 (a shadow's only level). */
    Level level0() {
        return levels[0];
    }

    /** Whether {@code key}'s block is in level 0. */
    boolean holds(long key) {
        return levelOf(key) == 0;
    }

    /**
     * The node of {@code key}'s block for {@code level}, which is taking it: tracked if it was not,
     * taken out of the level it was in if another. The caller links it.
     */
    int claim(long key, int level) {
        int n = index.get(key, nodes.keys);
        int before = levelOfNode(n);
        if (before == level) {
            return n;
        }
        if (before < levels.length) {
            levels[before].release(n);
        } else {
            n = track(key);
        }
        if (changes != null) {
            changes.record(key, before);
        }
        return n;
    }

    /** Every level full, plus the one block each may hold while it evicts. */
    private static int nodeCapacity(long totalCapacity, int levelCount) {
        long n = totalCapacity + levelCount;
        if (n > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("at most 2^31 blocks in all levels, not " + totalCapacity);
        }
        return (int) n;
    }

    /** The number of capacity-bounded levels; also the level number of the bottom tier. */
    public int levels() {
        return levels.length;
    }

    public long capacity(int level) {
        return levels[level].capacity();
    }

    /** Blocks in {@code level} now. */
    public long size(int level) {
        return levels[level].size();
    }

    /** Blocks of {@code level}'s capacity given to its admission window now (the climber moves it). */
    public long windowCapacity(int level) {
        return levels[level].windowMax();
    }

    /** The level {@code key} belongs on: {@link #levels()} if none. */
    public int levelOf(long key) {
        return levelOfNode(index.get(key, nodes.keys));
    }

    /**
     * Whether {@code key}'s block is in a level's main region: it got there by its frequency, not
     * only through the admission window, which takes every block read.
     */
    public boolean inMainRegion(long key) {
        int region = regionOf(key);
        return region == Level.PROBATION || region == Level.PROTECTED;
    }

    /** The region ({@link Level#WINDOW}, {@link Level#PROBATION}, {@link Level#PROTECTED}) of {@code key}'s block, -1 if in no level. */
    int regionOf(long key) {
        int n = index.get(key, nodes.keys);
        int list = n == KeyIndex.ABSENT ? -1 : nodes.listOf(n);
        return list < 0 ? -1 : list % Level.REGIONS;
    }

    private int levelOfNode(int n) {
        if (n == KeyIndex.ABSENT) {
            return levels.length;
        }
        int list = nodes.listOf(n);
        return list < 0 ? levels.length : list / Level.REGIONS;
    }

    /** An expert's access: whether {@code key}'s block was in level 0 before it. */
    boolean accessHits(long key) {
        int n = index.get(key, nodes.keys);
        if (n != KeyIndex.ABSENT && nodes.listOf(n) >= 0) {
            levels[0].hit(n);
            return true;
        }
        levels[0].recordMiss(key);
        if (n == KeyIndex.ABSENT) {
            n = track(key);
        }
        levels[0].add(n);
        return false;
    }

    /** Records a read or write of {@code key}'s block; returns the level it belongs on afterwards. */
    public int access(long key) {
        int n = index.get(key, nodes.keys);
        int before = levelOfNode(n);
        for (int i = 0; i < before && i < levels.length; i++) {
            levels[i].recordMiss(key);
        }
        if (before == 0) {
            levels[0].hit(n);
        } else {
            if (before < levels.length) {
                levels[before].hitAndRelease(n);
                returnsTo[n] = (byte) before;
            } else {
                n = track(key);
            }
            if (changes != null) {
                changes.record(key, before);
            }
            levels[0].add(n);
        }
        levels[0].settle();
        return levelOfNode(n);
    }

    /**
     * A block of new data that the data path placed on {@code level} ({@link #levels()}: the
     * bottom). It becomes that level's most recent block, counted there only: a write is no read
     * of the levels above, and counting it in theirs (and their experts') cost the migrator thread
     * enough, at a new block per 128 KiB written, to slow 1 MiB buffered writes by a tenth. A block
     * already tracked is moved there; the level evicts by the usual rules if it is over capacity.
     */
    public void insert(long key, int level) {
        if (level < 0 || level > levels.length) {
            throw new IllegalArgumentException("no level " + level);
        }
        forget(key);
        changes.record(key, level);
        if (level < levels.length) {
            levels[level].recordMiss(key);
            levels[level].add(track(key));
        }
        levels[0].settle();
    }

    /** The block no longer exists (deleted, punched, truncated): forget it and any move pending for it. */
    public void remove(long key) {
        forget(key);
    }

    private void forget(long key) {
        int n = index.get(key, nodes.keys);
        if (n != KeyIndex.ABSENT) {
            levels[levelOfNode(n)].release(n);
            untrack(n);
        }
        if (changes != null) {
            changes.record(key, ChangeLog.GONE);
        }
        // The experts forget it too: a level that becomes one must not bring a deleted block back.
        for (Level level : levels) {
            level.forgetInExperts(key);
        }
    }

    /** Changes {@code level}'s capacity (an operator grew the tier, blocks were pinned); evicts what no longer fits. */
    public void resize(int level, long capacityBlocks) {
        if (capacityBlocks < 0) {
            throw new IllegalArgumentException("negative capacity " + capacityBlocks);
        }
        long total = 0;
        for (int i = 0; i < levels.length; i++) {
            total += i == level ? capacityBlocks : levels[i].capacity();
        }
        int nodeCapacity = nodeCapacity(total, levels.length);
        nodes.ensureCapacity(nodeCapacity);
        index.ensureCapacity(nodeCapacity, nodes.keys);
        returnsTo = Arrays.copyOf(returnsTo, nodes.keys.length);
        levels[level].resize(capacityBlocks);
    }

    /**
     * Reports every block whose level changed since the last drain, once, with the level it belongs
     * on now; a block back where it was is not reported, nor is one removed meanwhile.
     */
    public void drainChanges(ChangeSink sink) {
        changes.drain(this::levelOf, sink);
    }

    /** Changes recorded since the last drain, before coalescing. */
    public int pendingChanges() {
        return changes.pending();
    }

    /** Called by a level for each block it evicts: the next level down gets it, or the bottom. */
    void evicted(int n, int fromLevel) {
        if (changes != null) {
            changes.record(nodes.keys[n], fromLevel);
        }
        int below = fromLevel + 1;
        if (below < levels.length && returnsTo[n] == below) {
            returnsTo[n] = 0;
            levels[below].readmit(n);
        } else if (below < levels.length) {
            levels[below].add(n);
        } else {
            untrack(n);
        }
    }

    private int track(long key) {
        int n = nodes.allocate(key);
        index.put(n, nodes.keys);
        return n;
    }

    private void untrack(int n) {
        returnsTo[n] = 0;
        index.remove(nodes.keys[n], nodes.keys);
        nodes.free(n);
    }

    /**
     * Writes the whole state for a warm restart: {@link #FORMAT_VERSION}, each level's sizes,
     * climber and sketch, each region's blocks from least to most recent, the blocks that return
     * to a level ({@link #returnsTo}), and pending changes.
     */
    public void save(DataOutput out) throws IOException {
        out.writeInt(FORMAT_VERSION);
        out.writeInt(levels.length);
        for (Level level : levels) {
            out.writeLong(level.capacity());
        }
        saveLevels(out);
        saveReturns(out);
        changes.save(out);
    }

    /** Each level's state and blocks, region by region from least to most recent. */
    void saveLevels(DataOutput out) throws IOException {
        for (Level level : levels) {
            level.save(out);
            for (int region = 0; region < Level.REGIONS; region++) {
                int list = level.list(region);
                int count = 0;
                for (int n = nodes.head(list); n != NodeTable.NONE; n = nodes.after(n)) {
                    count++;
                }
                out.writeInt(count);
                for (int n = nodes.head(list); n != NodeTable.NONE; n = nodes.after(n)) {
                    out.writeLong(nodes.keys[n]);
                }
            }
        }
    }

    void loadLevels(DataInput in) throws IOException {
        for (Level level : levels) {
            level.load(in);
            for (int region = 0; region < Level.REGIONS; region++) {
                for (int count = in.readInt(); count > 0; count--) {
                    level.restore(region, track(in.readLong()));
                }
            }
        }
    }

    /** The blocks that will go back to the level they came up from ({@link #returnsTo}): count, then key and level each. */
    private void saveReturns(DataOutput out) throws IOException {
        int count = 0;
        for (byte level : returnsTo) {
            count += level != 0 ? 1 : 0;
        }
        out.writeInt(count);
        for (int n = 0; n < returnsTo.length; n++) {
            if (returnsTo[n] != 0) {
                out.writeLong(nodes.keys[n]);
                out.writeByte(returnsTo[n]);
            }
        }
    }

    private void loadReturns(DataInput in) throws IOException {
        for (int count = in.readInt(); count > 0; count--) {
            long key = in.readLong();
            byte level = in.readByte();
            int n = index.get(key, nodes.keys);
            if (n == KeyIndex.ABSENT || level < 1 || level >= levels.length) {
                throw new IOException("placement state is corrupt: block " + key + " returns to level " + level);
            }
            returnsTo[n] = level;
        }
    }

    /** Reads what {@link #save} wrote; refuses another format version. */
    public static TierPolicy load(DataInput in, LongSupplier nanoClock, long halfLifeNanos) throws IOException {
        int version = in.readInt();
        if (version != FORMAT_VERSION) {
            throw new IOException("placement state has format version " + version + "; this tierfs reads only version "
                + FORMAT_VERSION);
        }
        int levelCount = in.readInt();
        if (levelCount < 1 || levelCount > Byte.MAX_VALUE / Level.REGIONS) {
            throw new IOException("placement state is corrupt: " + levelCount + " levels");
        }
        long[] capacities = new long[levelCount];
        for (int i = 0; i < levelCount; i++) {
            capacities[i] = in.readLong();
        }
        TierPolicy policy = new TierPolicy(capacities, nanoClock, halfLifeNanos);
        policy.loadLevels(in);
        policy.loadReturns(in);
        policy.changes.load(in);
        return policy;
    }
}
