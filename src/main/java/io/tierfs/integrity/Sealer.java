package io.tierfs.integrity;

import io.tierfs.block.BlockMover;
import io.tierfs.block.BlockRef;
import io.tierfs.block.BlockStore;
import io.tierfs.block.FileBlocks;
import io.tierfs.block.Seals;
import io.tierfs.meta.Keys;
import io.tierfs.migration.BackgroundLoop;
import io.tierfs.migration.RateLimiter;
import io.tierfs.namespace.FsException;
import io.tierfs.namespace.Inode;
import io.tierfs.namespace.Inodes;
import io.tierfs.namespace.TierAttributes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * Seals blocks left alone for a while ({@code seal-after}): their records get page sums that every
 * later read from ssd or hdd verifies (see {@link BlockRef}). It learns of unsealed blocks from the
 * data path ({@link Seals}: new blocks, blocks a write unsealed) and, a bounded slice at a time,
 * from the block map (blocks left unsealed by an earlier mount, or by a volume from before
 * sealing). Its clock is {@link Seals#tick}, one tick a round; a block whose last write is
 * {@code sealAfterTicks} old is sealed by {@link BlockMover#sealAll}, which a write racing it
 * always beats. Reads for sealing are rate-limited like the migrator's moves.
 *
 * <p>A block it seals on a tier that compresses (written there, not moved) is compressed in
 * place ({@link BlockMover#compressInPlace}). It also keeps replicas: a sealed block of a file with two ({@code user.tierfs.replicas})
 * gets one ({@link BlockMover#replicateAll}), right after its seal; the blocks of a file back to
 * one lose theirs; and a copy that failed its checksums while the other did not is rewritten from
 * the good one ({@link BlockMover#repair}).
 */
public final class Sealer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Sealer.class.getName());
    private static final long ROUND_NANOS = 1_000_000_000L;
    /** Blocks sealed with one sync of their tier file and one commit. */
    private static final int BATCH = 32;
    /** Unsealed blocks of the block map taken into {@link #waiting} at a time: memory stays bounded on a huge volume. */
    private static final int SCAN_SLICE = 10_000;

    private final BlockStore store;
    private final Inodes inodes;
    private final Seals seals;
    private final BlockMover mover;
    private final RateLimiter limiter;
    /** 0: blocks are sealed only at a clean unmount (and by moves); replicas and repairs go on. */
    private final int sealAfterTicks;
    /** A due round never reached: blocks that wait for the unmount ({@code seal-after} 0). */
    private static final int NEVER = Integer.MAX_VALUE - 1;
    /** Rounds until a block whose replica could not be made (no room, a failed read) is tried again. */
    private static final int RETRY_TICKS = 30;
    /** Bad copies rewritten in one round at most: the rest wait, and the round's other work goes on. */
    private static final int MAX_REPAIRS_PER_ROUND = 1000;
    private static final byte[] REPLICAS = TierAttributes.REPLICAS.getBytes(StandardCharsets.US_ASCII);
    /** Unsealed blocks to look at, by inode. Sealer thread only. */
    private final Map<Long, Waiting> waiting = new HashMap<>();
    private int waitingCount;
    /**
     * The most blocks kept waiting: past it (writes outrunning the seals' rate), reports of
     * unsealed blocks are dropped, and the block map is scanned again once the backlog is down.
     */
    private static final int MAX_WAITING = 100_000;
    private boolean missed;
    /** Where the next slice of the block map starts; null once it was read to its end. */
    private byte[] scanFrom = Keys.all(Keys.BLOCK);
    private volatile long sealed;
    private final BackgroundLoop loop = new BackgroundLoop("tierfs-sealer", this::round);

    /**
     * @param sealAfterSeconds how long a block must be left unwritten before it is sealed
     * @param bytesPerSecond   the most the sealer reads a second
     */
    public Sealer(BlockStore store, Inodes inodes, int sealAfterSeconds, long bytesPerSecond) {
        this.store = store;
        this.inodes = inodes;
        this.seals = store.seals();
        this.mover = new BlockMover(store);
        this.limiter = new RateLimiter(bytesPerSecond, System::nanoTime);
        this.sealAfterTicks = sealAfterSeconds;
    }

    public void start() {
        loop.start();
    }

    /** Blocks sealed since the mount. */
    public long sealed() {
        return sealed;
    }

    /** A round of the thread; how long it then sleeps, so that rounds start a second apart. */
    private long round() {
        long start = System.nanoTime();
        try {
            round(false);
        } catch (RuntimeException | IOException e) {
            LOG.warning("sealing failed (it is tried again): " + e);
        }
        return ROUND_NANOS - (System.nanoTime() - start);
    }

    /**
     * One round: the clock moves on, the blocks reported unsealed join {@link #waiting}, and every
     * waiting block left alone long enough ({@code all}: every waiting block) is sealed.
     */
    void round(boolean all) throws IOException {
        seals.advance();
        int now = seals.tick();
        seals.forgetWritesBefore(now - sealAfterTicks);
        repair();
        for (Seals.FileChange change = seals.pollFileChanged(); change != null; change = seals.pollFileChanged()) {
            long file = change.ino();
            store.meta().scan(Keys.first(Keys.BLOCK, file), Keys.after(Keys.BLOCK, file), (k, v) -> {
                if (waitingCount >= MAX_WAITING) {
                    missed = true; // a later scan of the block map finds the rest
                    return false;
                }
                add(file, Keys.blockIndexOf(k));
                return true;
            });
            Waiting w = waiting.get(file);
            if (w != null) {
                w.due = now; // its sealed blocks get or lose their replicas, or are compressed again, this round
                w.recompress |= change.compression();
            }
        }
        for (long[] b = seals.pollReview(); b != null; b = seals.pollReview()) {
            if (waitingCount < MAX_WAITING) {
                add(b[0], b[1]);
            } else {
                missed = true; // the block map still says it is unsealed: a later scan finds it
            }
        }
        if (scanFrom == null && missed && waitingCount < SCAN_SLICE) {
            scanFrom = Keys.all(Keys.BLOCK);
            missed = false;
        }
        if (waitingCount < SCAN_SLICE && scanFrom != null) {
            scanSlice();
        }
        for (Iterator<Map.Entry<Long, Waiting>> it = waiting.entrySet().iterator(); it.hasNext() && !loop.stopRequested(); ) {
            Map.Entry<Long, Waiting> e = it.next();
            Waiting w = e.getValue();
            if (!all && w.due > now) {
                continue;
            }
            int before = w.indexes.size();
            try {
                w.due = sealIdle(e.getKey(), w, all ? Integer.MAX_VALUE : now);
            } catch (IOException | RuntimeException failure) {
                // one file's failure (its tier gone, a read error) holds up no other file's seals
                w.due = now + RETRY_TICKS;
                failed(e.getKey(), failure);
            }
            waitingCount -= before - w.indexes.size();
            if (w.indexes.isEmpty()) {
                it.remove();
            }
        }
    }

    /** Seals every unsealed block, at full speed: at a clean unmount, once nothing writes any more and the thread {@link #stop stopped}. */
    public void sealEverything() throws IOException {
        if (sealAfterTicks == 0) {
            scanFrom = Keys.all(Keys.BLOCK); // unsealed blocks were not kept waiting: the block map has them
        }
        long before;
        int left;
        do {
            before = sealed;
            left = waitingCount;
            round(true);
            // rounds go on while they seal, or shrink what waits, or read more of the block map
        } while ((waitingCount > 0 || scanFrom != null)
            && (sealed > before || waitingCount < left || scanFrom != null));
        LOG.info(sealed + " blocks sealed since the mount" + (waitingCount > 0
            ? "; " + waitingCount + " blocks still wait for a seal or a replica (no room for it on the other tier, or"
                + " a failure logged above): a later mount takes them up again"
            : ""));
    }

    private long lastFailureLog;

    private void failed(long ino, Exception e) {
        long now = System.nanoTime();
        if (now - lastFailureLog > 60_000_000_000L || lastFailureLog == 0) {
            lastFailureLog = now;
            LOG.warning("sealing the blocks of inode " + ino + " failed (tried again later; logged once a minute): " + e);
        }
    }

    /**
     * A file's unsealed blocks, and the first round any of them can be idle: a file is opened only
     * then, not each round (a tar unpacked makes thousands of files at once).
     */
    private static final class Waiting {
        final TreeSet<Long> indexes = new TreeSet<>();
        int due;
        /** Its compression choice changed: its sealed blocks are compressed again by it. */
        boolean recompress;
    }

    private void add(long ino, long index) {
        Waiting w = waiting.computeIfAbsent(ino, k -> new Waiting());
        if (w.indexes.add(index)) {
            waitingCount++;
            // reported as it was written, or since; with seal-after 0 looked at in the next round,
            // which keeps it only if its replica is due
            w.due = Math.min(w.due, sealAfterTicks > 0 ? idleAt(seals.tick()) : seals.tick());
        }
    }

    /** The round when a block last written in round {@code lastWrite} is idle enough to seal. */
    private int idleAt(int lastWrite) {
        return sealAfterTicks > 0 ? lastWrite + sealAfterTicks : NEVER;
    }

    /** Rewrites the bad copies reads found from their good replicas. */
    private void repair() {
        int left = MAX_REPAIRS_PER_ROUND;
        for (Seals.BadCopy bad = seals.pollRepair(); bad != null; bad = left-- > 0 && !loop.stopRequested() ? seals.pollRepair() : null) {
            boolean rewritten = false;
            try {
                Inode inode = inodes.get(bad.ino());
                FileBlocks file = inodes.open(inode);
                try {
                    rewritten = mover.repair(file, bad);
                } finally {
                    inodes.close(inode);
                }
            } catch (FsException gone) {
                // deleted since
            } catch (IOException | RuntimeException e) {
                LOG.warning("rewriting the bad copy of block " + bad.index() + " of inode " + bad.ino() + " on tier "
                    + bad.tier() + " failed (a later read of it tries again): " + e);
            } finally {
                seals.repairDone(bad, rewritten);
                add(bad.ino(), bad.index()); // a replica that could not be made again is tried again
            }
        }
    }

    /** Whether file {@code ino} keeps two replicas of its sealed blocks (user.tierfs.replicas, inherited when it was made). */
    private boolean replicated(long ino) {
        byte[] v = store.meta().get(Keys.xattr(ino, REPLICAS));
        return v != null && v.length == 1 && v[0] == '2';
    }

    /**
     * Takes the next blocks of the block map that need the sealer into {@link #waiting}: unsealed
     * raw ones, and sealed ones whose replica is missing or no longer wanted.
     */
    private void scanSlice() {
        int[] taken = {0};
        byte[][] last = {null};
        long[] replicatedIno = {-1, 0}; // the last inode asked about, and whether it is replicated
        store.meta().scan(scanFrom, Keys.allEnd(Keys.BLOCK), (k, v) -> {
            last[0] = k;
            long ino = Keys.inoOf(k);
            boolean unsealed = (v[3] & BlockRef.FLAG_SEALED) == 0;
            if (!unsealed && replicatedIno[0] != ino) {
                replicatedIno[0] = ino;
                replicatedIno[1] = replicated(ino) ? 1 : 0;
            }
            // flags and codec straight from the record: no decode of the sealed ones
            if (unsealed && v[2] == BlockRef.CODEC_NONE
                || !unsealed && replicatedIno[0] == ino && BlockRef.recordHasReplica(v) != (replicatedIno[1] == 1)) {
                add(Keys.inoOf(k), Keys.blockIndexOf(k));
                taken[0]++;
            }
            return taken[0] < SCAN_SLICE;
        });
        scanFrom = taken[0] < SCAN_SLICE || last[0] == null ? null : Keys.block(Keys.inoOf(last[0]),
            Keys.blockIndexOf(last[0]) + 1);
    }

    /**
     * Seals the blocks of {@code ino} waiting in {@code w} last written before {@code now - seal-after},
     * and gives the sealed ones the replica their file asks for (or drops the one it no longer
     * wants); where the file's compression choice changed, its sealed blocks are first compressed
     * again by it. Drops from the waiting blocks those done or gone. The round when the next of
     * the others is due.
     */
    private int sealIdle(long ino, Waiting w, int now) throws IOException {
        TreeSet<Long> indexes = w.indexes;
        Inode inode;
        try {
            inode = inodes.get(ino);
        } catch (FsException e) {
            indexes.clear(); // deleted
            return now;
        }
        FileBlocks file = inodes.open(inode);
        try {
            if (file.syncFailure() != null) {
                indexes.clear(); // its data may not be on disk: sums of it would fail good reads later
                return now;
            }
            if (w.recompress && now != Integer.MAX_VALUE) {
                // those rewritten raw are unsealed now: sealed and compressed below, as any idle
                // block; a failure (a full tier) leaves the request for the retry of this file
                inBatches(new ArrayList<>(indexes), now, (b, n) -> mover.recompress(file, b, n));
                w.recompress = false;
            }
            boolean replicated = replicated(ino);
            int due = Integer.MAX_VALUE;
            List<Long> idle = new ArrayList<>();
            List<Long> replicate = new ArrayList<>();
            List<Long> drop = new ArrayList<>();
            for (Iterator<Long> it = indexes.iterator(); it.hasNext(); ) {
                long index = it.next();
                BlockRef ref = file.ref(index);
                if (ref == null) {
                    it.remove();
                } else if (ref.sealed() && replicated && ref.replica() < 0) {
                    replicate.add(index);
                } else if (ref.sealed() && !replicated && ref.replica() >= 0) {
                    drop.add(index);
                } else if (ref.sealed()) {
                    it.remove(); // as it should be
                } else if (now >= idleAt(file.lastWrite(index))) {
                    idle.add(index);
                } else if (sealAfterTicks == 0) {
                    it.remove(); // sealed at the unmount, found then in the block map
                } else {
                    due = Math.min(due, idleAt(file.lastWrite(index)));
                }
            }
            sealed += inBatches(idle, now, (b, n) -> mover.sealAll(file, b, n));
            if (now != Integer.MAX_VALUE) {
                // blocks written straight to a tier that compresses (not at the unmount: it would wait on them)
                inBatches(idle, now, (b, n) -> mover.compressInPlace(file, b, n));
            }
            for (long index : idle) {
                BlockRef ref = file.ref(index);
                if (ref != null && ref.sealed() && replicated) {
                    replicate.add(index);
                }
            }
            inBatches(replicate, now, (b, n) -> mover.replicateAll(file, b, n));
            inBatches(drop, now, (b, n) -> mover.dropReplicas(file, b, n));
            Set<Long> triedToSeal = new HashSet<>(idle);
            for (Iterator<Long> it = indexes.iterator(); it.hasNext(); ) {
                long index = it.next();
                BlockRef ref = file.ref(index);
                if (ref == null || ref.sealed() && replicated == ref.replica() >= 0) {
                    it.remove();
                } else if (!ref.sealed() && triedToSeal.contains(index)) {
                    due = Math.min(due, idleAt(file.lastWrite(index))); // a write beat it
                } else if (ref.sealed()) {
                    due = Math.min(due, now + RETRY_TICKS); // no room for its replica, or a read failed: later
                }
            }
            return due == Integer.MAX_VALUE ? now + 1 : due;
        } finally {
            inodes.close(inode);
        }
    }

    /** One batch of a file's blocks, sealed, replicated or dropped: how many were. */
    private interface BatchStep {
        int apply(long[] indexes, int n) throws IOException;
    }

    /**
     * Runs {@code step} over {@code indexes} a {@link #BATCH} at a time, each batch's reads paid
     * for at the rate limit first (not at a clean unmount: {@code now} is then the end of time).
     */
    private int inBatches(List<Long> indexes, int now, BatchStep step) throws IOException {
        long[] batch = new long[BATCH];
        int done = 0;
        for (int from = 0; from < indexes.size() && !loop.stopRequested(); from += BATCH) {
            int n = Math.min(BATCH, indexes.size() - from);
            for (int i = 0; i < n; i++) {
                batch[i] = indexes.get(from + i);
            }
            long bytes = (long) n * store.blockSize();
            while (now != Integer.MAX_VALUE && !loop.stopRequested() && !limiter.tryAcquire(bytes)) {
                loop.sleep(limiter.nanosUntil(bytes));
            }
            done += step.apply(batch, n);
        }
        return done;
    }

    /** Stops the thread after the batch under way; {@link #sealEverything} may follow. */
    public void stop() {
        loop.stop();
    }

    @Override
    public void close() {
        stop();
        mover.close();
    }
}
