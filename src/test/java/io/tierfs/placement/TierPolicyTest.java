package io.tierfs.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TierPolicyTest {
    private static final int HOT = 1000;

    @Test
    void aSkewedPatternEndsWithItsHotSetInLevelZero() {
        TierPolicy policy = new TierPolicy(HOT);
        replay(policy, Traces.zipf(200_000, 50_000, 1.0, 0, 1));
        // The 200 most frequent keys of a Zipf(1) draw: every one should be cached.
        assertEquals(200, countInLevel(policy, hottest(Traces.zipf(200_000, 50_000, 1.0, 0, 1), 200), 0));
        assertTrue(policy.size(0) <= HOT);
    }

    @Test
    void aScanDoesNotEvictTheHotSet() {
        TierPolicy policy = new TierPolicy(HOT);
        long[] hot = new long[HOT / 2];
        for (int i = 0; i < hot.length; i++) {
            hot[i] = i;
        }
        for (int round = 0; round < 20; round++) {
            replay(policy, hot);
        }
        replay(policy, Traces.scan(20 * HOT, 1L << 40));
        assertTrue(countInLevel(policy, hot, 0) >= hot.length * 95 / 100,
            countInLevel(policy, hot, 0) + " of " + hot.length + " hot blocks survived a scan 20 times the cache");
    }

    @Test
    void decayLetsAnOldHotSetCoolWhenANewOneAppears() {
        AtomicLong now = new AtomicLong();
        long halfLife = 1_000_000_000L;
        TierPolicy policy = new TierPolicy(new long[] {HOT}, now::get, halfLife);
        long[] oldSet = Traces.loop(HOT, 1, 0);
        long[] newSet = Traces.loop(HOT, 1, 1L << 40);
        // Far fewer accesses than a halving by count (10 per block): only time can age the old set.
        for (int i = 0; i < 6; i++) {
            replay(policy, oldSet);
        }
        now.addAndGet(10 * halfLife);
        for (int i = 0; i < 4; i++) {
            replay(policy, newSet);
        }
        assertTrue(countInLevel(policy, newSet, 0) >= HOT / 2,
            countInLevel(policy, newSet, 0) + " of the new hot set cached after the old one went quiet");
        FrequencySketch sketch = policy.level0().sketch();
        assertTrue(sketch.frequency(oldSet[0]) < sketch.frequency(newSet[0]),
            "the old set's counts were halved away: " + sketch.frequency(oldSet[0]) + " vs " + sketch.frequency(newSet[0]));
    }

    @Test
    void withoutDecayTheOldHotSetWouldHaveKeptTheNewOneOut() {
        // A W-TinyLFU with a fixed window: the experts of a tuned level would let the new set in by
        // following an LRU-like one, so only a fixed one shows what the sketch alone decides.
        TierPolicy policy = TierPolicy.shadow(HOT, 0.01, true);
        long[] oldSet = Traces.loop(HOT, 1, 0);
        long[] newSet = Traces.loop(HOT, 1, 1L << 40);
        for (int i = 0; i < 6; i++) {
            replay(policy, oldSet);
        }
        for (int i = 0; i < 4; i++) {
            replay(policy, newSet);
        }
        assertTrue(countInLevel(policy, newSet, 0) < HOT / 10,
            countInLevel(policy, newSet, 0) + " of the new set cached: the decay test above must test something");
        FrequencySketch sketch = policy.level0().sketch();
        assertTrue(sketch.frequency(oldSet[0]) > sketch.frequency(newSet[0]), "without aging the old set still counts more");
    }

    @Test
    void aLoopSlightlyLargerThanTheCacheStillHits() {
        long[] loop = Traces.loop(HOT * 11 / 10, 30, 0);
        double ratio = HitRatios.tierPolicy(loop, HOT);
        assertEquals(0.0, HitRatios.lru(loop, HOT));
        assertTrue(ratio > 0.8, "loop hit ratio " + ratio);
    }

    @Test
    void accessReturnsTheLevelAndTwoLevelsStayExclusive() {
        TierPolicy policy = new TierPolicy(100, 300);
        assertEquals(2, policy.levels());
        assertEquals(2, policy.levelOf(5));
        assertEquals(0, policy.access(5));
        long[] trace = Traces.zipf(50_000, 2_000, 0.9, 0, 3);
        Map<Long, Integer> levels = new HashMap<>();
        for (long key : trace) {
            int level = policy.access(key);
            assertEquals(0, level, "an accessed block is in level 0 afterwards");
            levels.put(key, level);
        }
        int[] counts = new int[3];
        for (long key = 0; key < 2_000; key++) {
            counts[policy.levelOf(key)]++;
        }
        assertEquals(100, counts[0]);
        assertEquals(300, counts[1]);
        assertEquals(policy.size(0), counts[0]);
        assertEquals(policy.size(1), counts[1]);
    }

    @Test
    void aHitInLevelOneMovesTheBlockUpAndLevelZeroEvictsIntoLevelOne() {
        TierPolicy policy = new TierPolicy(10, 10);
        for (long k = 0; k < 11; k++) {
            policy.access(k);
        }
        assertEquals(10, policy.size(0));
        assertEquals(1, policy.size(1), "level 0's eviction went to level 1");
        long demoted = -1;
        for (long k = 0; k < 11; k++) {
            if (policy.levelOf(k) == 1) {
                demoted = k;
            }
        }
        assertEquals(0, policy.access(demoted));
        assertEquals(10, policy.size(0));
        assertEquals(1, policy.size(1), "still exclusive: the block left level 1 and another came down");
        assertEquals(1, policy.levelOf(firstIn(policy, 1)));
    }

    @Test
    void aBlockHitInLevelOneGoesBackToItsProtectedRegionWhenItFallsOutOfLevelZero() {
        TierPolicy policy = new TierPolicy(4, 100);
        for (long k = 0; k < 60; k++) {
            policy.access(k);
        }
        long block = firstIn(policy, 1);
        assertEquals(0, policy.access(block), "a hit in level 1 takes the block up");
        for (long k = 1000; k < 1020; k++) { // more frequent newcomers push it out of level 0
            for (int i = 0; i < 3; i++) {
                policy.access(k);
            }
        }
        assertEquals(1, policy.levelOf(block));
        assertEquals(Level.PROTECTED, policy.regionOf(block),
            "admitted to level 1 once already: no second contest through its window");
    }

    @Test
    void levelZeroAloneBehavesLikeAStandaloneOneWhateverLiesBelow() {
        long[] trace = Traces.interleave(9, Traces.zipf(60_000, 20_000, 0.8, 0, 4), Traces.loop(700, 40, 1L << 40));
        TierPolicy alone = new TierPolicy(500);
        TierPolicy stacked = new TierPolicy(500, 2_000);
        for (long key : trace) {
            assertEquals(alone.levelOf(key) == 0, stacked.levelOf(key) == 0);
            alone.access(key);
            stacked.access(key);
        }
    }

    @Test
    void insertPlacesANewBlockOnItsLevelAndCountsAsAnAccess() {
        TierPolicy policy = new TierPolicy(4, 4);
        policy.insert(1, 1);
        assertEquals(1, policy.levelOf(1));
        policy.insert(2, 2);
        assertEquals(2, policy.levelOf(2));
        policy.insert(3, 0);
        assertEquals(0, policy.levelOf(3));
        for (long k = 10; k < 20; k++) {
            policy.insert(k, 1);
        }
        assertEquals(4, policy.size(1), "inserting into a full level evicts by the usual rules");
        assertThrows(IllegalArgumentException.class, () -> policy.insert(5, 3));
        Map<Long, Integer> moved = drain(policy);
        for (Map.Entry<Long, Integer> e : moved.entrySet()) {
            assertEquals(2, e.getValue(), "only blocks pushed out of level 1 moved, down to the bottom: " + moved);
        }
        assertEquals(7, moved.size(), "11 blocks placed on a level of 4: 1 and 10..15 fell out");
        assertTrue(!moved.containsKey(2L) && !moved.containsKey(3L));
    }

    @Test
    void removeForgetsTheBlockAndItsPendingMove() {
        TierPolicy policy = new TierPolicy(4, 4);
        policy.access(1);
        policy.access(2);
        policy.remove(1);
        assertEquals(2, policy.levelOf(1));
        assertEquals(1, policy.size(0));
        assertEquals(Map.of(2L, 0), drain(policy));
        policy.remove(99); // unknown: nothing happens
        assertEquals(Map.of(), drain(policy));
    }

    @Test
    void resizeEvictsWhatNoLongerFitsAndGrowingTakesMore() {
        TierPolicy policy = new TierPolicy(100, 100);
        for (long k = 0; k < 200; k++) {
            policy.access(k);
        }
        drain(policy);
        policy.resize(0, 40);
        assertEquals(40, policy.size(0));
        assertEquals(100, policy.size(1));
        Map<Long, Integer> moved = drain(policy);
        // 60 blocks left level 0 for level 1, which admitted some, each pushing one of its own to the bottom.
        assertTrue(moved.size() >= 60, moved.toString());
        assertTrue(moved.values().stream().allMatch(l -> l >= 1), moved.toString());
        policy.resize(0, 5_000);
        for (long k = 1_000; k < 5_000; k++) {
            policy.access(k);
        }
        assertEquals(4_000 + 40, policy.size(0));
        policy.resize(1, 0);
        assertEquals(0, policy.size(1));
    }

    @Test
    void drainReportsEachChangedBlockOnceWithItsFinalLevel() {
        TierPolicy policy = new TierPolicy(2, 2);
        policy.access(1);
        policy.access(2);
        assertEquals(Map.of(1L, 0, 2L, 0), drain(policy));
        policy.access(3); // 1 down to level 1
        policy.access(1); // and back up: 2 goes down instead
        Map<Long, Integer> moved = drain(policy);
        assertEquals(Integer.valueOf(0), moved.get(3L));
        assertTrue(!moved.containsKey(1L) || moved.get(1L) == 0, "1 is back where it was: not reported");
        assertEquals(Map.of(), drain(policy), "nothing changed since");
        assertEquals(0, policy.pendingChanges());
    }

    @Test
    void saveAndLoadRestoreTheWholeState() throws IOException {
        TierPolicy policy = new TierPolicy(300, 700);
        long[] trace = Traces.zipf(40_000, 5_000, 0.9, 0, 7);
        replay(policy, trace);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        policy.save(new DataOutputStream(bytes));
        TierPolicy loaded = TierPolicy.load(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), null, 0);
        assertEquals(policy.size(0), loaded.size(0));
        assertEquals(policy.size(1), loaded.size(1));
        assertEquals(policy.windowCapacity(0), loaded.windowCapacity(0));
        assertEquals(drain(policy), drain(loaded));
        long[] more = Traces.zipf(20_000, 5_000, 0.9, 0, 8);
        for (long key : more) {
            assertEquals(policy.access(key), loaded.access(key));
        }
        for (long key = 0; key < 5_000; key++) {
            assertEquals(policy.levelOf(key), loaded.levelOf(key), "same decisions after a warm restart");
        }
    }

    @Test
    void loadRefusesAnotherFormatVersion() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new TierPolicy(10).save(new DataOutputStream(bytes));
        byte[] data = bytes.toByteArray();
        data[3] = (byte) (TierPolicy.FORMAT_VERSION + 1);
        IOException e = assertThrows(IOException.class,
            () -> TierPolicy.load(new DataInputStream(new ByteArrayInputStream(data)), null, 0));
        assertTrue(e.getMessage().contains("format version " + (TierPolicy.FORMAT_VERSION + 1)), e.getMessage());
    }

    @Test
    void loadRefusesTheFirstFormatClearly() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new TierPolicy(10).save(new DataOutputStream(bytes));
        byte[] data = bytes.toByteArray();
        data[3] = 1;
        IOException e = assertThrows(IOException.class,
            () -> TierPolicy.load(new DataInputStream(new ByteArrayInputStream(data)), null, 0));
        assertEquals("placement state has format version 1; this tierfs reads only version " + TierPolicy.FORMAT_VERSION,
            e.getMessage());
    }

    @Test
    void levelZeroBecomesTheLeadingExpertAndTheLevelsStayExclusive() {
        // Sweeps forth and back over 3 times level 0: each reversal reuses the most recent blocks
        // first, so LRU (the whole-window expert) is optimal and W-TinyLFU's small window is not.
        TierPolicy policy = new TierPolicy(200, 300);
        long[] trace = Traces.zigzag(600, 12, 0);
        LruCache lru = new LruCache(200);
        Map<Long, Integer> physical = new HashMap<>();
        long hits = 0;
        long lruHits = 0;
        for (int t = 0; t < trace.length; t++) {
            hits += policy.levelOf(trace[t]) == 0 ? 1 : 0;
            lruHits += lru.access(trace[t]) ? 1 : 0;
            policy.access(trace[t]);
            if (t % 97 == 0) {
                policy.drainChanges(physical::put);
            }
        }
        policy.drainChanges(physical::put);
        assertEquals(200, policy.windowCapacity(0), "level 0 runs as LRU, all window");
        assertTrue(hits >= lruHits * 95 / 100, hits + " hits, LRU " + lruHits);
        int[] sizes = new int[3];
        for (long key = 0; key < 600; key++) {
            int level = policy.levelOf(key);
            sizes[level]++;
            assertEquals(level, physical.getOrDefault(key, 2), "the drained moves put block " + key + " where it belongs");
        }
        assertEquals(policy.size(0), sizes[0]);
        assertEquals(policy.size(1), sizes[1]);
        assertTrue(policy.size(0) <= 200 && policy.size(1) <= 300);
        // Level 0 holds what LRU holds: it became the LRU expert and makes its decisions since.
        for (long key = 0; key < 600; key++) {
            assertEquals(lru.contains(key), policy.levelOf(key) == 0, "block " + key);
        }
    }

    @Test
    void aRemovedBlockIsNotBroughtBackWhenTheLevelBecomesAnExpert() {
        TierPolicy policy = new TierPolicy(200, 300);
        long[] trace = Traces.zigzag(600, 12, 0);
        java.util.Set<Long> removed = new java.util.HashSet<>();
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        long windowBefore = policy.windowCapacity(0);
        boolean became = false;
        for (long key : trace) {
            removed.remove(key); // written again
            policy.access(key);
            if (random.nextInt(10) == 0) {
                policy.remove(key);
                removed.add(key);
            }
            became |= policy.windowCapacity(0) != windowBefore;
            policy.drainChanges((k, level) -> assertTrue(!removed.contains(k), "removed block " + k + " moved to " + level));
        }
        assertTrue(became, "level 0 followed another expert");
        for (long key : removed) {
            assertEquals(2, policy.levelOf(key));
        }
    }

    @Test
    void aLevelShrunkByAResizeCanStillBecomeAnExpert() {
        TierPolicy policy = new TierPolicy(2000, 1000);
        replay(policy, Traces.zipf(40_000, 8_000, 0.9, 0, 4));
        policy.resize(0, 300); // keeps the sketch of 2000 blocks; the new experts have one of 300
        replay(policy, Traces.zigzag(900, 12, 1L << 40));
        assertEquals(300, policy.windowCapacity(0), "level 0 became the LRU expert");
        assertEquals(300, policy.size(0));
    }

    @Test
    void randomOperationsKeepTheLevelsConsistentWithWhatWasDrained() throws IOException {
        TierPolicy policy = new TierPolicy(150, 250);
        java.util.SplittableRandom random = new java.util.SplittableRandom(12);
        long[] zigzag = Traces.zigzag(400, 40, 0);
        long[] zipf = Traces.zipf(16_000, 1_500, 0.9, 0, 13);
        Map<Long, Integer> physical = new HashMap<>();
        java.util.Set<Long> removed = new java.util.HashSet<>();
        int capacity = 150;
        for (int t = 0; t < 16_000; t++) {
            // Phases of zigzag and of zipf, so level 0 follows one expert, then another.
            long key = (t / 2_000) % 2 == 0 ? zigzag[t] : zipf[t];
            int op = random.nextInt(100);
            if (op < 90) {
                policy.access(key);
                removed.remove(key);
            } else if (op < 95) {
                int level = random.nextInt(3);
                policy.insert(key, level); // new data written straight to that level: no move to drain
                physical.put(key, level);
                removed.remove(key);
            } else if (op < 99) {
                policy.remove(key);
                physical.remove(key);
                removed.add(key);
            } else {
                capacity = 50 + random.nextInt(250);
                policy.resize(0, capacity);
            }
            if (random.nextInt(50) == 0) {
                policy.drainChanges(physical::put);
                for (long k = 0; k < 1_500; k++) {
                    int level = policy.levelOf(k);
                    assertEquals(level, physical.getOrDefault(k, 2), "block " + k + " where the drained moves put it");
                    assertTrue(!removed.contains(k) || level == 2, "removed block " + k + " came back");
                }
                assertTrue(policy.size(0) <= capacity && policy.size(1) <= 250, policy.size(0) + " / " + policy.size(1));
                assertEquals(policy.size(0), countInLevel(policy, java.util.stream.LongStream.range(0, 1_500).toArray(), 0));
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        policy.save(new DataOutputStream(bytes));
        TierPolicy loaded = TierPolicy.load(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), null, 0);
        for (int t = 0; t < 4_000; t++) {
            assertEquals(policy.access(zigzag[t]), loaded.access(zigzag[t]));
        }
    }

    @Test
    void aLevelThatBecameAnExpertSavesAndLoadsTheSame() throws IOException {
        TierPolicy policy = new TierPolicy(200, 300);
        replay(policy, Traces.zigzag(600, 8, 0));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        policy.save(new DataOutputStream(bytes));
        TierPolicy loaded = TierPolicy.load(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), null, 0);
        assertEquals(drain(policy), drain(loaded));
        for (long key : Traces.concat(Traces.zigzag(600, 4, 0), Traces.zipf(20_000, 2_000, 0.9, 0, 3))) {
            assertEquals(policy.access(key), loaded.access(key));
            assertEquals(policy.windowCapacity(0), loaded.windowCapacity(0));
        }
        assertEquals(drain(policy), drain(loaded));
    }

    @Test
    void refusesBadConfiguration() {
        assertThrows(IllegalArgumentException.class, () -> new TierPolicy());
        assertThrows(IllegalArgumentException.class, () -> new TierPolicy(-1));
        assertThrows(IllegalArgumentException.class, () -> new TierPolicy(new long[] {10}, () -> 0, 0));
    }

    static void replay(TierPolicy policy, long[] trace) {
        for (long key : trace) {
            policy.access(key);
        }
    }

    private static Map<Long, Integer> drain(TierPolicy policy) {
        Map<Long, Integer> moved = new HashMap<>();
        policy.drainChanges((key, level) -> assertEquals(null, moved.put(key, level), "reported twice: " + key));
        return moved;
    }

    private static int countInLevel(TierPolicy policy, long[] keys, int level) {
        int n = 0;
        for (long key : keys) {
            n += policy.levelOf(key) == level ? 1 : 0;
        }
        return n;
    }

    private static long firstIn(TierPolicy policy, int level) {
        for (long k = 0; ; k++) {
            if (policy.levelOf(k) == level) {
                return k;
            }
        }
    }

    /** The {@code n} most frequent keys of a trace. */
    private static long[] hottest(long[] trace, int n) {
        Map<Long, Integer> counts = new HashMap<>();
        for (long key : trace) {
            counts.merge(key, 1, Integer::sum);
        }
        return counts.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(n)
            .mapToLong(Map.Entry::getKey).toArray();
    }
}
