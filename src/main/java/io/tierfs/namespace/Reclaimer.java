package io.tierfs.namespace;

import io.tierfs.block.BlockStore;
import io.tierfs.meta.MetadataStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Frees the data of deleted files in the background. The deletion of a file's records must be
 * durable before its data goes, or a power loss could bring back a file whose blocks are gone; one
 * metadata sync covers every deletion queued meanwhile, so `rm -r` does not pay a sync per file.
 * Data left behind by a crash before this runs is found by recovery at the next mount.
 */
final class Reclaimer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Reclaimer.class.getName());
    private static final long STOP = -1;

    private final MetadataStore meta;
    private final BlockStore blocks;
    private final BlockingQueue<Long> queue = new LinkedBlockingQueue<>();
    private final Thread thread;

    Reclaimer(MetadataStore meta, BlockStore blocks) {
        this.meta = meta;
        this.blocks = blocks;
        this.thread = new Thread(this::run, "tierfs-reclaimer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues the data of {@code ino}, whose records' deletion has been committed. */
    void reclaim(long ino) {
        queue.add(ino);
    }

    private void run() {
        List<Long> batch = new ArrayList<>();
        boolean stopping = false;
        while (!stopping) {
            try {
                Long first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch);
                stopping = batch.remove(Long.valueOf(STOP));
                if (!batch.isEmpty()) {
                    meta.sync();
                    for (long ino : batch) {
                        blocks.deleteFile(ino);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "freeing the data of deleted files failed; recovery will retry at mount", e);
            }
            batch.clear();
        }
    }

    /** Frees everything queued, then stops. */
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
