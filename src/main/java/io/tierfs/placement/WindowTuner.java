package io.tierfs.placement;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.function.LongSupplier;

/**
 * Chooses how a level should run by watching small simulations of it, "experts", that differ in
 * their admission window and in when their sketch starts counting. A small window suits
 * frequency-skewed workloads (TinyLFU keeps the frequent blocks in main) and loops; a large one
 * suits recency-heavy ones, where blocks are reused soon after their first access or not at all, so
 * TinyLFU would reject them before their reuse; a window of the whole level is LRU, the best policy
 * for a zigzag, and its reuse of the most recent blocks at each reversal. Counting from the first
 * access or from half full (as Caffeine) wins on different warm-ups. The best choice moves with the
 * workload, and a hit-ratio hill climb over time samples cannot tell a choice's effect from the
 * workload's own swings, so the choices are measured side by side instead.
 *
 * <p>Each expert is a one-level W-TinyLFU fed the same accesses. For a level of at most {@link
 * #FULL_SIZE_MAX} blocks each is a full-size copy, and the level can become the leading expert
 * outright, taking its blocks, order and sketch ({@link Level}), so the level's hits are the
 * leader's. For a larger level, each is a scaled-down copy: it sees only the blocks whose hash falls
 * in a 1-in-R sample and has 1/R of the capacity (spatial sampling, as in SHARDS), so the experts cost
 * a fixed few thousand blocks whatever the level's size, and the level moves its window to the
 * leader's share.
 *
 * <p>Experts hit and miss mostly together, so they are compared where they differ: for each pair,
 * the sampled accesses one hit and the other missed, decaying by {@value #DECAY} each epoch (about
 * a capacity of sampled accesses), checked {@value #CHECKS_PER_EPOCH} times an epoch. The level
 * follows another expert only on a lead it can trust: more than {@value #Z} square roots of the
 * accesses where the two differed (McNemar's test; comparing hit counts would take the noise of
 * every hit, and experts hitting 92% of the time 1.5 points apart would never be told apart), and
 * more than a tenth of the capacity (a fiftieth for sampled experts). Short-lived leads are how
 * experts of one workload take turns, and following each of them costs hits (a loop rewards the
 * expert whose main kept its blocks, and punishes one that just let a recency burst in). Of equal
 * leads the larger window's wins: at a zigzag's reversal every expert holding the last blocks gains
 * alike, and LRU holds the most. The level starts as the eager 1% expert, a plain W-TinyLFU.
 */
final class WindowTuner {
    /** Each expert's window share; {@link #EAGER} counts from the first access, the others from half full. */
    static final double[] SHARES = {0.01, 0.01, 0.05, 0.15, 0.3, 0.5, 0.75, 0.99, 1.0};
    /** The expert that counts every access in its sketch; the level starts as this one. */
    static final int EAGER = 0;
    /** Levels up to this size get full-size experts that they can become outright. */
    static final long FULL_SIZE_MAX = 4096;
    /** Sampled experts of at least this many blocks track their full-size level closely. */
    static final long MIN_SHADOW_BLOCKS = 1024;

    /** An epoch lasts this many sampled accesses per block of shadow capacity. */
    private static final int EPOCH_PER_BLOCK = 1;
    private static final int MIN_EPOCH = 64;
    private static final int CHECKS_PER_EPOCH = 16;
    /** The scores' decay each epoch: a memory of about fifty capacities of accesses. */
    private static final double DECAY = 0.98;
    /** A lead must exceed this many square roots of the accesses where the two experts differed... */
    private static final double Z = 2;
    /** ...and this share of the shadow's capacity. */
    private static final double MIN_LEAD = 0.1;
    /**
     * The same for sampled experts. Their level only moves its window, which keeps its blocks, so a
     * switch costs little; what a slow switch costs is the start spent at 1% on a recency-friendly
     * volume (synthetic MSR volumes of 65536 blocks: up to 0.8 points).
     */
    private static final double SAMPLED_MIN_LEAD = 0.02;

    private static final int ALL = (1 << SHARES.length) - 1;

    /** An expert counting from half full. */
    private static final int LAZY = 1;

    private final TierPolicy[] shadows = new TierPolicy[SHARES.length];
    /** The sketch of every expert but the eager one. */
    private final FrequencySketch lazySketch;
    private boolean lazyCounting;
    /**
     * {@code wins[i][j]}: the sampled accesses that expert i hit and j missed lately (decayed).
     * Experts hit and miss mostly together, so what tells them apart is where they differ: i leads j
     * by {@code wins[i][j] - wins[j][i]}, a difference whose noise is about the square root of
     * their sum (as in McNemar's test), however many hits both made.
     */
    private final double[][] wins = new double[SHARES.length][SHARES.length];
    private final long sampleMask;
    private final long shadowCapacity;
    private final long epochLength;
    private final long checkInterval;
    private long sampled;
    /** The expert the level follows now. */
    private int best;

