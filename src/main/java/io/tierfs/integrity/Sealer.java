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
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
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
    private final int sealAfterTicks;
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
        for (long[] b = seals.pollUnsealed(); b != null; b = seals.pollUnsealed()) {
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
                w.due = sealIdle(e.getKey(), w.indexes, all ? Integer.MAX_VALUE : now);
            } catch (IOException | RuntimeException failure) {
                // one file's failure (its tier gone, a read error) holds up no other file's seals
                w.due = now + sealAfterTicks;
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
            ? "; " + waitingCount + " could not be (see the warnings above): they stay unsealed, and are sealed at a later mount"
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
    }

    private void add(long ino, long index) {
        Waiting w = waiting.computeIfAbsent(ino, k -> new Waiting());
        if (w.indexes.add(index)) {
            waitingCount++;
            w.due = Math.min(w.due, seals.tick() + sealAfterTicks); // reported as it was written, or since
        }
    }

    /** Takes the next unsealed raw blocks of the block map into {@link #waiting}. */
    private void scanSlice() {
        int[] taken = {0};
        byte[][] last = {null};
        store.meta().scan(scanFrom, Keys.allEnd(Keys.BLOCK), (k, v) -> {
            last[0] = k;
            // flags and codec straight from the record: no decode of the sealed ones
            if ((v[3] & BlockRef.FLAG_SEALED) == 0 && v[2] == BlockRef.CODEC_NONE) {
                add(Keys.inoOf(k), Keys.blockIndexOf(k));
                taken[0]++;
            }
            return taken[0] < SCAN_SLICE;
        });
        scanFrom = taken[0] < SCAN_SLICE || last[0] == null ? null : Keys.block(Keys.inoOf(last[0]),
            Keys.blockIndexOf(last[0]) + 1);
    }

    /**
     * Seals the blocks of {@code ino} in {@code indexes} last written before {@code now - seal-after};
     * drops those done or gone. The round when the next of the others is idle.
     */
    private int sealIdle(long ino, TreeSet<Long> indexes, int now) throws IOException {
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
            int due = Integer.MAX_VALUE;
            List<Long> idle = new ArrayList<>();
            for (Iterator<Long> it = indexes.iterator(); it.hasNext(); ) {
                long index = it.next();
                BlockRef ref = file.ref(index);
                if (ref == null || ref.sealed() || ref.codec() != BlockRef.CODEC_NONE) {
                    it.remove();
                } else if ((long) now - file.lastWrite(index) >= sealAfterTicks) {
                    idle.add(index);
                } else {
                    due = Math.min(due, file.lastWrite(index) + sealAfterTicks);
                }
            }
            long[] batch = new long[BATCH];
            for (int from = 0; from < idle.size() && !loop.stopRequested(); from += BATCH) {
                int n = Math.min(BATCH, idle.size() - from);
                for (int i = 0; i < n; i++) {
                    batch[i] = idle.get(from + i);
                }
                long bytes = (long) n * store.blockSize();
                while (now != Integer.MAX_VALUE && !loop.stopRequested() && !limiter.tryAcquire(bytes)) {
                    loop.sleep(limiter.nanosUntil(bytes));
                }
                sealed += mover.sealAll(file, batch, n);
                for (int i = 0; i < n; i++) {
                    BlockRef ref = file.ref(batch[i]);
                    if (ref == null || ref.sealed()) {
                        indexes.remove(batch[i]);
                    } else {
                        due = Math.min(due, file.lastWrite(batch[i]) + sealAfterTicks); // a write beat it
                    }
                }
            }
            return due == Integer.MAX_VALUE ? now + 1 : due;
        } finally {
            inodes.close(inode);
        }
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
