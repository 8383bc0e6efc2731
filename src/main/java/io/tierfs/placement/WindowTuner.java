package io.tierfs.placement;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Learns how large a level's admission window should be by watching small simulations of the
 * level with fixed windows. A small window suits frequency-skewed workloads (TinyLFU keeps the
 * frequent blocks in main); a large one suits recency-heavy ones, where blocks are reused soon
 * after their first access or not at all, so TinyLFU would reject them before their reuse; loops
 * want a small window, working sets that shift want nearly all of it. The best split moves with
 * the workload, and a hit-ratio hill climb over time samples cannot tell the window's effect from
 * the workload's own swings, so it is measured side by side instead.
 *
 * <p>Each shadow is a one-level W-TinyLFU with a fixed window share, fed the same accesses. For a
 * large level, each shadow is a scaled-down copy: it sees only the blocks whose hash falls in a
 * 1-in-R sample and has 1/R of the capacity (spatial sampling, as in SHARDS), so the shadows cost
 * a fixed few thousand blocks whatever the level's size. Every epoch the shadows' hits are added
 * to a score that halves each epoch, and the level moves its window to the best shadow's share.
 */
final class WindowTuner {
    static final double[] SHARES = {0.01, 0.05, 0.15, 0.3, 0.5, 0.75, 0.99};
    /** Shadows of at least this many blocks track their full-size level closely. */
    static final long MIN_SHADOW_BLOCKS = 1024;

    /** An epoch lasts this many sampled accesses per block of shadow capacity. */
    private static final int EPOCH_PER_BLOCK = 2;
    private static final int MIN_EPOCH = 256;
    /** The best shadow must beat the current one's score by this fraction to move the window. */
    private static final double SWITCH_MARGIN = 0.02;

    private final TierPolicy[] shadows = new TierPolicy[SHARES.length];
    private final long[] hits = new long[SHARES.length];
    private final double[] scores = new double[SHARES.length];
    private final long sampleMask;
    private final long epochLength;
    private long sampled;
    /** The shadow whose share the level's window has now. */
    private int best;

    /** Shadows for a level of {@code capacity} whose window has {@code currentShare} of it. */
    WindowTuner(long capacity, double currentShare) {
        long rate = Math.max(1, Long.highestOneBit(Math.max(1, capacity / MIN_SHADOW_BLOCKS)));
        sampleMask = rate - 1;
        long shadowCapacity = Math.max(1, capacity / rate);
        for (int i = 0; i < SHARES.length; i++) {
            shadows[i] = TierPolicy.shadow(shadowCapacity, SHARES[i]);
        }
        epochLength = EPOCH_PER_BLOCK * Math.max(shadowCapacity, MIN_EPOCH);
        for (int i = 1; i < SHARES.length; i++) {
            if (Math.abs(SHARES[i] - currentShare) < Math.abs(SHARES[best] - currentShare)) {
                best = i;
            }
        }
    }

    /** Feeds one access the level saw; returns the window share to move to, or a negative number to stay. */
    double observe(long key) {
        if ((FrequencySketch.mix(key) >>> 40 & sampleMask) != 0) {
            return -1;
        }
        for (int i = 0; i < shadows.length; i++) {
            if (shadows[i].levelOf(key) == 0) {
                hits[i]++;
            }
            shadows[i].access(key);
        }
        if (++sampled < epochLength) {
            return -1;
        }
        sampled = 0;
        int top = best;
        for (int i = 0; i < shadows.length; i++) {
            scores[i] = scores[i] / 2 + hits[i];
            hits[i] = 0;
            if (scores[i] > scores[top]) {
                top = i;
            }
        }
        // Moving the window moves blocks and costs hits: move only for a clear gain.
        if (scores[top] > (1 + SWITCH_MARGIN) * scores[best]) {
            best = top;
        }
        return SHARES[best];
    }

    /** Writes the scores and the shadows, so a restarted level goes on learning where it stopped. */
    void save(DataOutput out) throws IOException {
        out.writeInt(best);
        out.writeLong(sampled);
        for (int i = 0; i < shadows.length; i++) {
            out.writeLong(hits[i]);
            out.writeDouble(scores[i]);
            shadows[i].saveLevels(out);
        }
    }

    void load(DataInput in) throws IOException {
        best = in.readInt();
        if (best < 0 || best >= SHARES.length) {
            throw new IOException("placement state is corrupt: window choice " + best);
        }
        sampled = in.readLong();
        for (int i = 0; i < shadows.length; i++) {
            hits[i] = in.readLong();
            scores[i] = in.readDouble();
            shadows[i].loadLevels(in);
        }
    }
}
