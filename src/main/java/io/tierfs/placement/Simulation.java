package io.tierfs.placement;

import java.util.Arrays;

/**
 * Replays a block trace through a {@link TierPolicy} (moves take effect at once) and, for each
 * level, through LRU and Belady's OPT of the same size. Tiers are exclusive, and LRU and OPT are
 * stack algorithms, so the reference for the tier below level 0 is a cache of both levels' size
 * less one of level 0's: its hits are those level 0 missed and the two together would have caught.
 * The policy's tier for an access is the level its block was in just before.
 *
 * <p>The trace is held as dense ids, 4 bytes an access, plus 4 more for OPT's next uses; the
 * distinct blocks cost a key and an index slot each.
 */
public final class Simulation {
    private final KeyIndex ids = new KeyIndex(1 << 16);
    private long[] keyOfId = new long[1 << 16];
    private int distinct;
    private int[] trace = new int[1 << 20];
    private int length;

    /** Appends one block access to the trace. */
    public void add(long block) {
        int id = ids.get(block, keyOfId);
        if (id == KeyIndex.ABSENT) {
            if (distinct == keyOfId.length) {
                keyOfId = Arrays.copyOf(keyOfId, distinct * 2);
            }
            keyOfId[distinct] = block;
            id = distinct++;
            ids.put(id, keyOfId);
        }
        if (length == trace.length) {
            if (length == Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("a trace of more than 2^31 block accesses");
            }
            trace = Arrays.copyOf(trace, (int) Math.min(Integer.MAX_VALUE - 8, 2L * length));
        }
        trace[length++] = id;
    }

    public int requests() {
        return length;
    }

    /** One tier's figures: hit ratios over all requests. */
    public record TierResult(long capacity, double hitRatio, double lruHitRatio, double optHitRatio, long moves) {
    }

    /** Runs the policy with levels of {@code capacities} blocks and the references; one result per level. */
    public TierResult[] run(long[] capacities) {
        long[] policyHits = new long[capacities.length];
        long[] movesTo = new long[capacities.length + 1];
        TierPolicy policy = new TierPolicy(capacities);
        for (int t = 0; t < length; t++) {
            long key = keyOfId[trace[t]];
            int level = policy.levelOf(key);
            if (level < capacities.length) {
                policyHits[level]++;
            }
            policy.access(key);
            if ((t & 0xffff) == 0xffff) {
                policy.drainChanges((k, to) -> movesTo[to]++);
            }
        }
        policy.drainChanges((k, to) -> movesTo[to]++);

        int[] nextUses = BeladyOpt.nextUses(trace, length, distinct);
        TierResult[] results = new TierResult[capacities.length];
        long above = 0;
        long lruAbove = 0;
        long optAbove = 0;
        for (int i = 0; i < capacities.length; i++) {
            above += capacities[i];
            long lru = lruHits(above);
            long opt = BeladyOpt.hits(trace, length, nextUses, distinct, above);
            results[i] = new TierResult(capacities[i], ratio(policyHits[i]), ratio(lru - lruAbove), ratio(opt - optAbove),
                movesTo[i]);
            lruAbove = lru;
            optAbove = opt;
        }
        return results;
    }

    private long lruHits(long capacity) {
        LruCache lru = new LruCache(capacity);
        long hits = 0;
        for (int t = 0; t < length; t++) {
            hits += lru.access(keyOfId[trace[t]]) ? 1 : 0;
        }
        return hits;
    }

    private double ratio(long hits) {
        return length == 0 ? 0 : (double) hits / length;
    }
}
