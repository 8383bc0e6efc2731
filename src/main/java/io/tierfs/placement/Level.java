package io.tierfs.placement;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.function.LongSupplier;

/**
 * One capacity-bounded tier as an adaptive W-TinyLFU over the accesses that reach it. New blocks
 * enter an LRU admission window. What overflows the window is a candidate for the main region, a
 * segmented LRU (probation, then protected once hit again): it gets in only if the sketch says it
 * is accessed more often than main's victim, the least recently used block of probation. So a scan
 * passes through the window without displacing the blocks that earn hits, and a block reused soon
 * after its first access is still caught by the window. {@link WindowTuner} watches experts, copies
 * of the level run differently, and the level follows the best: it becomes that expert outright
 * (level 0, at most {@link WindowTuner#FULL_SIZE_MAX} blocks) or takes its window share.
 *
 * <p>Whatever this level evicts (a rejected candidate or a displaced victim) is handed to the
 * {@link TierPolicy}, which offers it to the level below.
 */
final class Level {
    static final int WINDOW = 0;
    static final int PROBATION = 1;
    static final int PROTECTED = 2;
    static final int REGIONS = 3;
    /** The share of main that protected may fill; the rest is probation, where candidates start. */
    private static final double PROTECTED_SHARE = 0.8;
    /** The window's share of the capacity before the climber moves it: frequency wins by default. */
    private static final double INITIAL_WINDOW_SHARE = 0.01;
    /** Sketch counters per block of capacity: about one estimate of 4 bits in 4 per block is exact. */
    static final int COUNTERS_PER_BLOCK = 16;
    /** Accesses between two halvings of the sketch, per block of capacity (as TinyLFU's paper). */
    private static final int SAMPLE_PER_BLOCK = 10;
    /** Small levels age over this many accesses at least, so their sketch has something to rank. */
    private static final int MIN_SAMPLE_BLOCKS = 256;
    /**
     * A candidate at least this frequent is let in by chance (1 in 128) even when it loses: otherwise
     * keys crafted to collide with a victim's counters could keep every newcomer out.
     */
    private static final int JITTER_FREQUENCY = 6;

    private final TierPolicy owner;
    private final NodeTable nodes;
    private final int number;
    private final int window;
    private final int probation;
    private final int protectedList;
    private final LongSupplier nanoClock;
    private final long halfLifeNanos;
    private FrequencySketch sketch;
    /** Null in a shadow, whose window stays fixed. */
    private WindowTuner tuner;
    private long capacity;
    private long windowMax;
    private long protectedMax;
    private long windowSize;
    private long probationSize;
    private long protectedSize;
    private long random = 0x2545_F491_4F6C_DD1DL;
    /** An expert's sketch that its tuner counts once for every expert waiting for half full, not this level. */
    private boolean sketchShared;
    /** Whether accesses are counted yet: from the first, or from the first time the level is half full. */
    private boolean counting;
    /** The expert the level becomes at the end of the current access, or -1. */
    private int pendingExpert = -1;

    Level(TierPolicy owner, NodeTable nodes, int number, long capacity, LongSupplier nanoClock, long halfLifeNanos) {
        this(owner, nodes, number, capacity, capacity - (long) ((1 - INITIAL_WINDOW_SHARE) * capacity), null,
            new WindowTuner(capacity, WindowTuner.EAGER, nanoClock, halfLifeNanos), true, nanoClock, halfLifeNanos);
    }

    /** An expert's level: a fixed window share. */
    Level(TierPolicy owner, NodeTable nodes, int number, long capacity, double windowShare, boolean eager,
        FrequencySketch shared, LongSupplier nanoClock, long halfLifeNanos) {
        this(owner, nodes, number, capacity, Math.max(1, Math.round(windowShare * capacity)), shared, null, eager,
            nanoClock, halfLifeNanos);
    }

    private Level(TierPolicy owner, NodeTable nodes, int number, long capacity, long windowMax, FrequencySketch shared,
                  WindowTuner tuner, boolean counting, LongSupplier nanoClock, long halfLifeNanos) {
        this.owner = owner;
        this.nodes = nodes;
        this.number = number;
        this.window = number * REGIONS + WINDOW;
        this.probation = number * REGIONS + PROBATION;
        this.protectedList = number * REGIONS + PROTECTED;
        this.nanoClock = nanoClock;
        this.halfLifeNanos = halfLifeNanos;
        this.capacity = capacity;
        this.windowMax = windowMax;
        this.protectedMax = (long) (PROTECTED_SHARE * (capacity - windowMax));
        this.sketch = shared != null ? shared : newSketch(capacity);
        this.sketchShared = shared != null;
        this.tuner = tuner;
        this.counting = counting;
    }

