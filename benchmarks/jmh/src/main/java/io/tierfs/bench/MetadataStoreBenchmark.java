package io.tierfs.bench;

import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.meta.RocksMetadataStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The metadata operations the filesystem makes, on RocksDB and on SQLite (WAL): a file creation
 * (one batch of three records, unsynced), the same batch synced (fsync), and a lookup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MetadataStoreBenchmark {
    private static final int PRELOADED = 100_000;

    @Param({"rocksdb", "sqlite"})
    public String engine;

    private Path dir;
    private MetadataStore store;
    private long next = PRELOADED;

    @Setup(Level.Trial)
    public void open() throws Exception {
        dir = Files.createTempDirectory("tierfs-metabench");
        store = engine.equals("rocksdb") ? new RocksMetadataStore(dir) : new SqliteMetadataStore(dir);
        for (long i = 0; i < PRELOADED; i += 1000) {
            try (MetadataStore.Batch b = store.newBatch()) {
                for (long j = i; j < i + 1000; j++) {
                    addFile(b, j);
                }
                store.commit(b, false);
            }
        }
    }

    private static void addFile(MetadataStore.Batch b, long ino) {
        b.put(Keys.inode(ino), new byte[77]);
        b.put(Keys.dirent(1, ("file-" + ino).getBytes()), new byte[9]);
        b.put(Keys.inode(1), new byte[77]);
    }

    @Benchmark
    public void createFile() {
        try (MetadataStore.Batch b = store.newBatch()) {
            addFile(b, next++);
            store.commit(b, false);
        }
    }

    @Benchmark
    public void createFileSynced() {
        try (MetadataStore.Batch b = store.newBatch()) {
            addFile(b, next++);
            store.commit(b, true);
        }
    }

    @Benchmark
    public byte[] lookup() {
        return store.get(Keys.dirent(1, ("file-" + ThreadLocalRandom.current().nextInt(PRELOADED)).getBytes()));
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        store.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
