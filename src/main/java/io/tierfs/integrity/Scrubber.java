package io.tierfs.integrity;

import io.tierfs.block.BlockMover;
import io.tierfs.block.BlockMover.Verdict;
import io.tierfs.block.BlockRef;
import io.tierfs.block.BlockStore;
import io.tierfs.block.FileBlocks;
import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.migration.BackgroundLoop;
import io.tierfs.migration.RateLimiter;
import io.tierfs.namespace.FsException;
import io.tierfs.namespace.Inode;
import io.tierfs.namespace.Inodes;
import io.tierfs.namespace.Namespace;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * {@code tierfs scrub}: reads every copy of every sealed block in the background, at a rate the
 * scrub is started with, checks it against its checksums and has a bad copy rewritten from its
 * good twin ({@link BlockMover#scrubAll}). Where it is in the block map and what it found are
 * kept in the metadata store after each batch, so a scrub stopped (asked to, an unmount, a crash)
 * goes on from there: by itself after a remount if it was running, when asked again if it was
 * stopped. Requests come as one line ({@link #take}): {@code start ID RATE} or {@code stop ID}.
 */
public final class Scrubber implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Scrubber.class.getName());
    private static final byte[] KEY = Keys.superKey("scrub");
    /** Blocks checked with one wait for the writes under way. */
    private static final int BATCH = 32;
    /** Records of the block map looked at in one round when few are sealed: a round stays short. */
    private static final int SCAN_LIMIT = 10_000;
    /** Unrecoverable blocks named in the report; more are counted only. */
    private static final int MAX_LISTED = 100;
    private static final long IDLE_NANOS = 200_000_000L;

    public enum Phase { NEVER, RUNNING, STOPPED, DONE }

    private final BlockStore store;
    private final Inodes inodes;
    private final MetadataStore meta;
    private final BlockMover mover;
    private final BackgroundLoop loop = new BackgroundLoop("tierfs-scrub", this::round);

    // Guarded by this: the scrub's state, as saved.
    private Phase phase = Phase.NEVER;
    private long request;
    /** Bytes a second the scrub reads at most; 0 before the first. */
    private long rate;
    private long nextIno;
    private long nextIndex;
    private long checked;
    /** Sealed blocks not checked: written or moved meanwhile, or with no copy on a tier that is there. */
    private long skipped;
    private long bad;
    private long repaired;
    private long unrecoverable;
    private long startedMillis;
    private long finishedMillis;
    private final List<String> unrecoverableBlocks = new ArrayList<>();
    private RateLimiter limiter = new RateLimiter(1, System::nanoTime);

    public Scrubber(BlockStore store, Inodes inodes) {
        this.store = store;
        this.inodes = inodes;
        this.meta = store.meta();
        this.mover = new BlockMover(store);
        load();
    }

    /** Starts the thread: a scrub that was running when the volume was last unmounted goes on. */
    public void start() {
        if (phase == Phase.RUNNING) {
            LOG.info("scrub resumed at inode " + nextIno + " block " + nextIndex);
        }
        loop.start();
    }

    /**
     * Takes a request: {@code start ID RATE} starts a scrub reading at most RATE bytes a second (or
     * resumes a stopped one from where it stopped; one running goes on at the new rate), {@code
     * stop ID} stops the one running. ID is echoed in {@link #status}, for the caller to see its
     * request taken.
     */
    public synchronized void take(String line) {
        String[] w = line.strip().split("\\s+");
        try {
            if (w.length == 3 && w[0].equals("start")) {
                begin(Long.parseLong(w[1]), Long.parseLong(w[2]));
                return;
            }
            if (w.length == 2 && w[0].equals("stop")) {
                request = Long.parseLong(w[1]);
                if (phase == Phase.RUNNING) {
                    phase = Phase.STOPPED;
                    LOG.info("scrub stopped at inode " + nextIno + " block " + nextIndex + "; the next scrub resumes there");
                }
                save();
                return;
            }
        } catch (IllegalArgumentException e) {
            // below
        }
        LOG.warning("ignored a scrub request that is not 'start ID RATE' or 'stop ID': " + line);
    }

    private void begin(long id, long bytesPerSecond) {
        limiter = new RateLimiter(bytesPerSecond, System::nanoTime);
        request = id;
        rate = bytesPerSecond;
        if (phase == Phase.NEVER || phase == Phase.DONE) {
            nextIno = nextIndex = checked = skipped = bad = repaired = unrecoverable = finishedMillis = 0;
            unrecoverableBlocks.clear();
            startedMillis = System.currentTimeMillis();
            LOG.info("scrub started, reading at most " + bytesPerSecond + " bytes a second");
        } else if (phase == Phase.STOPPED) {
            LOG.info("scrub resumed at inode " + nextIno + " block " + nextIndex);
        }
        phase = Phase.RUNNING;
        save();
    }

    /** What `tierfs scrub` and `tierfs status` report. */
    public synchronized Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("phase", phase.name().toLowerCase(Locale.ROOT));
        out.put("request", request);
        out.put("rateBytesPerSecond", rate);
        out.put("startedMillis", startedMillis);
        out.put("finishedMillis", finishedMillis);
        out.put("checked", checked);
        out.put("skipped", skipped);
        out.put("bad", bad);
        out.put("repaired", repaired);
        out.put("unrecoverable", unrecoverable);
        out.put("unrecoverableBlocks", List.copyOf(unrecoverableBlocks));
        out.put("position", Map.of("inode", nextIno, "block", nextIndex));
        return out;
    }

    /** A round: the next batch of sealed blocks of one file, checked; the thread then sleeps that long. */
    long round() {
        long fromIno;
        long fromIndex;
        RateLimiter rateLimit;
        synchronized (this) {
            if (phase != Phase.RUNNING) {
                return IDLE_NANOS;
            }
            fromIno = nextIno;
            fromIndex = nextIndex;
            rateLimit = limiter;
        }
        Batch b = nextBatch(fromIno, fromIndex);
        Verdict[] verdicts = new Verdict[0];
        try {
            if (b.n > 0) {
                while (!rateLimit.tryAcquire(b.bytes)) {
                    if (loop.stopRequested() || !current(rateLimit)) {
                        return 0; // not checked: the position stays, for the next round or mount
                    }
                    loop.sleep(Math.min(rateLimit.nanosUntil(b.bytes), IDLE_NANOS));
                }
                verdicts = check(b);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warning("scrub: checking blocks of inode " + b.ino + " failed (skipped): " + e);
        }
        finish(b, verdicts);
        return 0;
    }

    /** Whether the scrub still runs at the rate {@code rateLimit} keeps (not stopped, nor restarted at another). */
    private synchronized boolean current(RateLimiter rateLimit) {
        return phase == Phase.RUNNING && limiter == rateLimit;
    }

    /** Up to {@link #BATCH} sealed blocks of one file, from a position in the block map, and where the next batch starts. */
    private static final class Batch {
        final long[] indexes = new long[BATCH];
        int n;
        long ino = -1;
        long bytes;
        long nextIno;
        long nextIndex;
        boolean end = true;
    }

    private Batch nextBatch(long fromIno, long fromIndex) {
        Batch b = new Batch();
        b.nextIno = fromIno;
        b.nextIndex = fromIndex;
        int[] seen = {0};
        meta.scan(Keys.block(fromIno, fromIndex), Keys.allEnd(Keys.BLOCK), (k, v) -> {
            long ino = Keys.inoOf(k);
            if (b.n > 0 && ino != b.ino || b.n == BATCH || seen[0]++ == SCAN_LIMIT) {
                b.end = false;
                return false;
            }
            long index = Keys.blockIndexOf(k);
            b.nextIno = ino;
            b.nextIndex = index + 1;
            if ((v[3] & BlockRef.FLAG_SEALED) != 0) {
                b.ino = ino;
                b.indexes[b.n++] = index;
                b.bytes += (long) store.blockSize() * (BlockRef.recordHasReplica(v) ? 2 : 1);
            }
            return true;
        });
        return b;
    }

    private Verdict[] check(Batch b) throws IOException {
        Inode inode;
        try {
            inode = inodes.get(b.ino);
        } catch (FsException deleted) {
            return new Verdict[0];
        }
        FileBlocks file = inodes.open(inode);
        try {
            return mover.scrubAll(file, b.indexes, b.n);
        } finally {
            inodes.close(inode);
        }
    }

    private synchronized void finish(Batch b, Verdict[] verdicts) {
        for (int i = 0; i < verdicts.length; i++) {
            Verdict v = verdicts[i];
            checked += v != Verdict.SKIPPED ? 1 : 0;
            skipped += v == Verdict.SKIPPED ? 1 : 0;
            bad += v == Verdict.REPAIRED || v == Verdict.BAD || v == Verdict.UNRECOVERABLE ? 1 : 0;
            repaired += v == Verdict.REPAIRED ? 1 : 0;
            if (v == Verdict.UNRECOVERABLE) {
                unrecoverable++;
                if (unrecoverableBlocks.size() < MAX_LISTED) {
                    String path = Namespace.pathOf(meta, b.ino);
                    unrecoverableBlocks.add((path != null ? path : "(no name)") + " (inode " + b.ino + ") block "
                        + b.indexes[i]);
                }
            }
        }
        nextIno = b.nextIno;
        nextIndex = b.nextIndex;
        if (b.end && phase == Phase.RUNNING) {
            phase = Phase.DONE;
            finishedMillis = System.currentTimeMillis();
            LOG.info("scrub done: " + checked + " blocks checked, " + skipped + " skipped, " + bad + " bad, " + repaired + " repaired, "
                + unrecoverable + " unrecoverable" + (unrecoverable > 0 ? ": " + unrecoverableBlocks : ""));
        }
        save();
    }

    /** Keeps the state in the metadata store, unsynced: what a crash loses of it is checked again. */
    private void save() {
        Properties p = new Properties();
        p.setProperty("phase", phase.name());
        p.setProperty("request", Long.toString(request));
        p.setProperty("rate", Long.toString(rate));
        p.setProperty("ino", Long.toString(nextIno));
        p.setProperty("index", Long.toString(nextIndex));
        p.setProperty("checked", Long.toString(checked));
        p.setProperty("skipped", Long.toString(skipped));
        p.setProperty("bad", Long.toString(bad));
        p.setProperty("repaired", Long.toString(repaired));
        p.setProperty("unrecoverable", Long.toString(unrecoverable));
        p.setProperty("started", Long.toString(startedMillis));
        p.setProperty("finished", Long.toString(finishedMillis));
        for (int i = 0; i < unrecoverableBlocks.size(); i++) {
            p.setProperty("block." + i, unrecoverableBlocks.get(i));
        }
        StringWriter out = new StringWriter();
        try {
            p.store(out, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        try (MetadataStore.Batch batch = meta.newBatch()) {
            batch.put(KEY, out.toString().getBytes(StandardCharsets.UTF_8));
            meta.commit(batch, false);
        }
    }

    private void load() {
        byte[] saved = meta.get(KEY);
        if (saved == null) {
            return;
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(new String(saved, StandardCharsets.UTF_8)));
            phase = Phase.valueOf(p.getProperty("phase"));
            request = Long.parseLong(p.getProperty("request"));
            rate = Long.parseLong(p.getProperty("rate"));
            nextIno = Long.parseLong(p.getProperty("ino"));
            nextIndex = Long.parseLong(p.getProperty("index"));
            checked = Long.parseLong(p.getProperty("checked"));
            skipped = Long.parseLong(p.getProperty("skipped", "0")); // a state saved before it was counted
            bad = Long.parseLong(p.getProperty("bad"));
            repaired = Long.parseLong(p.getProperty("repaired"));
            unrecoverable = Long.parseLong(p.getProperty("unrecoverable"));
            startedMillis = Long.parseLong(p.getProperty("started"));
            finishedMillis = Long.parseLong(p.getProperty("finished"));
            for (int i = 0; p.getProperty("block." + i) != null; i++) {
                unrecoverableBlocks.add(p.getProperty("block." + i));
            }
            limiter = new RateLimiter(Math.max(rate, 1), System::nanoTime);
        } catch (IOException | RuntimeException e) {
            LOG.warning("the saved scrub state is unreadable, and is forgotten (" + e + ")");
            phase = Phase.NEVER;
        }
    }

    /** Stops the thread after the batch under way; the state stays saved. */
    @Override
    public void close() {
        loop.stop();
        mover.close();
    }
}