    private FrequencySketch newSketch(long capacity) {
        return new FrequencySketch(COUNTERS_PER_BLOCK * Math.max(capacity, MIN_SAMPLE_BLOCKS), sampleSize(capacity), nanoClock, halfLifeNanos);
    }

    private static long sampleSize(long capacity) {
        return SAMPLE_PER_BLOCK * Math.max(capacity, MIN_SAMPLE_BLOCKS);
    }

    long capacity() {
        return capacity;
    }

    long size() {
        return windowSize + probationSize + protectedSize;
    }

    long windowMax() {
        return windowMax;
    }

    FrequencySketch sketch() {
        return sketch;
    }

    /** An access that reached this level and found its block in a level below or in none. */
    void recordMiss(long key) {
        count(key);
        tune(key);
    }

    /**
     * Counts an access in the sketch: from the first access, or, for the experts that wait, once the
     * level is half full (as Caffeine). Before that nothing is evicted, so no admission needs a
     * frequency, and waiting forgets a first burst (a load, a first scan) whose counts would make
     * its blocks look hotter than what follows; counting keeps a first pass whose blocks come back.
     * Which warm-up wins depends on the trace, so the tuner has an expert of each.
     */
    private void count(long key) {
        if (!counting) {
            if (size() < capacity >>> 1) {
                return;
            }
            counting = true;
        }
        if (!sketchShared) {
            sketch.increment(key);
        }
    }

    /** A sketch of this capacity, counted from half full, for experts to share ({@link WindowTuner}). */
    static FrequencySketch sharedSketch(long capacity, LongSupplier nanoClock, long halfLifeNanos) {
        return new FrequencySketch(COUNTERS_PER_BLOCK * Math.max(capacity, MIN_SAMPLE_BLOCKS),
            SAMPLE_PER_BLOCK * Math.max(capacity, MIN_SAMPLE_BLOCKS), nanoClock, halfLifeNanos);
    }

    private void tune(long key) {
        if (tuner == null) {
            return;
        }
        int expert = tuner.observe(key);
        if (expert < 0) {
            return;
        }
        if (number == 0 && tuner.fullSize()) {
            // Level 0 sees exactly the experts' accesses, so it can become the leader outright; not in
            // the middle of an access, though: the policy calls settle() when it is done.
            pendingExpert = expert;
        } else {
            // A lower level holds what the levels above evicted, not what its experts kept, and a
            // sampled expert holds a sample: take the leader's window only.
            follow(expert);
        }
    }

    /** Takes {@code expert}'s window share (and its counting from the first access, if it is the eager one). */
    private void follow(int expert) {
        setWindow(Math.round(WindowTuner.SHARES[expert] * capacity));
        counting |= expert == WindowTuner.EAGER;
    }

    /** The block no longer exists: the experts drop it as well. */
    void forgetInExperts(long key) {
        if (tuner != null) {
            tuner.forget(key);
        }
    }

    /** Becomes the expert the tuner chose during the access just finished, if it chose one. */
    void settle() {
        if (pendingExpert >= 0) {
            int expert = pendingExpert;
            pendingExpert = -1;
            become(tuner.shadow(expert).level0());
        }
    }

    /**
     * Takes {@code expert}'s state, a full-size level over the same accesses: its blocks in its
     * regions and order, its sketch and its window. Blocks of this level that the expert does not
     * hold are evicted to the level below, as by any eviction; blocks it holds that are below or
     * nowhere are brought up (changes the migrator drains like any other). From here on this level
     * makes the expert's decisions. Experts differ only once full (until then none has evicted a
     * block), so the leader is full: becoming it never empties the level, even with experts made
     * anew by a resize.
     */
    private void become(Level expert) {
        NodeTable from = expert.nodes;
        int[] stale = new int[(int) size()];
        int staleCount = 0;
        for (int region = 0; region < REGIONS; region++) {
            for (int n = nodes.head(list(region)); n != NodeTable.NONE; n = nodes.after(n)) {
                if (!expert.owner.holds(nodes.keys[n])) {
                    stale[staleCount++] = n;
                }
            }
        }
        for (int i = 0; i < staleCount; i++) {
            evict(stale[i]);
        }
        for (int region = 0; region < REGIONS; region++) {
            for (int m = from.head(region); m != NodeTable.NONE; m = from.after(m)) {
                int n = owner.claim(from.keys[m], number);
                if (nodes.listOf(n) >= 0) {
                    release(n);
                }
                restore(region, n);
            }
        }
        windowMax = expert.windowMax;
        protectedMax = expert.protectedMax;
        counting = expert.counting;
        random = expert.random;
        if (sketch.counters() != expert.sketch.counters()) {
            sketch = newSketch(capacity); // a level shrunk by a resize kept its larger sketch; its experts have one of its size
        }
        sketch.copyFrom(expert.sketch);
    }

