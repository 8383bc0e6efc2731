package io.tierfs.migration;

import io.tierfs.block.BlockRef;
import io.tierfs.block.BlockStore;
import io.tierfs.meta.Keys;
import io.tierfs.namespace.Inodes;
import io.tierfs.placement.BlockKeys;
import io.tierfs.placement.TierPolicy;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The background thread that keeps blocks where the placement policy wants them. It feeds the
 * policy the accesses the data path reports, takes the policy's decisions (a block belongs in the
 * hot tier, on ssd, or on hdd), and carries them out with a {@link BlockMover}, at most at the
 * configured rate, copies out of a tier before copies into it so that room is made first.
 *
 * <p>Policy levels: with a hot tier, level 0 is hot, 1 is ssd and 2 (the bottom) is hdd; without,
 * 0 is ssd and 1 is hdd. The hot tier only holds copies: a hot block's own copy stays where it
 * was, ssd or hdd, and one on ssd goes down to hdd when the ssd level needs the room. So the three
 * tiers together hold as many blocks as their capacities add up to (only the low watermark is
 * kept free on ssd for new blocks, and a few blocks of room for blocks coming up).
 *
 * <p>The slow disk's reads and writes are what tiering saves, so the policy's decisions cost as
 * few of them as they can ({@link MoveExecutor#place}): a block comes up from hdd once read again
 * after the decision, with the bytes that read fetched (or from its hot copy), never with a read
 * of its own, and one the policy sends down stays on ssd until the room is needed.
 */
public final class Migrator implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Migrator.class.getName());
    /** How long the thread sleeps after a round with nothing to do. */
    private static final long IDLE_NANOS = 20_000_000L;
    private static final long FAILURE_LOG_NANOS = 60_000_000_000L;
    private static final int SSD = MoveExecutor.SSD, HDD = MoveExecutor.HDD;

    private final BlockStore store;
    private final LongSupplier nanoClock;
    private final Inodes inodes;
    private final PlacementEvents events;
    private final BlockKeys keys;
    private final TierPolicy policy;
    private final MoveExecutor executor;
    private final RateLimiter limiter;
    private final MigrationStats stats;
    private final int hotLevel;
    private final int ssdLevel;
    /** The policy's capacities without pins. */
    private final long[] baseLevels;
    /** Enough reads to saturate a block's count in the frequency sketch (4 bits). */
    private static final int PROMOTE_ACCESSES = 16;
    /** Files a policy promoted, each once until the migrator's next round takes it. */
    private final Set<Long> promotions = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Pins pins;
    /**
     * A promotion is carried out only once the decision held this long. The policy admits every
     * block it misses into a small window, and most leave it again within milliseconds; copying
     * each up would spend the migrator's rate on blocks read once (a zipf read test with a 512
     * block hot tier made 10,000 copies in 8 s without it). Moves out of a tier wait for nothing.
     * 50 ms (tried: a block from the window needs a second read before it comes up from hdd
     * anyway) moved half as many blocks again for the same IOPS within the benchmark's spread.
     */
    static final long SETTLE_NANOS = 200_000_000L;
    /**
     * The ring of blocks reads fetched whole from hdd ({@link io.tierfs.block.FetchedBlocks}): it
     * must hold a block from its read until the policy's decision on it has settled and been
     * carried out, {@link #SETTLE_NANOS} and a round or two of moves. 64 MiB is 512 blocks of
     * 128 KiB, 2.5 s of the 200 reads a second of the tiering benchmark's disk arm; with 16 MiB,
     * 0.6 s, a third of the blocks coming up had left it and were read from the slow disk again.
     * Its pages are taken only as reads of hdd fill it.
     */
    static final long FETCHED_BYTES = 64L << 20;

    /** Decisions not carried out yet: block key to level, oldest first. Migrator thread only. */
    private final LinkedHashMap<Long, Integer> pending = new LinkedHashMap<>();
    /** When each pending decision was taken (System.nanoTime). Migrator thread only. */
    private final Map<Long, Long> decidedAt = new HashMap<>();
    /**
     * Decisions to move a block up from hdd that wait for the block's next read (see
     * {@link MoveExecutor#place}): key to level. They wait here, out of the rounds' way; the read
     * puts the decision back at the end of {@link #pending}, {@link #readAgain}. Kept in
     * {@link #pending}, they filled the head of its rounds (3,900 decisions waited there in a
     * benchmark run, and new ones went unseen). Migrator thread only.
     */
    private final Map<Long, Integer> awaitingRead = new HashMap<>();
    /**
     * Blocks read since the policy decided to move them up from hdd. A copy up from the slow disk
     * costs, for the block it displaces, one of its writes, and the policy's admission window
     * takes every block read: moving blocks up on its word alone made 29,000 copies up and as
     * many down in a 240 s zipf run (120 a second each way, beside a 200-IOPS disk). A second
     * read, or a rank in the level's main region, earned by frequency, is the evidence the move
     * will pay for itself. Migrator thread only.
     */
    private final Set<Long> readAgain = new HashSet<>();
    private final BackgroundLoop loop = new BackgroundLoop("tierfs-migrator", this::round);
    private boolean demotableFound;
    private long lastFailureLog = System.nanoTime() - FAILURE_LOG_NANOS;

    /**
     * @param policy the placement policy with {@link #levels} levels, warm from a saved state or
     *               {@link #populate populated} from the block map before {@link #start}
     * @param lowWatermark the share of the ssd tier placement fills, in percent (the policy's
     *                     levels, {@link #levels}, must be made with the same)
     */
    public Migrator(BlockStore store, Inodes inodes, TierPolicy policy, long bytesPerSecond, int lowWatermark)
        throws IOException {
        this(store, inodes, policy, bytesPerSecond, lowWatermark, System::nanoTime);
    }

    /** With a clock of its own (tests): it times the rate, and how long a decision must hold. */
    Migrator(BlockStore store, Inodes inodes, TierPolicy policy, long bytesPerSecond, int lowWatermark,
             LongSupplier nanoClock) throws IOException {
        this.store = store;
        this.nanoClock = nanoClock;
        this.inodes = inodes;
        this.policy = policy;
        this.keys = new BlockKeys(store.blockSize());
        this.events = new PlacementEvents(keys);
        this.limiter = new RateLimiter(bytesPerSecond, nanoClock);
        this.stats = new MigrationStats(new String[] {"ssd", "hdd", "hot"});
        this.hotLevel = store.hot() != null ? 0 : -1;
        this.ssdLevel = hotLevel + 1;
        this.executor = new MoveExecutor(store, inodes, keys, limiter, stats, hotLevel, ssdLevel, lowWatermark);
        this.baseLevels = levels(store, lowWatermark);
        this.pins = new Pins(store.hot(), baseLevels[ssdLevel], store.tier(HDD).capacityBytes() / store.blockSize());
        store.setEvents(events);
        store.keepFetchedBlocks(FETCHED_BYTES);
    }

    /** The policy's capacities, in blocks, for a store: the hot tier's, then the ssd tier's below the low watermark. */
    public static long[] levels(BlockStore store, int lowWatermark) throws IOException {
        long ssd = store.tier(SSD).capacityBytes() / 100 * lowWatermark / store.blockSize();
        return store.hot() == null ? new long[] {ssd} : new long[] {store.hot().capacityBlocks(), ssd};
    }

    /**
     * Tells the policy where each block of the block map is now, for a mount without a saved
     * state: the blocks with a hot copy, and those on ssd, in the order of the map. What does not
     * fit becomes a pending move.
     */
    public void populate() {
        store.meta().scan(Keys.all(Keys.BLOCK), Keys.allEnd(Keys.BLOCK), (k, v) -> {
            long ino = Keys.inoOf(k);
            long index = Keys.blockIndexOf(k);
            long key = keys.pack(ino, index);
            boolean hot = store.hot() != null && store.hot().holds(ino, index);
            if (key != BlockKeys.UNTRACKED && (hot || BlockRef.decode(v).tier() == SSD)) {
                int level = hot ? hotLevel : ssdLevel;
                policy.insert(key, level);
                // the inserted block is where it belongs already; what it pushed out is not
                policy.drainChanges((moved, to) -> {
                    if (moved != key || to != level) {
                        pending.put(moved, to);
                    }
                });
            }
            return true;
        });
        findHotOnSsd();
    }

    /** The hot blocks whose own copy is on ssd: what can go down to hdd when the ssd level needs room. */
    private void findHotOnSsd() {
        if (store.hot() == null) {
            return;
        }
        for (long ino : store.hot().storedInodes()) {
            store.hot().forEachBlock(ino, 0, Long.MAX_VALUE, index -> {
                byte[] record = store.meta().get(Keys.block(ino, index));
                long key = keys.pack(ino, index);
                if (record != null && key != BlockKeys.UNTRACKED && BlockRef.decode(record).tier() == SSD) {
                    executor.hotOnSsd.add(key);
                }
            });
        }
    }

    /**
     * The blocks on ssd that the policy has on hdd, pinned nowhere: they go down when the ssd tier
     * needs the room. A saved state does not list them; a populated policy sends them as decisions.
     */
    private void findDemotable() {
        int bottom = policy.levels();
        store.meta().scan(Keys.all(Keys.BLOCK), Keys.allEnd(Keys.BLOCK), (k, v) -> {
            long key = keys.pack(Keys.inoOf(k), Keys.blockIndexOf(k));
            if (key != BlockKeys.UNTRACKED && BlockRef.decode(v).tier() == SSD && !pending.containsKey(key)
                && policy.levelOf(key) == bottom && pins.tierOf(Keys.inoOf(k)) < 0) {
                executor.demotable.add(key);
            }
            return !loop.stopRequested();
        });
    }

    /** Decisions a saved state left to carry out (see {@link #pending}). */
    public void resume(Map<Long, Integer> decisions) {
        pending.putAll(decisions);
        findHotOnSsd();
    }

    public void start() {
        loop.start();
    }

    public MigrationStats stats() {
        return stats;
    }

    /**
     * Pins file {@code ino} to {@code tier} ("hot", "ssd", "hdd"; "none" unpins it); the migrator
     * moves its blocks there. ENOSPC if they cannot fit beside what is pinned there already.
     * Without a hot tier, a hot pin keeps the file on ssd.
     */
    public void pin(long ino, String tier) {
        int t = Pins.tierOf(tier);
        pins.pin(ino, t == Pins.HOT && hotLevel < 0 ? Pins.SSD : t, blockCount(ino));
    }

    private long blockCount(long ino) {
        long[] blocks = {0};
        store.meta().scan(Keys.first(Keys.BLOCK, ino), Keys.after(Keys.BLOCK, ino), (k, v) -> {
            blocks[0]++;
            return true;
        });
        return blocks[0];
    }

    /**
     * Makes file {@code ino}'s blocks look much used (a policy's promote): at the migrator's next
     * round each counts as {@link #PROMOTE_ACCESSES} reads, so the placement policy moves them up
     * wherever they beat what is there; pinned files stay where their pin says.
     *
     * @return the blocks the file has
     */
    public long promote(long ino) {
        promotions.add(ino); // once until the next round, however often a policy asks
        return blockCount(ino);
    }

    private void applyPromotions() {
        for (java.util.Iterator<Long> it = promotions.iterator(); it.hasNext(); ) {
            long file = it.next();
            it.remove();
            store.meta().scan(Keys.first(Keys.BLOCK, file), Keys.after(Keys.BLOCK, file), (k, v) -> {
                long key = keys.pack(file, Keys.blockIndexOf(k));
                if (key != BlockKeys.UNTRACKED) {
                    for (int i = 0; i < PROMOTE_ACCESSES; i++) {
                        accessed(key);
                    }
                }
                return true;
            });
        }
    }

    public TierPolicy policy() {
        return policy;
    }

    /** The decisions not carried out yet, for a warm restart: key to level. Call after {@link #close}. */
    public Map<Long, Integer> pending() {
        Map<Long, Integer> all = new LinkedHashMap<>(pending);
        all.putAll(awaitingRead);
        return all;
    }

    /** Stops the thread after the move under way; the policy can then be saved. */
    @Override
    public void close() {
        loop.stop();
        executor.close();
    }

    /** A round of the thread; how long it then sleeps. */
    private long round() {
        if (!demotableFound) {
            findDemotable();
            demotableFound = true;
        }
        try {
            // it sleeps also after a round that only learned: rounds that each drained the few
            // accesses and new blocks reported since the last spent a core beside the writers
            // (1 MiB buffered writes, 2 cores)
            return step() ? 0 : IDLE_NANOS;
        } catch (RuntimeException e) {
            failed("the migrator", e);
            return IDLE_NANOS;
        }
    }

    /** One round: learn, decide, move. Whether it moved anything (and has more to move, maybe). */
    boolean step() {
        followHotCapacity();
        applyPins();
        applyPromotions();
        events.dropped.drainTo(key -> {
            pinnedFileChanged(key);
            policy.remove(key);
            forgetDecision(key);
            executor.forget(key);
        });
        events.lost.drainTo(this::hotCopyLost);
        events.rewritten.drainTo(this::hotCopyRewritten);
        events.created.drainTo(this::created);
        events.accesses.drainTo(this::accessed);
        for (long ino : pinnedFilesChanged) {
            pins.recount(ino, blockCount(ino)); // from the block map: a block reported after the pin counted it is not counted twice
        }
        pinnedFilesChanged.clear();
        long now = nanoClock.getAsLong();
        policy.drainChanges((key, level) -> {
            pending.remove(key);
            awaitingRead.remove(key);
            pending.put(key, level);
            decidedAt.put(key, now);
            executor.demotable.remove(key);
        });
        // out of the faster tiers first, so that what comes in finds room
        executor.throttled = false;
        boolean moved = carryOut(policy.levels()) | carryOut(ssdLevel) | (hotLevel >= 0 && carryOut(hotLevel))
            | keepSsdReserve();
        stats.backlog.set(pending.size() + awaitingRead.size());
        if (executor.throttled) {
            loop.sleep(limiter.nanosUntil(store.blockSize()));
        }
        return moved;
    }

    private void created(long key) {
        int pin = pins.any() ? pins.tierOf(keys.inoOf(key)) : -1;
        if (pin < 0) {
            policy.insert(key, ssdLevel);
        } else {
            pinnedFileChanged(key);
            pending.put(key, levelOfPin(pin));
        }
    }

    /** Pinned files whose blocks were made or dropped in this round: counted again at its end. Migrator thread only. */
    private final Set<Long> pinnedFilesChanged = new HashSet<>();

    private void pinnedFileChanged(long key) {
        if (pins.any() && pins.tierOf(keys.inoOf(key)) >= 0) {
            pinnedFilesChanged.add(keys.inoOf(key));
        }
    }

    /** Two writes raced on a hot block and one dropped its copy: where it is hot still, it gets a new one at once. */
    private void hotCopyLost(long key) {
        executor.hotOnSsd.remove(key);
        int pin = pins.any() ? pins.tierOf(keys.inoOf(key)) : -1;
        int level = pin >= 0 ? levelOfPin(pin) : policy.levelOf(key);
        if (level == hotLevel && !pending.containsKey(key) && !awaitingRead.containsKey(key)) {
            pending.put(key, hotLevel);
        }
    }

    /**
     * A write replaced the whole block, on ssd, and dropped its hot copy rather than write it too:
     * a pinned block gets a new copy at once; any other is new data on ssd, as a block just
     * created, and its next reads bring it back up if it earns it.
     */
    private void hotCopyRewritten(long key) {
        if (pins.any() && pins.tierOf(keys.inoOf(key)) >= 0) {
            hotCopyLost(key);
            return;
        }
        executor.hotOnSsd.remove(key);
        forgetDecision(key);
        policy.insert(key, ssdLevel);
    }

    /** Drops any move decided for the block and not made yet. */
    private void forgetDecision(long key) {
        pending.remove(key);
        decidedAt.remove(key);
        awaitingRead.remove(key);
        readAgain.remove(key);
    }

    private void accessed(long key) {
        Integer waiting = awaitingRead.remove(key);
        if (waiting != null) {
            pending.put(key, waiting); // the read fetched it: its turn comes next round
        }
        if (waiting != null || pending.containsKey(key)) {
            readAgain.add(key);
        }
        if (!pins.any() || pins.tierOf(keys.inoOf(key)) < 0) {
            policy.access(key); // a pinned block's place is the pin's, not the policy's
        }
    }

    /**
     * A hot tier grown or shrunk live (a policy's grow-cache or shrink-cache): the policy's hot
     * level follows, evicting what no longer fits, whose blocks then move down as any demotion.
     */
    private void followHotCapacity() {
        if (hotLevel < 0 || store.hot().capacityBlocks() == baseLevels[hotLevel]) {
            return;
        }
        baseLevels[hotLevel] = store.hot().capacityBlocks();
        policy.resize(hotLevel, Math.max(0, baseLevels[hotLevel] - pins.pinnedBlocks(Pins.HOT)));
    }

    /**
     * Pins and unpins since the last round: a pinned file's blocks leave the policy and move where
     * the pin says; an unpinned one's join it where they are. The policy's levels shrink by what
     * is pinned in their tiers.
     */
    private void applyPins() {
        int n = 0;
        for (Pins.Change next = pins.changes.poll(); next != null; next = pins.changes.poll(), n++) {
            Pins.Change c = next;
            int tier = c.tier();
            store.meta().scan(Keys.first(Keys.BLOCK, c.ino()), Keys.after(Keys.BLOCK, c.ino()), (k, v) -> {
                long key = keys.pack(c.ino(), Keys.blockIndexOf(k));
                if (key == BlockKeys.UNTRACKED) {
                    return true;
                }
                if (tier >= 0) {
                    policy.remove(key);
                    pending.put(key, levelOfPin(tier));
                    decidedAt.remove(key);
                } else {
                    // a hot copy counts wherever the block's own copy is: one on hdd, left out,
                    // would hold its room in the hot tier with nothing to ever drop it
                    boolean hot = store.hot() != null && store.hot().holds(c.ino(), Keys.blockIndexOf(k));
                    if (hot || BlockRef.decode(v).tier() == SSD) {
                        policy.insert(key, hot ? hotLevel : ssdLevel);
                    }
                }
                return true;
            });
        }
        if (n > 0) {
            if (hotLevel >= 0) {
                policy.resize(hotLevel, Math.max(0, baseLevels[hotLevel] - pins.pinnedBlocks(Pins.HOT)));
            }
            policy.resize(ssdLevel, Math.max(0, baseLevels[ssdLevel] - pins.pinnedBlocks(Pins.SSD)));
        }
    }

    private int levelOfPin(int pin) {
        return pin == Pins.HOT ? (hotLevel >= 0 ? hotLevel : ssdLevel) : pin == Pins.SSD ? ssdLevel : policy.levels();
    }

    /**
     * Carries out the due decisions for {@code level}, as the rate allows, a file at a time (one
     * sync and one commit for the blocks of a file). Whether any was done.
     */
    private boolean carryOut(int level) {
        long settled = nanoClock.getAsLong() - (level < policy.levels() ? SETTLE_NANOS : 0);
        Map<Long, List<Long>> byFile = new LinkedHashMap<>();
        int taken = 0;
        for (Map.Entry<Long, Integer> e : pending.entrySet()) {
            if (e.getValue() != level) {
                continue;
            }
            Long at = decidedAt.get(e.getKey());
            if (at != null && at > settled || taken == ROUND_BLOCKS) {
                break; // the rest were decided later still
            }
            byFile.computeIfAbsent(keys.inoOf(e.getKey()), ino -> new ArrayList<>()).add(e.getKey());
            taken++;
        }
        int[] done = {0};
        for (Map.Entry<Long, List<Long>> f : byFile.entrySet()) {
            if (loop.stopRequested() || executor.throttled) {
                break;
            }
            try {
                executor.carryOut(f.getKey(), f.getValue(), level, key -> {
                    pending.remove(key);
                    decidedAt.remove(key);
                    readAgain.remove(key);
                    done[0]++;
                }, policy::remove, decisions);
            } catch (MoveExecutor.MoveFailure e) {
                failed(e.getMessage(), e);
            }
        }
        return done[0] > 0;
    }

    private boolean keepSsdReserve() {
        try {
            return executor.keepSsdReserve();
        } catch (IOException e) {
            failed("moving blocks down to keep the ssd tier's reserve", e);
            return false;
        }
    }

    /** Decisions without a time are a pin's, or carried over from a mount without a saved state. */
    private final MoveExecutor.Decisions decisions = new MoveExecutor.Decisions() {
        @Override
        public boolean guessed(long key) {
            return decidedAt.containsKey(key);
        }

        @Override
        public boolean earned(long key) {
            return readAgain.contains(key) || policy.inMainRegion(key);
        }

        @Override
        public void awaitRead(long key) {
            readAgain.remove(key);
            Integer level = pending.remove(key);
            if (level != null) {
                awaitingRead.put(key, level);
            }
        }
    };

    /** The most blocks one round takes on: it then learns from the accesses again. */
    private static final int ROUND_BLOCKS = 256;

    private void failed(String what, Exception e) {
        stats.failures.increment();
        long now = System.nanoTime();
        if (now - lastFailureLog >= FAILURE_LOG_NANOS) {
            lastFailureLog = now;
            LOG.log(Level.WARNING, what + " failed (logged once a minute; " + stats.failures() + " so far)", e);
        }
    }
}
