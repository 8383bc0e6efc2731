package io.tierfs.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.codec.Codec;
import io.tierfs.codec.CompressionChoice;
import io.tierfs.codec.Samples;
import io.tierfs.meta.Keys;
import io.tierfs.nativeio.NativeIOException;
import io.tierfs.testutil.NativeBuffer;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Blocks moved to a compressing tier: stored by content (text with Zstd, random bytes raw), read
 * back whole and in part, verified, brought up raw, and rewritten raw in place (journaled) when
 * written.
 */
class CompressedBlocksTest extends BlockStoreFixture {
    private byte[] data;

    @BeforeEach
    void compressHdd() throws IOException {
        store.compressOn(new boolean[] {false, true});
        // block 0 text, block 1 random, block 2 structured binary
        data = new byte[3 * BS];
        System.arraycopy(Samples.log(BS), 0, data, 0, BS);
        System.arraycopy(Samples.random(BS, 9), 0, data, BS, BS);
        System.arraycopy(Samples.records(BS), 0, data, 2 * BS, BS);
        write(0, data);
    }

    private BlockRef inStore(long index) {
        return BlockRef.decode(meta.get(Keys.block(INO, index)));
    }

    private void moveAllTo(int tier) throws IOException {
        assertEquals(3, mover.moveAll(file, new long[] {0, 1, 2}, 3, tier));
    }

    @Test
    void blocksMovedToACompressingTierAreStoredByTheirContent() throws IOException {
        moveAllTo(HDD);
        BlockRef text = inStore(0);
        assertEquals(Codec.ZSTD.id, text.codec(), "text: Zstd");
        assertTrue(text.storedLength() * 3 < BS, "text at least 3x smaller: " + text.storedLength());
        assertTrue(text.sealed());
        assertFalse(inStore(1).compressed(), "random bytes stay raw");
        assertTrue(inStore(1).sealed(), "and sealed");
        assertEquals(Codec.LZ4.id, inStore(2).codec(), "structured binary: LZ4");
        assertEquals(3, store.blocksOn(HDD));
        assertEquals((long) text.storedLength() + BS + inStore(2).storedLength(), store.usedBytes(HDD),
            "the tier's use is its blocks' stored bytes");
        assertEquals(io.tierfs.codec.ContentClass.TEXT.ordinal(), text.contentClass());
        assertEquals(io.tierfs.codec.ContentClass.INCOMPRESSIBLE.ordinal(), inStore(1).contentClass());
        assertArrayEquals(data, read(0, 3 * BS), "read back whole");
        assertArrayEquals(Arrays.copyOfRange(data, 1000, BS + 500), read(1000, BS - 500), "a read across blocks");
        assertArrayEquals(Arrays.copyOfRange(data, 2 * BS + 77, 2 * BS + 177), read(2 * BS + 77, 100), "a part");
        assertEquals(3L * BS, file.nextHole(0, 3L * BS), "a compressed block is all data to SEEK_HOLE");
        close();
        openStore();
        assertTrue(file.ref(0).compressed());
        assertArrayEquals(data, read(0, 3 * BS), "after a reopen");
    }

    private void chooseCompression(String value) {
        try (io.tierfs.meta.MetadataStore.Batch b = meta.newBatch()) {
            b.put(Keys.xattr(INO, CompressionChoice.ATTRIBUTE.getBytes(StandardCharsets.US_ASCII)),
                value.getBytes(StandardCharsets.US_ASCII));
            meta.commit(b, false);
        }
    }

    @Test
    void aFilesCompressionChoiceOverridesTheClassifierButNotTheSavingRule() throws IOException {
        chooseCompression("lz4");
        moveAllTo(HDD);
        assertEquals(Codec.LZ4.id, inStore(0).codec(), "text with LZ4, as the file asks");
        assertFalse(inStore(1).compressed(), "random bytes still raw: LZ4 saves nothing on them");
        assertArrayEquals(data, read(0, 3 * BS));
        moveAllTo(SSD);
        chooseCompression("none");
        moveAllTo(HDD);
        assertFalse(inStore(0).compressed() || inStore(2).compressed(), "none: stored raw");
        moveAllTo(SSD);
        chooseCompression("zstd:19");
        moveAllTo(HDD);
        assertEquals(Codec.ZSTD.id, inStore(2).codec(), "binary with Zstd, as the file asks");
        assertArrayEquals(data, read(0, 3 * BS));
    }

    /** What the sealer does after a file's compression choice changed: compress again, seal what that unsealed, compress it. */
    private int recompressAndSeal() throws IOException {
        long[] all = {0, 1, 2};
        int n = mover.recompress(file, all, 3);
        mover.sealAll(file, all, 3);
        return n + mover.compressInPlace(file, all, 3);
    }

