package io.tierfs.placement;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/** Hit ratios of the policies compared in these tests, over a trace of keys. */
final class HitRatios {
    private HitRatios() {
    }

    /** Level 0 of a one-level {@link TierPolicy}: the accesses that found their block there. */
    static double tierPolicy(long[] trace, long capacity) {
        TierPolicy policy = new TierPolicy(capacity);
        long hits = 0;
        for (long key : trace) {
            if (policy.levelOf(key) == 0) {
                hits++;
            }
            policy.access(key);
        }
        return (double) hits / trace.length;
    }

    static double lru(long[] trace, long capacity) {
        LruCache lru = new LruCache(capacity);
        long hits = 0;
        for (long key : trace) {
            if (lru.access(key)) {
                hits++;
            }
        }
        return (double) hits / trace.length;
    }

    /** Caffeine's adaptive W-TinyLFU, maintained on the calling thread so each put evicts at once. */
    static double caffeine(long[] trace, long capacity) {
        Cache<Long, Boolean> cache = Caffeine.newBuilder().maximumSize(capacity).executor(Runnable::run).build();
        long hits = 0;
        for (long key : trace) {
            if (cache.getIfPresent(key) != null) {
                hits++;
            } else {
                cache.put(key, Boolean.TRUE);
            }
        }
        return (double) hits / trace.length;
    }

    static double opt(long[] trace, long capacity) {
        KeyIndex ids = new KeyIndex(1024);
        long[] keyOfId = new long[16];
        int[] dense = new int[trace.length];
        int distinct = 0;
        for (int t = 0; t < trace.length; t++) {
            int id = ids.get(trace[t], keyOfId);
            if (id == KeyIndex.ABSENT) {
                if (distinct == keyOfId.length) {
                    keyOfId = java.util.Arrays.copyOf(keyOfId, distinct * 2);
                }
                keyOfId[distinct] = trace[t];
                id = distinct++;
                ids.put(id, keyOfId);
            }
            dense[t] = id;
        }
        int[] next = BeladyOpt.nextUses(dense, dense.length, distinct);
        return (double) BeladyOpt.hits(dense, dense.length, next, distinct, capacity) / trace.length;
    }
}
