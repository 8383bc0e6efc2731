package io.tierfs.placement;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.function.LongSupplier;

/**
 * How often each block was accessed lately, estimated by a Count-Min sketch of 4-bit counters
 * (TinyLFU's frequency filter). Its memory is fixed when it is made, whatever the number of blocks:
 * {@code counters} rounded up to a power of two, half a byte each.
 *
 * <p>A key's four counters lie in one 64-byte block (eight longs of sixteen counters), one in each
 * pair of longs, so an increment or estimate touches one cache line; a key's estimate is its
 * smallest counter. Counters stop at 15: TinyLFU only needs to tell the frequent from the rare.
 *
 * <p>Aging: once {@code sampleSize} increments have counted, every counter is halved, so what was
 * hot long ago gives way to what is hot now. A quiet volume may take hours to count that many, so a
 * clock can age it too: when {@code halfLifeNanos} pass without a halving, the sketch halves once
 * per half-life gone by. The clock is read once every {@value #CLOCK_CHECK_INTERVAL} increments,
 * not on each: aging by time needs no finer grain, and reading a clock costs as much as the rest.
 */
public final class FrequencySketch {
    static final int MAX_COUNT = 15;
    static final int CLOCK_CHECK_INTERVAL = 64;
    private static final long HALF_MASK = 0x7777_7777_7777_7777L;
    private static final long LOW_BIT_MASK = 0x1111_1111_1111_1111L;
    private static final int COUNTERS_PER_LONG = 16;
    private static final int LONGS_PER_BLOCK = 8;
    /** Four halvings take a saturated counter (15) to zero: more would change nothing. */
    private static final int MAX_HALVINGS = 4;

    private final long[] table;
    private final int blockMask;
    private long sampleSize;
    private final LongSupplier nanoClock;
    private final long halfLifeNanos;
    private long size;
    private long lastHalvedNanos;
    private int untilClockCheck = CLOCK_CHECK_INTERVAL;

    /**
     * @param counters the counters to hold, rounded up to a power of two (at least 128)
     * @param sampleSize increments between two halvings
     * @param nanoClock read for aging by time; {@code null} ages by count only
     * @param halfLifeNanos without a halving for this long, halve; ignored without a clock
     */
    public FrequencySketch(long counters, long sampleSize, LongSupplier nanoClock, long halfLifeNanos) {
        if (counters <= 0 || counters > (1L << 34) || sampleSize <= 0) {
            throw new IllegalArgumentException("counters must be 1..2^34 and sampleSize positive");
        }
        if (nanoClock != null && halfLifeNanos <= 0) {
            throw new IllegalArgumentException("the half-life must be positive");
        }
        long longs = Math.max(LONGS_PER_BLOCK, Long.highestOneBit(counters - 1) * 2 / COUNTERS_PER_LONG);
        table = new long[(int) longs];
        blockMask = (int) (longs / LONGS_PER_BLOCK) - 1;
        this.sampleSize = sampleSize;
        this.nanoClock = nanoClock;
        this.halfLifeNanos = halfLifeNanos;
        lastHalvedNanos = nanoClock == null ? 0 : nanoClock.getAsLong();
    }

    /** The number of 4-bit counters held. */
    public long counters() {
        return (long) table.length * COUNTERS_PER_LONG;
    }

    public long sampleSize() {
        return sampleSize;
    }

    /** Changes the increments between two halvings (the level's capacity changed); the counts stay. */
    void resample(long newSampleSize) {
        sampleSize = newSampleSize;
        size = Math.min(size, newSampleSize - 1);
    }

    /** The estimated count of {@code key}, 0 to 15. */
    public int frequency(long key) {
        long hash = mix(key);
        int block = blockOf(hash);
        int counterHash = (int) hash;
        int min = MAX_COUNT;
        for (int i = 0; i < 4; i++) {
            int h = counterHash >>> (i << 3);
            long word = table[block + (i << 1) + (h & 1)];
            min = Math.min(min, (int) (word >>> (((h >>> 1) & 15) << 2)) & 0xf);
        }
        return min;
    }

