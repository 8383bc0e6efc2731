package io.tierfs.namespace;

import io.tierfs.block.BlockStore;
import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Frees the data of deleted files in the background. A deleted file's orphan record is the durable
 * note that its data is still to be freed: it goes only after the data has gone, so data whose
 * freeing failed, or was cut short by a crash or a shutdown, is freed by recovery at the next
 * mount, clean or not. The deletion of a file's other records must be durable before its data
 * goes, or a power loss could bring back a file whose blocks are gone; one metadata sync covers
 * every deletion queued meanwhile, so `rm -r` does not pay a sync per file.
 */
final class Reclaimer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Reclaimer.class.getName());
    private static final long STOP = -1;
    private static final long FIRST_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long LAST_RETRY_NANOS = TimeUnit.MINUTES.toNanos(5);

    private final MetadataStore meta;
    private final BlockStore blocks;
    private final BlockingQueue<Long> queue = new LinkedBlockingQueue<>();
    /** Inodes whose data could not be freed yet, retried less and less often while it fails. */
    private final Set<Long> failed = new LinkedHashSet<>();
    private long retryDelayNanos = FIRST_RETRY_NANOS;
    private long nextRetryNanos;
    private final Thread thread;

    Reclaimer(MetadataStore meta, BlockStore blocks) {
        this.meta = meta;
        this.blocks = blocks;
        this.thread = new Thread(this::run, "tierfs-reclaimer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues the data of {@code ino}, whose records but its orphan record are deleted. */
    void reclaim(long ino) {
        queue.add(ino);
    }

    /**
     * Frees the data of deleted inodes, whose other records' deletion the caller has made durable,
     * and forgets their orphan records once the data's removal is durable too: an orphan record
     * dropped before that could outlive a power loss that brings the data back.
     *
     * @return the inodes whose data could not be freed, each with why; their orphan records stay
     */
    static Map<Long, Exception> freeData(MetadataStore meta, BlockStore blocks, Collection<Long> inos) {
        Map<Long, Exception> failures = new LinkedHashMap<>();
        List<Long> freed = new ArrayList<>();
        for (long ino : inos) {
            try {
                blocks.deleteFile(ino);
                freed.add(ino);
            } catch (IOException | RuntimeException e) {
                failures.put(ino, e);
            }
        }
        try {
            blocks.syncDeletes();
        } catch (IOException | RuntimeException e) {
            freed.forEach(ino -> failures.put(ino, e));
            return failures;
        }
        try (MetadataStore.Batch b = meta.newBatch()) {
            freed.forEach(ino -> b.delete(Keys.orphan(ino)));
            meta.commit(b, false);
        }
        return failures;
    }

    private void run() {
        List<Long> batch = new ArrayList<>();
        boolean stopping = false;
        while (!stopping) {
            try {
                Long first = queue.poll(1, TimeUnit.SECONDS);
                if (first != null) {
                    batch.add(first);
                    queue.drainTo(batch);
                    stopping = batch.remove(Long.valueOf(STOP));
                }
                if (!failed.isEmpty() && (stopping || System.nanoTime() - nextRetryNanos >= 0)) {
                    batch.addAll(failed);
                }
                if (!batch.isEmpty()) {
                    free(batch);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            batch.clear();
        }
        if (!failed.isEmpty()) {
            LOG.warning("the data of deleted inodes " + failed + " could not be freed; the next mount frees it");
        }
    }

    /** Frees the data of {@code batch}; what fails joins {@link #failed}, warned about once. */
    private void free(List<Long> batch) {
        Map<Long, Exception> failures = new LinkedHashMap<>();
        try {
            meta.sync();
            failures = freeData(meta, blocks, batch);
        } catch (RuntimeException e) {
            for (long ino : batch) {
                failures.put(ino, e);
            }
        }
        for (long ino : batch) {
            Exception why = failures.get(ino);
            if (why == null) {
                failed.remove(ino);
            } else if (failed.add(ino)) {
                LOG.warning("freeing the data of deleted inode " + ino + " failed, will retry: " + why);
            }
        }
        if (failed.isEmpty()) {
            retryDelayNanos = FIRST_RETRY_NANOS;
        } else if (!failures.isEmpty()) {
            nextRetryNanos = System.nanoTime() + retryDelayNanos;
            retryDelayNanos = Math.min(retryDelayNanos * 2, LAST_RETRY_NANOS);
        }
    }

    /** Frees everything queued, retries what failed once more, then stops. */
    @Override
    public void close() {
        queue.add(STOP);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