    /** An access to {@code n}, a block of this level, which stays here as the most recent. */
    void hit(int n) {
        count(nodes.keys[n]);
        tune(nodes.keys[n]);
        int list = nodes.listOf(n);
        if (list == probation && protectedMax > 0) {
            nodes.unlink(n);
            nodes.append(protectedList, n);
            probationSize--;
            protectedSize++;
            demoteFromProtected();
        } else {
            nodes.moveToEnd(n);
        }
    }

    /** An access to {@code n}, a block of this level that the caller moves up and out of it. */
    void hitAndRelease(int n) {
        count(nodes.keys[n]);
        release(n);
        tune(nodes.keys[n]);
    }

    /** Takes {@code n} out of this level's lists. */
    void release(int n) {
        int list = nodes.listOf(n);
        nodes.unlink(n);
        if (list == window) {
            windowSize--;
        } else if (list == probation) {
            probationSize--;
        } else {
            protectedSize--;
        }
    }

    /** Adds {@code n}, in no list, as the most recent block of the window, then evicts what no longer fits. */
    void add(int n) {
        nodes.append(window, n);
        windowSize++;
        evict();
    }

    /**
     * Takes back {@code n}, a block hit in this level that went up and fell out again, as the most
     * recent of protected (of probation when protected has no room): it was admitted once already.
     */
    void readmit(int n) {
        if (protectedMax > 0) {
            nodes.append(protectedList, n);
            protectedSize++;
            demoteFromProtected();
        } else {
            nodes.append(probation, n);
            probationSize++;
        }
        evict();
    }

    /**
     * Gives the window {@code target} blocks of capacity and main the rest. A growing window takes
     * main's least recent blocks as its most recent (as Caffeine does), as many as main holds past
     * its new size; a shrinking one hands its least recent blocks to probation.
     */
    private void setWindow(long target) {
        windowMax = Math.min(capacity, Math.max(capacity > 0 ? 1 : 0, target));
        protectedMax = (long) (PROTECTED_SHARE * (capacity - windowMax));
        demoteFromProtected();
        while (windowSize < windowMax && probationSize + protectedSize > capacity - windowMax) {
            int n = nodes.head(probation);
            if (n == NodeTable.NONE) {
                n = nodes.head(protectedList);
                protectedSize--;
            } else {
                probationSize--;
            }
            nodes.unlink(n);
            nodes.append(window, n);
            windowSize++;
        }
        while (windowSize > windowMax) {
            int n = nodes.head(window);
            nodes.unlink(n);
            nodes.append(probation, n);
            windowSize--;
            probationSize++;
        }
    }

    private void demoteFromProtected() {
        while (protectedSize > protectedMax) {
            int n = nodes.head(protectedList);
            nodes.unlink(n);
            nodes.append(probation, n);
            protectedSize--;
            probationSize++;
        }
    }

    /** Changes the capacity, keeping the window's share, and evicts what no longer fits. */
    void resize(long newCapacity) {
        long newWindow = capacity == 0 ? newCapacity - (long) ((1 - INITIAL_WINDOW_SHARE) * newCapacity)
            : Math.round((double) windowMax * newCapacity / capacity);
        capacity = newCapacity;
        windowMax = Math.min(newCapacity, Math.max(newCapacity > 0 ? 1 : 0, newWindow));
        protectedMax = (long) (PROTECTED_SHARE * (newCapacity - windowMax));
        if (COUNTERS_PER_BLOCK * newCapacity > sketch.counters()) {
            sketch = newSketch(newCapacity); // a larger level needs more counters; their history starts over
        } else {
            sketch.resample(sampleSize(newCapacity));
        }
        if (tuner != null) {
            tuner = new WindowTuner(newCapacity, newCapacity == 0 ? WindowTuner.EAGER : WindowTuner.nearest((double) windowMax / newCapacity),
                nanoClock, halfLifeNanos);
        }
        demoteFromProtected();
        evict();
    }

