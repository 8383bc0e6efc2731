package io.tierfs.placement;

import java.util.SplittableRandom;

/** Synthetic block traces, each from a fixed seed so every run replays the same keys. */
final class Traces {
    private Traces() {
    }

    /** {@code length} draws from {@code keys} keys with Zipf skew {@code s} (rank 1 most frequent), keys offset by {@code base}. */
    static long[] zipf(int length, int keys, double s, long base, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        // Scatter ranks over the key space, so the hot keys are not neighbouring blocks.
        long[] keyOfRank = permutation(keys, random);
        long[] trace = zipfRanks(length, keys, s, random);
        for (int i = 0; i < length; i++) {
            trace[i] = base + keyOfRank[(int) trace[i]];
        }
        return trace;
    }

    /** {@code length} Zipf ranks from 0 (the most frequent) to {@code keys - 1}. */
    private static long[] zipfRanks(int length, int keys, double s, SplittableRandom random) {
        double[] cumulative = new double[keys];
        double sum = 0;
        for (int k = 0; k < keys; k++) {
            sum += 1 / Math.pow(k + 1, s);
            cumulative[k] = sum;
        }
        long[] ranks = new long[length];
        for (int i = 0; i < length; i++) {
            double u = random.nextDouble() * sum;
            int lo = 0;
            int hi = keys - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cumulative[mid] < u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            ranks[i] = lo;
        }
        return ranks;
    }

    /** {@code rounds} passes over {@code keys} consecutive blocks from {@code base}. */
    static long[] loop(int keys, int rounds, long base) {
        long[] trace = new long[keys * rounds];
        for (int i = 0; i < trace.length; i++) {
            trace[i] = base + i % keys;
        }
        return trace;
    }

    /** {@code sweeps} passes over {@code keys} consecutive blocks from {@code base}, alternately forth and back. */
    static long[] zigzag(int keys, int sweeps, long base) {
        long[] trace = new long[keys * sweeps];
        for (int i = 0; i < trace.length; i++) {
            int at = i % keys;
            trace[i] = base + ((i / keys) % 2 == 0 ? at : keys - 1 - at);
        }
        return trace;
    }

    /** One pass over {@code keys} new blocks from {@code base}. */
    static long[] scan(int keys, long base) {
        return loop(keys, 1, base);
    }

    /** Uniform draws from a working set of {@code keys} blocks that moves to new blocks every {@code phase} accesses. */
    static long[] shiftingWorkingSet(int length, int keys, int phase, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] trace = new long[length];
        for (int i = 0; i < length; i++) {
            trace[i] = (long) (i / phase) * keys + random.nextInt(keys);
        }
        return trace;
    }

    /** Recency-friendly: each block is reused a few times soon after its first access, then never again. */
    static long[] recency(int length, int reuseDistance, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] trace = new long[length];
        long next = 0;
        for (int i = 0; i < length; i++) {
            if (i >= reuseDistance && random.nextInt(3) != 0) {
                trace[i] = trace[i - 1 - random.nextInt(reuseDistance)];
            } else {
                trace[i] = next++;
            }
        }
        return trace;
    }

    /**
     * Block-device requests as a block trace: each request reads or writes a run of 1 to
     * {@code maxRun} consecutive blocks from the start of a Zipf-chosen extent of {@code maxRun}
     * blocks (skew {@code s} over {@code extents} extents), and every {@code drift} requests a
     * fortieth of the hottest ranks move to other extents, as an MSR Cambridge volume's hot set does.
     */
    static long[] requests(int blocks, int extents, double s, int maxRun, int drift, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] extentOfRank = permutation(extents, random);
        long[] ranks = zipfRanks(blocks, extents, s, random);
        long[] trace = new long[blocks];
        int t = 0;
        for (int request = 0; t < blocks; request++) {
            if (request > 0 && request % drift == 0) {
                for (int r = 0; r < extents / 40; r++) {
                    int other = random.nextInt(extents);
                    long swap = extentOfRank[r];
                    extentOfRank[r] = extentOfRank[other];
                    extentOfRank[other] = swap;
                }
            }
            long first = extentOfRank[(int) ranks[request % ranks.length]] * maxRun;
            int run = 1 + random.nextInt(maxRun);
            for (int b = 0; b < run && t < blocks; b++) {
                trace[t++] = first + b;
            }
        }
        return trace;
    }

    /** The traces one after the other. */
    static long[] concat(long[]... parts) {
        int length = 0;
        for (long[] p : parts) {
            length += p.length;
        }
        long[] trace = new long[length];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, trace, at, p.length);
            at += p.length;
        }
        return trace;
    }

    /** The traces interleaved at random, each keeping its own order. */
    static long[] interleave(long seed, long[]... parts) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] at = new int[parts.length];
        int length = 0;
        for (long[] p : parts) {
            length += p.length;
        }
        long[] trace = new long[length];
        for (int i = 0; i < length; i++) {
            int left = length - i;
            int pick = random.nextInt(left);
            int part = 0;
            while (pick >= parts[part].length - at[part]) {
                pick -= parts[part].length - at[part];
                part++;
            }
            trace[i] = parts[part][at[part]++];
        }
        return trace;
    }

    private static long[] permutation(int n, SplittableRandom random) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
