package io.tierfs.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The classifier on real samples of each class, the codecs' round trips, and the saving rule. */
class CodecTest {
    private static final int BS = 128 * 1024;
    private final ContentClassifier classifier = new ContentClassifier();
    private final BlockCompressor compressor = new BlockCompressor(BlockCompressor.DEFAULT_MIN_SAVING);
    private final ByteBuffer stored = ByteBuffer.allocateDirect(BlockCompressor.maxCompressedLength(BS));
    private final ByteBuffer back = ByteBuffer.allocateDirect(BS);

    @AfterEach
    void close() {
        compressor.close();
    }

    private static ByteBuffer direct(byte[] bytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(Math.max(bytes.length, 1));
        b.put(bytes).clear();
        return b;
    }

    /** The class of {@code bytes}, the first block of a new file. */
    private ContentClass first(byte[] bytes, long ino) {
        return classifier.classify(ino, 0, direct(bytes), bytes.length, null);
    }

    @Test
    void textFormatsAreTextForZstd() {
        assertEquals(ContentClass.TEXT, first(Samples.log(BS), 1), "log");
        assertEquals(ContentClass.TEXT, first(Samples.json(BS), 2), "json");
        assertEquals(ContentClass.TEXT, first(Samples.csv(BS), 3), "csv");
        assertEquals(ContentClass.TEXT, first(Samples.source(BS), 4), "source code");
        assertEquals(ContentClass.TEXT, first(Samples.cjk(BS), 5), "UTF-8 text of 3-byte characters");
        assertEquals(Codec.ZSTD, ContentClass.TEXT.codec);
    }

    @Test
    void compressedFormatsAreKnownByTheirFileHeadForEveryBlock() throws IOException {
        byte[][] formats = {Samples.gzip(Samples.log(4 * BS)), Samples.zip(Samples.json(4 * BS)),
            Samples.image("jpg", 400), Samples.image("png", 300)};
        for (int f = 0; f < formats.length; f++) {
            byte[] file = formats[f];
            long ino = 100 + f;
            assertEquals(ContentClass.COMPRESSED, first(Arrays.copyOf(file, Math.min(BS, file.length)), ino), "format " + f);
            byte[] later = Arrays.copyOfRange(file, Math.min(1000, file.length / 2), file.length);
            assertEquals(ContentClass.COMPRESSED, classifier.classify(ino, 1, direct(later), later.length, null),
                "a later block of format " + f + " has no header: the file's first block decides");
        }
        byte[] jpeg = Samples.image("jpg", 400);
        assertEquals(ContentClass.COMPRESSED, classifier.classify(200, 3, direct(Samples.log(BS)), BS,
            () -> direct(Arrays.copyOf(jpeg, 64))), "a block classified before its file's first one asks for the file's head");
        assertEquals(Codec.NONE, ContentClass.COMPRESSED.codec);
    }

    @Test
    void randomBytesAreIncompressibleAndStructuredBinaryIsForLz4() {
        assertEquals(ContentClass.INCOMPRESSIBLE, first(Samples.random(BS, 1), 300));
        assertEquals(ContentClass.BINARY, first(Samples.records(BS), 301));
        assertEquals(ContentClass.BINARY, first(new byte[BS], 302), "zeros");
        assertEquals(Codec.LZ4, ContentClass.BINARY.codec);
    }

    private byte[] roundTrip(Codec codec, byte[] raw) throws IOException {
        int n = compressor.compress(codec, BlockCompressor.DEFAULT_ZSTD_LEVEL, direct(raw), raw.length, stored.clear());
        assertTrue(n > 0, codec + " saved nothing on a compressible block");
        compressor.decompress(codec, stored.clear(), n, back.clear(), raw.length);
        byte[] out = new byte[raw.length];
        back.get(0, out);
        return out;
    }

    @Test
    void eachCodecRoundTripsWholeAndShortBlocks() throws IOException {
        for (Codec codec : new Codec[] {Codec.LZ4, Codec.ZSTD}) {
            for (byte[] raw : new byte[][] {Samples.log(BS), Samples.records(BS), new byte[BS], Samples.json(1000),
                Samples.source(BS - 1)}) {
                assertArrayEquals(raw, roundTrip(codec, raw), codec + " of " + raw.length + " bytes");
            }
        }
    }

    @Test
    void aBlockIsStoredCompressedOnlyIfItSavesTheMinimumShare() {
        byte[] random = Samples.random(BS, 2);
        assertEquals(-1, compressor.compress(Codec.LZ4, 0, direct(random), BS, stored.clear()), "random: raw");
        assertEquals(-1, compressor.compress(Codec.ZSTD, 3, direct(random), BS, stored.clear()), "random: raw");
        int text = compressor.compress(Codec.ZSTD, 3, direct(Samples.log(BS)), BS, stored.clear());
        assertTrue(text > 0 && text * 3 < BS, "logs shrink at least 3x: " + text);
        // half random, half zeros: about half saved, which a rule asking for 60% refuses
        byte[] half = Arrays.copyOf(Samples.random(BS / 2, 3), BS);
        try (BlockCompressor strict = new BlockCompressor(0.6)) {
            assertEquals(-1, strict.compress(Codec.LZ4, 0, direct(half), BS, stored.clear()));
        }
        assertTrue(compressor.compress(Codec.LZ4, 0, direct(half), BS, stored.clear()) > 0);
        assertThrows(IllegalArgumentException.class, () -> new BlockCompressor(1.0));
    }

    @Test
    void aDamagedBlockFailsToDecompressRatherThanComeOutShort() {
        byte[] raw = Samples.json(BS);
        int n = compressor.compress(Codec.ZSTD, 3, direct(raw), BS, stored.clear());
        assertThrows(IOException.class, () -> compressor.decompress(Codec.ZSTD, stored.clear(), n / 2, back.clear(), BS));
        int m = compressor.compress(Codec.LZ4, 0, direct(raw), BS, stored.clear());
        assertThrows(IOException.class, () -> compressor.decompress(Codec.LZ4, stored.clear(), m / 2, back.clear(), BS));
    }
}
