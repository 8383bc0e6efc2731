package io.tierfs.codec;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Decides what a block holds ({@link ContentClass}), cheaply: the magic number at the start of its
 * file says whether it is a compressed format (a JPEG's later blocks carry no header, so the file's
 * first bytes decide for all its blocks, and are remembered per file); otherwise a sample of the
 * block (8 windows of 512 bytes) is text if it has no control bytes and decodes as UTF-8, and
 * incompressible if its byte entropy is near 8 bits (what random, encrypted and headerless
 * compressed data look like). The rest is binary, for LZ4; whether it pays is then up to the
 * compressor's saving rule. Thread-safe.
 */
public final class ContentClassifier {
    private static final int WINDOWS = 8;
    private static final int WINDOW = 512;
    /** Bits per byte above which a sample is taken for incompressible (uniform random: 7.95 in 4 KiB). */
    private static final double INCOMPRESSIBLE_ENTROPY = 7.5;
    private static final int FILES_REMEMBERED = 4096;

    /** Whether each file's first bytes are a compressed format. */
    private final Map<Long, Boolean> compressedFormat = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
            return size() > FILES_REMEMBERED;
        }
    };

    /**
     * The class of block {@code index} of file {@code ino}, whose bytes are {@code block}'s first
     * {@code length}. {@code fileHead} gives the file's first bytes when they are not remembered
     * (a block other than the first is classified before it); null if unknown.
     */
    public ContentClass classify(long ino, long index, ByteBuffer block, int length, Supplier<ByteBuffer> fileHead) {
        if (isCompressedFormat(ino, index == 0 ? block : null, fileHead)) {
            return ContentClass.COMPRESSED;
        }
        return sample(block, length);
    }

    private boolean isCompressedFormat(long ino, ByteBuffer head, Supplier<ByteBuffer> fileHead) {
        Boolean known;
        synchronized (compressedFormat) {
            known = compressedFormat.get(ino);
        }
        if (known != null && head == null) {
            return known;
        }
        if (head == null) {
            head = fileHead == null ? null : fileHead.get();
            if (head == null) {
                return false;
            }
        }
        boolean compressed = MagicNumbers.compressedFormat(head);
        synchronized (compressedFormat) {
            compressedFormat.put(ino, compressed);
        }
        return compressed;
    }

    /** Forgets a file (deleted, or its first block rewritten). */
    public void forget(long ino) {
        synchronized (compressedFormat) {
            compressedFormat.remove(ino);
        }
    }

    /** Text, incompressible or binary, from a sample of the block's bytes. */
    static ContentClass sample(ByteBuffer block, int length) {
        int[] counts = new int[256];
        int sampled = 0;
        boolean text = true;
        int step = Math.max(WINDOW, length / WINDOWS);
        for (int start = 0; start < length; start += step) {
            int end = Math.min(length, start + WINDOW);
            for (int i = start; i < end; i++) {
                counts[block.get(i) & 0xff]++;
            }
            sampled += end - start;
            text = text && Utf8.isText(block, start, end);
        }
        if (sampled == 0) {
            return ContentClass.BINARY;
        }
        if (text) {
            return ContentClass.TEXT;
        }
        double entropy = 0;
        for (int c : counts) {
            if (c > 0) {
                double p = (double) c / sampled;
                entropy -= p * Math.log(p);
            }
        }
        return entropy / Math.log(2) > INCOMPRESSIBLE_ENTROPY ? ContentClass.INCOMPRESSIBLE : ContentClass.BINARY;
    }
}
