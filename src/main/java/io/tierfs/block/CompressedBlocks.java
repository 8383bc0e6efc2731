package io.tierfs.block;

import io.tierfs.codec.BlockCompressor;
import io.tierfs.codec.Codec;
import io.tierfs.codec.CompressionChoice;
import io.tierfs.codec.ContentClass;
import io.tierfs.codec.ContentClassifier;
import io.tierfs.nativeio.Memory;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Supplier;

/**
 * Blocks stored compressed on a tier ({@link BlockRef#compressed}): the stored bytes sit at the
 * start of the block's slot, the rest of the slot is a hole, and the record holds their length
 * and CRC32C. Which tiers compress is the store's choice ({@link BlockStore#compressOn}); the
 * codec is the content's ({@link ContentClassifier}). Per thread, a buffer for the stored bytes,
 * one for the raw block and a compressor: nothing is allocated per block.
 */
final class CompressedBlocks {
    private final int blockSize;
    private final int zstdLevel;
    private final ContentClassifier classifier = new ContentClassifier();
    private final ThreadLocal<Buffers> local;

    /** One thread's buffers and codec contexts. */
    static final class Buffers {
        final ByteBuffer stored;
        final long storedAddress;
        final ByteBuffer raw;
        final long rawAddress;
        final BlockCompressor compressor;

        Buffers(int blockSize, double minSaving) {
            stored = ByteBuffer.allocateDirect(BlockCompressor.maxCompressedLength(blockSize));
            storedAddress = Memory.IO.getDirectBufferAddress(stored);
            raw = ByteBuffer.allocateDirect(blockSize);
            rawAddress = Memory.IO.getDirectBufferAddress(raw);
            compressor = new BlockCompressor(minSaving);
        }
    }

    /**
     * What {@link #compress} made: the stored bytes are in the calling thread's {@link Buffers#stored},
     * unless the codec is {@link Codec#NONE} (the block is stored raw). {@code contentClass} is what
     * the classifier found (a {@link ContentClass} ordinal), -1 if the file's choice skipped it.
     */
    record Compressed(Codec codec, int storedLength, int checksum, long address, int contentClass) {
    }

    CompressedBlocks(int blockSize, double minSaving, int zstdLevel) {
        this.blockSize = blockSize;
        this.zstdLevel = zstdLevel;
        this.local = ThreadLocal.withInitial(() -> new Buffers(blockSize, minSaving));
    }

    /** The calling thread's buffers. */
    Buffers buffers() {
        return local.get();
    }

    /**
     * Compresses the raw block in {@code raw} (a direct buffer of the caller's: block {@code index}
     * of {@code ino}) with the codec its content calls for, or the one {@code choice} (the file's)
     * names; codec {@link Codec#NONE} if it is to be stored raw (compressed already, incompressible,
     * the file's choice, or saving less than the minimum). {@code fileHead}
     * gives the file's first bytes, for a block other than the first whose file the classifier has
     * not seen; it may read a compressed block through this thread's buffers, so the block being
     * compressed must not sit in them.
     */
    Compressed compress(long ino, long index, ByteBuffer raw, Supplier<ByteBuffer> fileHead, CompressionChoice choice) {
        ContentClass cls = choice.codec() != null ? null : classifier.classify(ino, index, raw.clear(), blockSize, fileHead);
        Codec codec = cls != null ? cls.codec : choice.codec();
        int classId = cls != null ? cls.ordinal() : -1;
        if (codec == Codec.NONE) {
            return new Compressed(Codec.NONE, blockSize, 0, 0, classId);
        }
        Buffers b = local.get();
        int level = choice.level() > 0 ? choice.level() : zstdLevel;
        int n = b.compressor.compress(codec, level, raw.clear(), blockSize, b.stored.clear());
        if (n < 0) {
            return new Compressed(Codec.NONE, blockSize, 0, 0, classId);
        }
        return new Compressed(codec, n, PageSums.local().sum(b.stored, n), b.storedAddress, classId);
    }

    /**
     * Reads the compressed block {@code index} as {@code ref} describes it from {@code file}, checks
     * the stored bytes against the record's checksum and decompresses them to {@code dst} (a whole
     * block; it may be this thread's {@link Buffers#rawAddress}, which saves a copy). False if they
     * fail the checksum (nothing is written to {@code dst} then).
     */
    boolean readWhole(TierFile file, BlockRef ref, long index, long dst) throws IOException {
        Buffers b = local.get();
        file.read(index, 0, b.storedAddress, ref.storedLength());
        if (PageSums.local().sum(b.stored, ref.storedLength()) != ref.checksum()) {
            return false;
        }
        b.compressor.decompress(Codec.of(ref.codec()), b.stored.clear(), ref.storedLength(), b.raw.clear(), blockSize);
        if (dst != b.rawAddress) {
            Memory.IO.copyMemory(b.rawAddress, dst, blockSize);
        }
        return true;
    }

    /** Forgets what the classifier knows of a file whose first block changed. */
    void forget(long ino) {
        classifier.forget(ino);
    }
}
