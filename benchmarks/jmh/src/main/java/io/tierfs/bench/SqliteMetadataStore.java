package io.tierfs.bench;

import io.tierfs.meta.MetadataStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The metadata store on SQLite in WAL mode, the alternative the design weighed against RocksDB.
 * Here only to be measured (MetadataStoreBenchmark), with the same contract: atomic batches,
 * unsynced commits ordered and kept across a process kill (synchronous=NORMAL), synced ones durable
 * (synchronous=FULL for that commit).
 */
public final class SqliteMetadataStore implements MetadataStore {
    private final Path dir;
    private final Connection db;

    public SqliteMetadataStore(Path dir) throws SQLException {
        this.dir = dir;
        db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("meta.sqlite"));
        try (Statement s = db.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA synchronous=NORMAL");
            s.execute("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID");
        }
        db.setAutoCommit(false);
    }

    @Override
    public Path location() {
        return dir;
    }

    /** The database and its write-ahead log. */
    @Override
    public long diskBytes() {
        long bytes = 0;
        for (String name : new String[] {"meta.sqlite", "meta.sqlite-wal"}) {
            java.io.File f = dir.resolve(name).toFile();
            bytes += f.length(); // 0 for a file not there
        }
        return bytes;
    }

    @Override
    public synchronized byte[] get(byte[] key) {
        try (PreparedStatement q = db.prepareStatement("SELECT v FROM kv WHERE k = ?")) {
            q.setBytes(1, key);
            try (ResultSet r = q.executeQuery()) {
                return r.next() ? r.getBytes(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Batch newBatch() {
        return new SqlBatch();
    }

    @Override
    public synchronized void commit(Batch batch, boolean sync) {
        try (PreparedStatement put = db.prepareStatement("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)");
             PreparedStatement del = db.prepareStatement("DELETE FROM kv WHERE k = ?")) {
            if (sync) {
                setSynchronous("FULL");
            }
            for (byte[][] op : ((SqlBatch) batch).ops) {
                if (op[1] == null) {
                    del.setBytes(1, op[0]);
                    del.executeUpdate();
                } else {
                    put.setBytes(1, op[0]);
                    put.setBytes(2, op[1]);
                    put.executeUpdate();
                }
            }
            db.commit();
            if (sync) {
                setSynchronous("NORMAL");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The safety level cannot change inside a transaction: step out of one to set it. */
    private void setSynchronous(String level) throws SQLException {
        db.commit();
        db.setAutoCommit(true);
        try (Statement s = db.createStatement()) {
            s.execute("PRAGMA synchronous=" + level);
        }
        db.setAutoCommit(false);
    }

    @Override
    public void sync() {
        commit(newBatch(), true);
    }

    @Override
    public synchronized void scan(byte[] from, byte[] to, Visitor visitor) {
        try (PreparedStatement q = db.prepareStatement("SELECT k, v FROM kv WHERE k >= ? AND k < ? ORDER BY k")) {
            q.setBytes(1, from);
            q.setBytes(2, to);
            try (ResultSet r = q.executeQuery()) {
                while (r.next() && visitor.visit(r.getBytes(1), r.getBytes(2))) {
                    // visiting
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            db.commit();
            db.close();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class SqlBatch implements Batch {
        final List<byte[][]> ops = new ArrayList<>();

        @Override
        public void put(byte[] key, byte[] value) {
            ops.add(new byte[][] {key, value});
        }

        @Override
        public void delete(byte[] key) {
            ops.add(new byte[][] {key, null});
        }

        @Override
        public int size() {
            return ops.size();
        }

        @Override
        public void close() {
            ops.clear();
        }
    }
}