    /**
     * Experts for a level of {@code capacity} that runs as expert {@code initial} now, their
     * sketches aged like the level's (so the level can take one over).
     */
    WindowTuner(long capacity, int initial, LongSupplier nanoClock, long halfLifeNanos) {
        long rate = capacity <= FULL_SIZE_MAX ? 1 : Long.highestOneBit(capacity / MIN_SHADOW_BLOCKS);
        sampleMask = rate - 1;
        shadowCapacity = Math.max(1, capacity / rate);
        lazySketch = Level.sharedSketch(shadowCapacity, nanoClock, halfLifeNanos);
        for (int i = 0; i < SHARES.length; i++) {
            shadows[i] = TierPolicy.shadow(shadowCapacity, SHARES[i], i == EAGER, i == EAGER ? null : lazySketch, nanoClock,
                halfLifeNanos);
        }
        epochLength = EPOCH_PER_BLOCK * Math.max(shadowCapacity, MIN_EPOCH);
        checkInterval = Math.max(1, epochLength / CHECKS_PER_EPOCH);
        best = initial;
    }

    /** The expert nearest a window of {@code share}: the eager one for the smallest window. */
    static int nearest(double share) {
        int nearest = EAGER;
        for (int i = 1; i < SHARES.length; i++) {
            if (Math.abs(SHARES[i] - share) < Math.abs(SHARES[nearest] - share)) {
                nearest = i;
            }
        }
        return nearest;
    }

    /** Whether the experts are full-size copies of the level, which it can become. */
    boolean fullSize() {
        return sampleMask == 0;
    }

    /** Expert {@code i}'s simulation: a one-level policy. */
    TierPolicy shadow(int i) {
        return shadows[i];
    }

    /** The block no longer exists: every expert that sampled it drops it. */
    void forget(long key) {
        if ((FrequencySketch.mix(key) >>> 40 & sampleMask) == 0) {
            for (TierPolicy shadow : shadows) {
                shadow.remove(key);
            }
        }
    }

    /** Feeds one access the level saw; returns the expert to follow from now on, or -1 to stay. */
    int observe(long key) {
        if ((FrequencySketch.mix(key) >>> 40 & sampleMask) != 0) {
            return -1;
        }
        // The experts that count from half full all fill alike (nothing is evicted before), so they
        // start counting on the same access and count the same keys: one sketch serves them all.
        if (!lazyCounting && shadows[LAZY].level0().size() >= shadowCapacity >>> 1) {
            lazyCounting = true;
        }
        if (lazyCounting) {
            lazySketch.increment(key);
        }
        int hitMask = 0;
        for (int i = 0; i < shadows.length; i++) {
            if (shadows[i].accessHits(key)) {
                hitMask |= 1 << i;
            }
        }
        if (hitMask != 0 && hitMask != ALL) {
            for (int i = 0; i < shadows.length; i++) {
                if ((hitMask & 1 << i) != 0) {
                    double[] row = wins[i];
                    for (int j = 0; j < shadows.length; j++) {
                        if ((hitMask & 1 << j) == 0) {
                            row[j]++;
                        }
                    }
                }
            }
        }
        boolean epochEnd = ++sampled == epochLength;
        if (epochEnd) {
            sampled = 0;
            for (double[] row : wins) {
                for (int j = 0; j < row.length; j++) {
                    row[j] *= DECAY;
                }
            }
        } else if (sampled % checkInterval != 0) {
            return -1;
        }
        int top = -1;
        double topLead = 0;
        for (int i = 0; i < shadows.length; i++) {
            double won = wins[i][best];
            double lost = wins[best][i];
            double lead = won - lost;
            if (i != best && lead >= topLead && lead > Z * Math.sqrt(won + lost) && lead > (sampleMask == 0 ? MIN_LEAD : SAMPLED_MIN_LEAD) * shadowCapacity) {
                top = i;
                topLead = lead;
            }
        }
        if (top >= 0) {
            best = top;
        }
        return top;
    }

    /** Writes the scores and the experts, so a restarted level goes on learning where it stopped. */
    void save(DataOutput out) throws IOException {
        out.writeInt(best);
        out.writeLong(sampled);
        out.writeBoolean(lazyCounting);
        lazySketch.save(out);
        for (double[] row : wins) {
            for (double w : row) {
                out.writeDouble(w);
            }
        }
        for (TierPolicy shadow : shadows) {
            shadow.saveLevels(out);
        }
    }

    void load(DataInput in) throws IOException {
        best = in.readInt();
        if (best < 0 || best >= SHARES.length) {
            throw new IOException("placement state is corrupt: expert " + best);
        }
        sampled = in.readLong();
        lazyCounting = in.readBoolean();
        lazySketch.load(in);
        if (sampled < 0 || sampled >= epochLength) {
            throw new IOException("placement state is corrupt: " + sampled + " accesses into an epoch of " + epochLength);
        }
        for (double[] row : wins) {
            for (int j = 0; j < row.length; j++) {
                row[j] = in.readDouble();
            }
        }
        for (TierPolicy shadow : shadows) {
            shadow.loadLevels(in);
        }
    }
}
