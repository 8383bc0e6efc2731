package io.tierfs.bench;

import io.tierfs.block.BlockMover;
import io.tierfs.block.BlockStore;
import io.tierfs.block.FileBlocks;
import io.tierfs.meta.RocksMetadataStore;
import io.tierfs.nativeio.Memory;
import io.tierfs.tier.DirectoryTier;
import io.tierfs.tier.Tier;
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
 * The block layer without FUSE: random reads and writes of one request size into a 256 MiB file
 * through FileBlocks, the metadata store and a directory tier, for each block size a volume can
 * be created with. Data comes from the page cache (the tier file is warm), as for hot data through
 * the mount; these are the original design's 1 KB and 1 MB rows. With {@code sealed}, every block
 * is sealed after the file is laid out, so each read verifies the page sums of what it reads (a
 * 1 KiB read reads its whole page for that); the first write to a block unseals it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class BlockLayerBenchmark {
    private static final long FILE_SIZE = 256L << 20;

    @Param({"1024", "1048576"})
    public int requestSize;

    @Param({"65536", "131072", "1048576"})
    public int blockSize;

    @Param({"false", "true"})
    public boolean sealed;

    private Path dir;
    private RocksMetadataStore meta;
    private BlockStore store;
    private FileBlocks file;
    private long buffer;

    @Setup(Level.Trial)
    public void open() throws Exception {
        dir = Files.createTempDirectory("tierfs-blockbench");
        meta = new RocksMetadataStore(dir.resolve("meta"));
        Tier[] tiers = {new DirectoryTier("ssd", dir.resolve("ssd"), blockSize, 0),
            new DirectoryTier("hdd", dir.resolve("hdd"), blockSize, 0)};
        store = new BlockStore(blockSize, tiers, meta);
        file = store.open(2, n -> { });
        buffer = Memory.allocate(Math.max(requestSize, 1 << 20));
        for (long off = 0; off < FILE_SIZE; off += 1 << 20) {
            file.write(off, buffer, 1 << 20);
        }
        if (sealed) {
            try (BlockMover sealer = new BlockMover(store)) {
                long[] indexes = new long[(int) (FILE_SIZE / blockSize)];
                for (int i = 0; i < indexes.length; i++) {
                    indexes[i] = i;
                }
                sealer.sealAll(file, indexes, indexes.length);
            }
        }
    }

    private long randomOffset() {
        return ThreadLocalRandom.current().nextLong(FILE_SIZE / requestSize) * requestSize;
    }

    @Benchmark
    public void read() throws Exception {
        file.read(randomOffset(), buffer, requestSize);
    }

    @Benchmark
    public void write() throws Exception {
        file.write(randomOffset(), buffer, requestSize);
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        file.close();
        store.close();
        meta.close();
        Memory.free(buffer);
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