    /**
     * Moves the window's overflow to probation as candidates, then, while the level is over its
     * capacity, evicts the less frequent of the first candidate and main's victim, walking both
     * lists from their least recent end. When candidates run out, the window's least recent blocks
     * are candidates too; when probation runs out, victims come from protected, then the window.
     */
    private void evict() {
        int candidate = NodeTable.NONE;
        while (windowSize > windowMax) {
            int n = nodes.head(window);
            nodes.unlink(n);
            nodes.append(probation, n);
            windowSize--;
            probationSize++;
            if (candidate == NodeTable.NONE) {
                candidate = n;
            }
        }
        int victimList = probation;
        int victim = nodes.head(probation);
        boolean candidatesFromWindow = false;
        while (size() > capacity) {
            if (candidate == NodeTable.NONE && !candidatesFromWindow) {
                candidate = nodes.head(window);
                candidatesFromWindow = true;
            }
            if (candidate == NodeTable.NONE && victim == NodeTable.NONE) {
                if (victimList == window) {
                    throw new IllegalStateException("level " + number + " counts " + size() + " blocks, more than its lists hold");
                }
                victimList = victimList == probation ? protectedList : window;
                victim = nodes.head(victimList);
                continue;
            }
            if (candidate == victim) {
                // The victims' walk reached the candidates: evict in order, taking new candidates from the window.
                int next = nodes.after(victim);
                evict(victim);
                victim = next;
                candidate = NodeTable.NONE;
            } else if (victim == NodeTable.NONE) {
                int next = nodes.after(candidate);
                evict(candidate);
                candidate = next;
            } else if (candidate == NodeTable.NONE || admit(nodes.keys[candidate], nodes.keys[victim])) {
                int next = nodes.after(victim);
                evict(victim);
                victim = next;
                if (candidate != NodeTable.NONE) {
                    candidate = nodes.after(candidate);
                }
            } else {
                int next = nodes.after(candidate);
                evict(candidate);
                candidate = next;
            }
        }
    }

    private void evict(int n) {
        release(n);
        owner.evicted(n, number);
    }

    private boolean admit(long candidateKey, long victimKey) {
        int candidateFrequency = sketch.frequency(candidateKey);
        if (candidateFrequency > sketch.frequency(victimKey)) {
            return true;
        }
        return candidateFrequency >= JITTER_FREQUENCY && (nextRandom() & 127) == 0;
    }

    /** xorshift64: deterministic, so a simulation replays the same way every time. */
    private long nextRandom() {
        random ^= random << 13;
        random ^= random >>> 7;
        random ^= random << 17;
        return random;
    }

    /** Writes the regions' sizes, the sketch and the tuner; the blocks are written by the policy. */
    void save(DataOutput out) throws IOException {
        out.writeLong(capacity);
        out.writeLong(windowMax);
        out.writeLong(protectedMax);
        out.writeLong(random);
        out.writeBoolean(counting);
        if (!sketchShared) {
            sketch.save(out); // a shared sketch is the tuner's to save
        }
        if (tuner != null) {
            tuner.save(out);
        }
    }

    void load(DataInput in) throws IOException {
        long savedCapacity = in.readLong();
        if (savedCapacity != capacity) {
            throw new IOException("level " + number + " was saved with capacity " + savedCapacity + ", not " + capacity);
        }
        windowMax = in.readLong();
        protectedMax = in.readLong();
        random = in.readLong();
        counting = in.readBoolean();
        if (!sketchShared) {
            sketch = FrequencySketch.read(in, sampleSize(capacity), nanoClock, halfLifeNanos);
        }
        if (tuner != null) {
            tuner.load(in);
        }
    }

    int list(int region) {
        return number * REGIONS + region;
    }

    /** Appends a restored block to {@code region}; the caller restores regions in order, least recent first. */
    void restore(int region, int n) {
        nodes.append(list(region), n);
        if (region == WINDOW) {
            windowSize++;
        } else if (region == PROBATION) {
            probationSize++;
        } else {
            protectedSize++;
        }
    }
}