    /** Counts one access of {@code key}; may halve every counter (count or time). */
    public void increment(long key) {
        long hash = mix(key);
        int block = blockOf(hash);
        int counterHash = (int) hash;
        boolean counted = false;
        for (int i = 0; i < 4; i++) {
            int h = counterHash >>> (i << 3);
            counted |= incrementAt(block + (i << 1) + (h & 1), (h >>> 1) & 15);
        }
        // A key whose counters are all saturated adds no information, so it does not bring aging closer.
        if (counted && ++size >= sampleSize) {
            halve();
        }
        if (nanoClock != null && --untilClockCheck == 0) {
            untilClockCheck = CLOCK_CHECK_INTERVAL;
            ageByTime();
        }
    }

    private boolean incrementAt(int slot, int counter) {
        int shift = counter << 2;
        if (((table[slot] >>> shift) & 0xf) == MAX_COUNT) {
            return false;
        }
        table[slot] += 1L << shift;
        return true;
    }

    private void ageByTime() {
        long now = nanoClock.getAsLong();
        long halvings = (now - lastHalvedNanos) / halfLifeNanos;
        if (halvings <= 0) {
            return;
        }
        for (int i = 0; i < Math.min(halvings, MAX_HALVINGS); i++) {
            halve();
        }
        lastHalvedNanos = now;
    }

    /**
     * Halves every counter. The count since the last halving is halved too, less what the halving
     * rounded off (each odd counter lost half an increment, and each key has four counters).
     */
    public void halve() {
        long odd = 0;
        for (int i = 0; i < table.length; i++) {
            odd += Long.bitCount(table[i] & LOW_BIT_MASK);
            table[i] = (table[i] >>> 1) & HALF_MASK;
        }
        size = Math.max(0, (size - (odd >>> 2)) >>> 1);
        if (nanoClock != null) {
            lastHalvedNanos = nanoClock.getAsLong();
        }
    }

    private int blockOf(long hash) {
        return ((int) (hash >>> 32) & blockMask) * LONGS_PER_BLOCK;
    }

    /** SplitMix64's finalizer: keys of neighbouring blocks differ in a few low bits, their hashes must not. */
    static long mix(long key) {
        long h = (key ^ (key >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return h ^ (h >>> 31);
    }

    /** Takes {@code other}'s counts and progress towards the next halving; both sketches have the same number of counters. */
    void copyFrom(FrequencySketch other) {
        if (other.table.length != table.length) {
            throw new IllegalArgumentException(other.counters() + " counters to copy into " + counters());
        }
        System.arraycopy(other.table, 0, table, 0, table.length);
        size = Math.min(other.size, sampleSize - 1);
    }

    void save(DataOutput out) throws IOException {
        out.writeLong(counters());
        out.writeLong(size);
        for (long word : table) {
            out.writeLong(word);
        }
    }

    /** Reads what {@link #save} wrote into this sketch, which must have been made the same size. */
    void load(DataInput in) throws IOException {
        long counters = in.readLong();
        if (counters != counters()) {
            throw new IOException("the saved sketch has " + counters + " counters, this one " + counters());
        }
        loadCounts(in);
    }

    /**
     * Reads what {@link #save} wrote into a sketch of the saved size, whatever the size a new level
     * would have (a level shrunk by a resize keeps its larger sketch).
     */
    static FrequencySketch read(DataInput in, long sampleSize, LongSupplier nanoClock, long halfLifeNanos) throws IOException {
        long counters = in.readLong();
        if (counters < 128 || counters > (1L << 34) || Long.bitCount(counters) != 1) {
            throw new IOException("placement state is corrupt: a sketch of " + counters + " counters");
        }
        FrequencySketch sketch = new FrequencySketch(counters, sampleSize, nanoClock, halfLifeNanos);
        sketch.loadCounts(in);
        return sketch;
    }

    private void loadCounts(DataInput in) throws IOException {
        size = Math.min(in.readLong(), sampleSize - 1);
        for (int i = 0; i < table.length; i++) {
            table[i] = in.readLong();
        }
        lastHalvedNanos = nanoClock == null ? 0 : nanoClock.getAsLong();
    }
}
