package io.tierfs.bench;

import io.tierfs.codec.BlockCompressor;
import io.tierfs.codec.Codec;
import io.tierfs.codec.ContentClass;
import io.tierfs.codec.ContentClassifier;
import io.tierfs.codec.Samples;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One 128 KiB block of each content class, with the codec the classifier gives it at the defaults
 * (text: Zstd level 3; binary: LZ4): classifying it, compressing it, decompressing it, one thread.
 * Throughput per core is the block size over the time per operation; {@code benchmarks/jmh/run.sh}
 * prints the table.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CodecBenchmark {
    private static final int BS = 128 * 1024;

    @Param({"log", "json", "source", "records", "random", "jpeg"})
    public String content;

    private final ContentClassifier classifier = new ContentClassifier();
    private BlockCompressor compressor;
    private ByteBuffer raw;
    private ByteBuffer stored;
    private ByteBuffer back;
    private Codec codec;
    private int storedLength;
    private long ino;

    @Setup
    public void setUp() throws Exception {
        byte[] bytes = switch (content) {
            case "log" -> Samples.log(BS);
            case "json" -> Samples.json(BS);
            case "source" -> Samples.source(BS);
            case "records" -> Samples.records(BS);
            case "random" -> Samples.random(BS, 1);
            case "jpeg" -> Arrays.copyOf(Samples.image("jpg", 600), BS);
            default -> throw new IllegalArgumentException(content);
        };
        raw = ByteBuffer.allocateDirect(BS).put(bytes).clear();
        stored = ByteBuffer.allocateDirect(BlockCompressor.maxCompressedLength(BS));
        back = ByteBuffer.allocateDirect(BS);
        compressor = new BlockCompressor(BlockCompressor.DEFAULT_MIN_SAVING);
        ContentClass cls = classifier.classify(0, 0, raw, BS, null);
        // a class stored raw is still measured with LZ4, what a block of it would cost if forced
        codec = cls.codec == Codec.NONE ? Codec.LZ4 : cls.codec;
        try (BlockCompressor always = new BlockCompressor(0)) {
            storedLength = always.compress(codec, BlockCompressor.DEFAULT_ZSTD_LEVEL, raw, BS, stored);
        }
        System.out.printf("%n%s: %s, %s %s%n", content, cls, codec, storedLength < 0 ? "makes it larger: stored raw"
            : String.format("stores %d of %d bytes (%.2fx)", storedLength, BS, (double) BS / storedLength));
    }

    @Benchmark
    public Object classify() {
        return classifier.classify(++ino, 1, raw, BS, null); // a block other than the first, of a file not seen
    }

    @Benchmark
    public int compress() {
        return compressor.compress(codec, BlockCompressor.DEFAULT_ZSTD_LEVEL, raw, BS, stored.clear());
    }

    /** Nothing for a block that compression would make larger (random bytes): it is stored raw. */
    @Benchmark
    public ByteBuffer decompress() throws Exception {
        if (storedLength > 0) {
            compressor.decompress(codec, stored, storedLength, back, BS);
        }
        return back;
    }

    @TearDown
    public void close() {
        compressor.close();
    }
}