    @Test
    void blocksCompressedByAnotherCodecThanTheFilesNewChoiceAreCompressedAgainByIt() throws IOException {
        moveAllTo(HDD); // text with Zstd, random raw, binary with LZ4
        chooseCompression("lz4");
        assertEquals(2, recompressAndSeal(), "the text rewritten raw, then compressed");
        assertEquals(Codec.LZ4.id, inStore(0).codec(), "text with LZ4 now");
        assertTrue(inStore(0).sealed());
        assertFalse(inStore(1).compressed(), "random bytes: LZ4 saves nothing, raw still");
        assertEquals(Codec.LZ4.id, inStore(2).codec(), "same codec: left as it was");
        assertNull(meta.get(Keys.rewrite(INO, 0)), "no journal entry left");
        assertArrayEquals(data, read(0, 3 * BS));
        chooseCompression("none");
        assertEquals(2, recompressAndSeal());
        assertFalse(inStore(0).compressed() || inStore(2).compressed(), "none: raw");
        assertEquals(3L * BS, store.usedBytes(HDD), "raw slots take their blocks' size");
        chooseCompression("zstd:3");
        assertEquals(2, recompressAndSeal(), "raw blocks the file names a codec for are compressed in place");
        assertEquals(Codec.ZSTD.id, inStore(0).codec());
        assertEquals(Codec.ZSTD.id, inStore(2).codec());
        assertEquals(0, recompressAndSeal(), "nothing left to do");
        close();
        openStore();
        assertArrayEquals(data, read(0, 3 * BS));
    }

    @Test
    void blocksSealedOnACompressingTierAreCompressedInPlaceAndJournaledMeanwhile() throws IOException {
        store.compressOn(new boolean[] {false, false});
        moveAllTo(HDD); // as if written there: sealed raw, never classified
        assertFalse(inStore(0).compressed());
        store.compressOn(new boolean[] {false, true});
        long usedBefore = store.usedBytes(HDD);
        boolean[] journaled = {false};
        hdd.afterNextFileCall("write", () -> journaled[0] = meta.get(Keys.rewrite(INO, 0)) != null);
        assertEquals(2, mover.compressInPlace(file, new long[] {0, 1, 2}, 3), "text and binary; random stays raw");
        assertTrue(journaled[0], "the raw bytes were in the journal when the slot was rewritten");
        assertNull(meta.get(Keys.rewrite(INO, 0)), "and the entry is gone once the compressed record is durable");
        assertEquals(Codec.ZSTD.id, inStore(0).codec());
        assertEquals(Codec.LZ4.id, inStore(2).codec());
        assertFalse(inStore(1).compressed());
        assertTrue(store.usedBytes(HDD) < usedBefore - BS, "the space is given back: " + store.usedBytes(HDD));
        assertArrayEquals(data, read(0, 3 * BS));
        assertEquals(0, mover.compressInPlace(file, new long[] {0, 1, 2}, 3), "nothing left to do");
        write(10, new byte[] {7});
        data[10] = 7;
        assertArrayEquals(data, read(0, 3 * BS), "a write after it rewrites the block raw");
        close();
        openStore();
        assertArrayEquals(data, read(0, 3 * BS));
    }

    @Test
    void aCompressionInPlaceThatFailsPutsTheRawBytesBackUnderTheRawRecord() throws IOException {
        store.compressOn(new boolean[] {false, false});
        moveAllTo(HDD);
        store.compressOn(new boolean[] {false, true});
        hdd.failNextSync(); // after the journal entry and the compressed bytes, before the switch
        assertThrows(IOException.class, () -> mover.compressInPlace(file, new long[] {0}, 1));
        assertFalse(inStore(0).compressed(), "the record is still the raw one");
        assertArrayEquals(data, read(0, 3 * BS), "and the slot holds what it describes again");
        write(10, new byte[] {7}); // unseals the block: its bytes around the write must be the raw ones
        data[10] = 7;
        assertArrayEquals(data, read(0, 3 * BS));
        close();
        openStore();
        assertArrayEquals(data, read(0, 3 * BS));
    }

    @Test
    void journalEntriesAFailureLeftGoWithTheirBlocksWhenTheFileShrinks() throws IOException {
        for (long index = 1; index < 3; index++) { // as a compression in place whose undo failed leaves them
            try (io.tierfs.meta.MetadataStore.Batch b = meta.newBatch()) {
                b.put(Keys.rewrite(INO, index), RewriteJournal.entry(file.ref(index).generation() + 1,
                    java.nio.ByteBuffer.wrap(data, (int) index * BS, BS).slice(), BS));
                meta.commit(b, true);
            }
        }
        file.shrink(2L * BS, batch -> { });
        assertNull(meta.get(Keys.rewrite(INO, 2)), "a block made there again must not meet it at recovery");
        assertNotNull(meta.get(Keys.rewrite(INO, 1)), "the block kept keeps its entry, for recovery");
    }

    @Test
    void aHigherMinimumSavingKeepsBlocksThatSaveLessRaw() throws IOException {
        store.compressWith(3, 0.99);
        moveAllTo(HDD);
        assertFalse(inStore(0).compressed(), "text saves much, but not 99%");
        assertArrayEquals(data, read(0, 3 * BS));
    }

