package io.tierfs.codec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import java.io.IOException;
import java.nio.ByteBuffer;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Compresses and decompresses whole blocks between direct buffers, through lz4-java's and
 * zstd-jni's native code: no copy into the Java heap, and contexts kept for reuse. Not thread-safe:
 * one per thread. A block is stored compressed only if that saves at least a set share of it.
 */
public final class BlockCompressor implements AutoCloseable {
    /** The share of a block compression must save to be worth its CPU on every read: one eighth, as ZFS asks. */
    public static final double DEFAULT_MIN_SAVING = 0.125;
    public static final int DEFAULT_ZSTD_LEVEL = 3;

    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    private final LZ4Compressor lz4 = LZ4.fastCompressor();
    private final LZ4SafeDecompressor lz4Reader = LZ4.safeDecompressor();
    private final ZstdCompressCtx zstd = new ZstdCompressCtx();
    private final ZstdDecompressCtx zstdReader = new ZstdDecompressCtx();
    private final double minSaving;

    /** @param minSaving the share of a block that compression must save, from 0 to below 1 */
    public BlockCompressor(double minSaving) {
        if (!(minSaving >= 0 && minSaving < 1)) {
            throw new IllegalArgumentException("the minimum saving is a share from 0% to below 100%, not " + minSaving);
        }
        this.minSaving = minSaving;
    }

    /** Room a compressed copy of {@code length} bytes may need, whatever the codec. */
    public static int maxCompressedLength(int length) {
        return (int) Math.max(Zstd.compressBound(length), LZ4.fastCompressor().maxCompressedLength(length));
    }

    /**
     * Compresses the {@code length} bytes of {@code src} from its position 0 into {@code dst} from
     * its position 0, which holds {@link #maxCompressedLength}. Returns the compressed length, or -1
     * if it saves less than the minimum share (the block is then stored raw).
     *
     * @param level Zstd's level (1 to 22; ignored for LZ4)
     */
    public int compress(Codec codec, int level, ByteBuffer src, int length, ByteBuffer dst) {
        int stored = switch (codec) {
            case LZ4 -> lz4.compress(src, 0, length, dst, 0, dst.capacity());
            case ZSTD -> {
                zstd.setLevel(level);
                yield zstd.compressDirectByteBuffer(dst, 0, dst.capacity(), src, 0, length);
            }
            case NONE -> throw new IllegalArgumentException("nothing to compress with");
        };
        return length - stored >= length * minSaving ? stored : -1;
    }

    /**
     * Decompresses {@code storedLength} bytes of {@code src} into the first {@code rawLength} of
     * {@code dst}. A block that does not decompress to exactly that length fails with an
     * IOException: the caller checked its checksum first, so this is a codec out of step with the
     * data, never garbage passed on.
     */
    public void decompress(Codec codec, ByteBuffer src, int storedLength, ByteBuffer dst, int rawLength)
        throws IOException {
        int n;
        try {
            n = switch (codec) {
                case LZ4 -> lz4Reader.decompress(src, 0, storedLength, dst, 0, rawLength);
                case ZSTD -> zstdReader.decompressDirectByteBuffer(dst, 0, rawLength, src, 0, storedLength);
                case NONE -> throw new IllegalArgumentException("nothing to decompress with");
            };
        } catch (LZ4Exception | ZstdException e) {
            throw new IOException(codec + " block of " + storedLength + " bytes does not decompress: " + e.getMessage(), e);
        }
        if (n != rawLength) {
            throw new IOException(codec + " block decompressed to " + n + " bytes, not " + rawLength);
        }
    }

    @Override
    public void close() {
        zstd.close();
        zstdReader.close();
    }
}
