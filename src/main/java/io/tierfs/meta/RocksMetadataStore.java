package io.tierfs.meta;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.CompressionType;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * {@link MetadataStore} on RocksDB. Every commit goes through the write-ahead log, so a killed
 * process loses nothing that was committed; a synced commit (or {@link #sync()}) fsyncs the log,
 * which makes it and every earlier commit survive power loss. After a crash RocksDB replays the
 * log up to its last intact record ({@code kPointInTimeRecovery}): a consistent prefix of commits.
 */
public final class RocksMetadataStore implements MetadataStore {
    static {
        RocksDB.loadLibrary();
    }

    private final Options options;
    private final RocksDB db;
    private final Path dir;
    private final WriteOptions unsynced = new WriteOptions();
    private final WriteOptions synced = new WriteOptions().setSync(true);
    /** Unsynced commits made, and how many of them a sync has covered: a sync with none waiting is free. */
    private final AtomicLong unsyncedCommits = new AtomicLong();
    private long syncedThrough;

    public RocksMetadataStore(Path dir) {
        this.dir = dir;
        options = new Options()
            .setCreateIfMissing(true)
            .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
            .setCompressionType(CompressionType.LZ4_COMPRESSION)
            .setKeepLogFileNum(3)
            .setMaxTotalWalSize(64L << 20);
        try {
            db = RocksDB.open(options, dir.toString());
        } catch (RocksDBException e) {
            options.close();
            throw new MetadataException("cannot open metadata store " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] get(byte[] key) {
        try {
            return db.get(key);
        } catch (RocksDBException e) {
            throw new MetadataException("metadata read failed", e);
        }
    }

    @Override
    public Path location() {
        return dir;
    }

    @Override
    public long diskBytes() {
        try {
            return db.getLongProperty("rocksdb.total-sst-files-size") + db.getLongProperty("rocksdb.cur-size-all-mem-tables");
        } catch (RocksDBException e) {
            throw new MetadataException("metadata size unknown", e);
        }
    }

    @Override
    public Batch newBatch() {
        return new RocksBatch();
    }

    @Override
    public void commit(Batch batch, boolean sync) {
        long before = unsyncedCommits.get();
        try {
            db.write(sync ? synced : unsynced, ((RocksBatch) batch).batch);
        } catch (RocksDBException e) {
            throw new MetadataException("metadata commit failed", e);
        }
        if (sync) {
            syncedUpTo(before); // a synced write syncs the log before it too
        } else {
            unsyncedCommits.incrementAndGet();
        }
    }

    @Override
    public void sync() {
        long target = unsyncedCommits.get();
        synchronized (this) {
            if (target <= syncedThrough) {
                return;
            }
        }
        try {
            db.syncWal();
        } catch (RocksDBException e) {
            throw new MetadataException("metadata sync failed", e);
        }
        syncedUpTo(target);
    }

    private synchronized void syncedUpTo(long commits) {
        syncedThrough = Math.max(syncedThrough, commits);
    }

    @Override
    public void scan(byte[] from, byte[] to, Visitor visitor) {
        try (Slice upper = new Slice(to);
             ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
             RocksIterator it = db.newIterator(ro)) {
            for (it.seek(from); it.isValid(); it.next()) {
                if (!visitor.visit(it.key(), it.value())) {
                    return;
                }
            }
            it.status();
        } catch (RocksDBException e) {
            throw new MetadataException("metadata scan failed", e);
        }
    }

    @Override
    public void close() {
        try {
            db.syncWal();
            db.closeE();
        } catch (RocksDBException e) {
            throw new MetadataException("closing the metadata store failed", e);
        } finally {
            unsynced.close();
            synced.close();
            options.close();
        }
    }

    private static final class RocksBatch implements Batch {
        final WriteBatch batch = new WriteBatch();

        @Override
        public void put(byte[] key, byte[] value) {
            try {
                batch.put(key, value);
            } catch (RocksDBException e) {
                throw new MetadataException("batch put failed", e);
            }
        }

        @Override
        public void delete(byte[] key) {
            try {
                batch.delete(key);
            } catch (RocksDBException e) {
                throw new MetadataException("batch delete failed", e);
            }
        }

        @Override
        public int size() {
            return batch.count();
        }

        @Override
        public void close() {
            batch.close();
        }
    }
}