    @Test
    void compressionChoicesParseAndRefuseClearly() {
        assertEquals("zstd:7", CompressionChoice.parse("zstd:7\n").toString());
        assertEquals(CompressionChoice.AUTO, CompressionChoice.parse("auto"));
        for (String bad : new String[] {"zstd:0", "zstd:20", "zstd:x", "gzip", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CompressionChoice.parse(bad));
            assertTrue(e.getMessage().contains("auto, zstd, zstd:LEVEL (1 to 19), lz4 or none"), e.getMessage());
        }
        assertEquals(CompressionChoice.AUTO, CompressionChoice.of("garbage".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void aBlockCompressedAfterAReopenIsItsOwnWhenItsFileHeadIsReadFromACompressedBlock() throws IOException {
        assertEquals(BS, mover.move(file, 0, HDD)); // the file's first block, compressed
        close();
        openStore(); // the classifier has not seen the file: it reads its head, through block 0's decompression
        store.compressOn(new boolean[] {false, true});
        long readsBefore = store.reads(SSD) + store.reads(HDD);
        assertEquals(BS, mover.move(file, 2, HDD));
        assertEquals(readsBefore, store.reads(SSD) + store.reads(HDD), "the classifier's read of the file's head is no reader's");
        assertTrue(file.ref(2).compressed());
        assertArrayEquals(data, read(0, 3 * BS), "block 2 holds its own bytes, not block 0's");
    }

    @Test
    void aCompressedBlockComesUpRawAndSealed() throws IOException {
        moveAllTo(HDD);
        moveAllTo(SSD);
        for (int i = 0; i < 3; i++) {
            BlockRef ref = inStore(i);
            assertFalse(ref.compressed(), "raw above hdd");
            assertTrue(ref.sealed() && ref.pageSums() != null);
        }
        assertArrayEquals(data, read(0, 3 * BS));
    }

    @Test
    void aWriteToACompressedBlockRewritesItRawInPlaceJournaledFirst() throws Exception {
        moveAllTo(HDD);
        boolean[] journaledFirst = {false};
        hdd.afterNextFileCall("write", () -> journaledFirst[0] = meta.get(Keys.rewrite(INO, 0)) != null
            && !inStore(0).compressed() && file.ref(0).compressed()); // no write reaches the slot yet
        byte[] update = NativeBuffer.pattern(4, 100);
        write(10, update);
        System.arraycopy(update, 0, data, 10, 100);
        assertTrue(journaledFirst[0], "the raw bytes and the raw record were durable before the slot was rewritten,"
            + " and the table named the raw block only once the journal entry was gone");
        assertNull(meta.get(Keys.rewrite(INO, 0)), "the journal entry goes once the slot is synced");
        BlockRef ref = inStore(0);
        assertFalse(ref.compressed() || ref.sealed(), "raw and unsealed, on hdd still: " + ref);
        assertEquals(HDD, ref.tier());
        assertArrayEquals(data, read(0, 3 * BS));
    }

    @Test
    void aWriteAcrossASealedRawBlockAndACompressedOneMakesBothWritable() throws IOException {
        moveAllTo(HDD); // block 1 raw and sealed, block 2 compressed
        byte[] update = NativeBuffer.pattern(5, 200);
        write(2L * BS - 100, update);
        System.arraycopy(update, 0, data, 2 * BS - 100, 200);
        assertFalse(inStore(1).sealed());
        assertFalse(inStore(2).compressed() || inStore(2).sealed());
        assertArrayEquals(data, read(0, 3 * BS));
    }

    @Test
    void hotCopiesOfCompressedBlocksSurviveTheMountsCheckUnlessTheyDiffer() throws IOException {
        moveAllTo(HDD);
        for (long i = 0; i < 3; i++) {
            assertEquals(BlockMover.Promotion.DONE, mover.promote(file, i));
        }
        try (NativeBuffer torn = NativeBuffer.of(NativeBuffer.pattern(8, 10))) {
            store.hot().update(INO, 2, 0, torn.address, 10); // as if a crash cut a write in between
        }
        assertEquals(1, HotCopies.verify(store), "only the copy that differs goes");
        assertTrue(store.hot().holds(INO, 0), "the copy of a compressed block is checked against it decompressed");
        assertTrue(store.hot().holds(INO, 1), "the copy of a sealed raw block, against its page sums");
        assertFalse(store.hot().holds(INO, 2));
    }

    @Test
    void aFlippedByteInACompressedBlockFailsItsReadsAndKeepsItWhereItIs() throws IOException {
        moveAllTo(HDD);
        try (TierFile f = store.tier(HDD).open(INO); NativeBuffer b = NativeBuffer.of(new byte[] {0x55})) {
            f.write(0, 20, b.address, 1);
        }
        NativeIOException e = assertThrows(NativeIOException.class, () -> read(0, 100));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        assertArrayEquals(Arrays.copyOfRange(data, BS, 3 * BS), read(BS, 2 * BS), "the other blocks read");
        assertEquals(0, mover.move(file, 0, SSD), "its bytes are not carried up");
        assertThrows(NativeIOException.class, () -> write(5, new byte[] {1}), "nor rewritten raw from bad bytes");
        assertEquals(1, store.seals().checksumFailures());
        assertNotNull(inStore(0));
        assertTrue(inStore(0).compressed());
    }
}
