package io.tierfs.tier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.testutil.NativeBuffer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every {@link Tier} and {@link TierFile} keeps. A concrete tier's test extends this and
 * says how to build the tier; the contract is then checked the same way for each.
 */
public abstract class TierContractTest {
    /** 64 KiB: several filesystem blocks, so holes inside one tier block are possible. */
    protected static final int BS = 64 * 1024;

    @TempDir
    protected Path tempDir;
    protected Tier tier;
    private final List<TierFile> opened = new ArrayList<>();
    private final List<Tier> tiers = new ArrayList<>();

    /** A new tier in {@code dir} (which may not exist yet); {@code limitBytes} 0 means unlimited. */
    protected abstract Tier newTier(Path dir, int blockSize, long limitBytes) throws IOException;

    protected Path tierDir() {
        return tempDir.resolve("tier");
    }

    @BeforeEach
    void openTier() throws IOException {
        tier = track(newTier(tierDir(), BS, 0));
    }

    @AfterEach
    void closeAll() {
        closeAllFiles();
        for (Tier t : tiers) {
            t.close();
        }
        tiers.clear();
    }

    /** Closes every handle still open (a tier is closed only after its handles). */
    protected void closeAllFiles() {
        for (TierFile f : opened) {
            f.close();
        }
        opened.clear();
    }

    protected Tier track(Tier t) {
        tiers.add(t);
        return t;
    }

    protected TierFile open(Tier t, long ino) {
        TierFile f = t.open(ino);
        opened.add(f);
        return f;
    }

    /** Closes a handle now (and not again after the test). */
    protected void close(TierFile f) {
        opened.remove(f);
        f.close();
    }

    /** Closes a tier now (and not again after the test). */
    protected void close(Tier t) {
        tiers.remove(t);
        t.close();
    }

    protected static void write(TierFile f, long index, int offset, byte[] data) throws IOException {
        try (NativeBuffer b = NativeBuffer.of(data)) {
            f.write(index, offset, b.address, data.length);
        }
    }

    protected static byte[] read(TierFile f, long index, int offset, int length) throws IOException {
        try (NativeBuffer b = NativeBuffer.garbage(length)) {
            f.read(index, offset, b.address, length);
            return b.bytes();
        }
    }

    protected static void assertZeros(byte[] b, String what) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] != 0) {
                throw new AssertionError(what + ": byte " + i + " is " + b[i] + ", expected 0");
            }
        }
    }

    private static byte[] slice(byte[] b, int from, int to) {
        return Arrays.copyOfRange(b, from, to);
    }

    /** Whether a discarded block's slot reads zeros again at once (else only once written anew). */
    protected boolean discardFrees() {
        return tier.features().punchHole();
    }

    /** A discarded block, as the block layer sees it: gone, and all zeros once placed there again. */
    private void assertDiscarded(TierFile f, long index) throws IOException {
        if (discardFrees()) {
            assertZeros(read(f, index, 0, BS), "discarded block " + index);
        }
        try (NativeBuffer one = NativeBuffer.of(new byte[] {9})) {
            f.writeNew(index, 100, one.address, 1);
        }
        byte[] b = read(f, index, 0, BS);
        assertZeros(slice(b, 0, 100), "block " + index + " placed anew, before its byte");
        assertEquals(9, b[100]);
        assertZeros(slice(b, 101, BS), "block " + index + " placed anew, after its byte");
    }

    // ---------------------------------------------------------------- reads of unwritten data

    @Test
    void neverWrittenFileReadsZerosAndCreatesNothing() throws IOException {
        TierFile f = open(tier, 42);
        assertZeros(read(f, 0, 0, BS), "block 0 of a file never written");
        assertZeros(read(f, 3, 100, 1000), "block 3 of a file never written");
        assertEquals(0, f.storedBlocks().length);
        assertEquals(0, tier.storedInodes().length, "a read must not create the file");
    }

    @Test
    void holesAndBytesPastTheEndReadZeros() throws IOException {
        TierFile f = open(tier, 5);
        write(f, 4, 0, NativeBuffer.pattern(1, BS));
        assertZeros(read(f, 0, 0, BS), "hole before the written block");
        assertZeros(read(f, 2, 7, BS - 7), "hole before the written block");
        assertZeros(read(f, 5, 0, BS), "block past the end");
        assertZeros(read(f, 1000, 123, 4567), "far past the end");
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void writeReadRoundTripAtVariousIndexesAndOffsets() throws IOException {
        TierFile f = open(tier, 7);
        long[] indexes = {0, 1, 2, 7, 1000, 100_000};
        int[] offsets = {0, 17, 4095, 4096, BS - 3, 12345};
        int[] lengths = {BS, 1000, 4097, 8192, 3, 1};
        for (int k = 0; k < indexes.length; k++) {
            write(f, indexes[k], offsets[k], NativeBuffer.pattern(k, lengths[k]));
        }
        for (int k = 0; k < indexes.length; k++) {
            byte[] whole = read(f, indexes[k], 0, BS);
            assertArrayEquals(NativeBuffer.pattern(k, lengths[k]), slice(whole, offsets[k], offsets[k] + lengths[k]),
                "data of block " + indexes[k]);
            assertZeros(slice(whole, 0, offsets[k]), "before the data in block " + indexes[k]);
            assertZeros(slice(whole, offsets[k] + lengths[k], BS), "after the data in block " + indexes[k]);
            // A read of just the written range, at its own offset.
            assertArrayEquals(NativeBuffer.pattern(k, lengths[k]), read(f, indexes[k], offsets[k], lengths[k]));
        }
    }

    @Test
    void overwriteReplacesOnlyTheWrittenRange() throws IOException {
        TierFile f = open(tier, 8);
        byte[] first = NativeBuffer.pattern(10, BS);
        write(f, 3, 0, first);
        byte[] second = NativeBuffer.pattern(11, 333);
        write(f, 3, 1000, second);
        byte[] expected = first.clone();
        System.arraycopy(second, 0, expected, 1000, second.length);
        assertArrayEquals(expected, read(f, 3, 0, BS));
    }

    @Test
    void readAcrossAPartiallyWrittenBlock() throws IOException {
        TierFile f = open(tier, 9);
        byte[] data = NativeBuffer.pattern(3, 100);
        write(f, 2, 100, data);
        byte[] whole = read(f, 2, 0, BS);
        assertZeros(slice(whole, 0, 100), "before");
        assertArrayEquals(data, slice(whole, 100, 200));
        assertZeros(slice(whole, 200, BS), "after (past the end of the tier file)");
        // A read that starts inside the data and runs past the end of the file.
        byte[] tail = read(f, 2, 150, BS - 150);
        assertArrayEquals(slice(data, 50, 100), slice(tail, 0, 50));
        assertZeros(slice(tail, 50, tail.length), "tail past the data");
    }

    @Test
    void aRangeRunsOnIntoTheBlocksAfterIt() throws IOException {
        TierFile f = open(tier, 13);
        byte[] data = NativeBuffer.pattern(13, 3 * BS);
        write(f, 4, 50, data);  // from 50 bytes into block 4 to 50 bytes into block 7
        assertArrayEquals(data, read(f, 4, 50, data.length), "one read over the same range");
        for (int i = 0; i < 3; i++) {
            int from = i == 0 ? 50 : 0;
            byte[] block = read(f, 4 + i, from, BS - from);
            assertArrayEquals(slice(data, i == 0 ? 0 : i * BS - 50, (i + 1) * BS - 50), block,
                "block " + (4 + i) + " read alone");
        }
        byte[] last = read(f, 7, 0, BS);
        assertArrayEquals(slice(data, 3 * BS - 50, data.length), slice(last, 0, 50), "block 7 read alone");
        assertZeros(slice(last, 50, BS), "block 7 past the data");
        byte[] wide = read(f, 3, 0, 6 * BS);  // a hole, the data, the end of the file
        assertZeros(slice(wide, 0, BS + 50), "the hole before the data");
        assertArrayEquals(data, slice(wide, BS + 50, BS + 50 + data.length));
        assertZeros(slice(wide, BS + 50 + data.length, wide.length), "past the data");
        assertArrayEquals(new long[] {4, 5, 6, 7}, f.storedBlocks());
    }

    @Test
    void dataSurvivesANewHandleAndAReopenedTier() throws IOException {
        TierFile f = open(tier, 12);
        byte[] data = NativeBuffer.pattern(12, 5000);
        write(f, 6, 10, data);
        f.sync();
        close(f);
        assertArrayEquals(data, read(open(tier, 12), 6, 10, data.length), "new handle");
        closeAllFiles();
        close(tier);
        Tier again = track(newTier(tierDir(), BS, 0));
        assertArrayEquals(data, read(open(again, 12), 6, 10, data.length), "reopened tier");
        assertArrayEquals(new long[] {6}, open(again, 12).storedBlocks());
    }

    // ---------------------------------------------------------------- zero, discard, reserve

    @Test
    void zeroClearsARangeInsideABlockAndLeavesTheRest() throws IOException {
        TierFile f = open(tier, 13);
        byte[] data = NativeBuffer.pattern(13, BS);
        write(f, 1, 0, data);
        write(f, 2, 0, data);
        f.zero(1, 4096, 8192);
        byte[] b = read(f, 1, 0, BS);
        assertArrayEquals(slice(data, 0, 4096), slice(b, 0, 4096));
        assertZeros(slice(b, 4096, 4096 + 8192), "zeroed range");
        assertArrayEquals(slice(data, 4096 + 8192, BS), slice(b, 4096 + 8192, BS));
        assertArrayEquals(data, read(f, 2, 0, BS), "the next block is untouched");

        // Unaligned, to the end of the block.
        f.zero(2, 777, BS - 777);
        byte[] c = read(f, 2, 0, BS);
        assertArrayEquals(slice(data, 0, 777), slice(c, 0, 777));
        assertZeros(slice(c, 777, BS), "zeroed tail");
    }

    @Test
    void zeroOfAFileNeverWrittenIsHarmless() throws IOException {
        TierFile f = open(tier, 14);
        f.zero(0, 0, BS);
        f.zero(5, 10, 20);
        assertZeros(read(f, 0, 0, BS), "zeroed");
        assertEquals(0, tier.storedInodes().length, "zero must not create the file");
    }

    @Test
    void discardFreesExactlyTheGivenBlocks() throws IOException {
        TierFile f = open(tier, 15);
        for (long i = 0; i < 6; i++) {
            write(f, i, 0, NativeBuffer.pattern(100 + i, BS));
        }
        f.discard(1, 3);
        for (long i : new long[] {0, 3, 4, 5}) {
            assertArrayEquals(NativeBuffer.pattern(100 + i, BS), read(f, i, 0, BS), "block " + i);
        }
        if (discardFrees()) {
            assertArrayEquals(new long[] {0, 3, 4, 5}, f.storedBlocks());
        }
        f.discard(3, 3); // empty range
        f.discard(4, 2); // reversed range
        for (long i : new long[] {0, 3, 4, 5}) {
            assertArrayEquals(NativeBuffer.pattern(100 + i, BS), read(f, i, 0, BS), "block " + i);
        }
        assertDiscarded(f, 1);
        assertDiscarded(f, 2);
    }

    @Test
    void discardToLongMaxFreesEverythingFromTheFirstBlock() throws IOException {
        TierFile f = open(tier, 16);
        for (long i = 0; i < 6; i++) {
            write(f, i, 0, NativeBuffer.pattern(200 + i, BS));
        }
        f.discard(4, Long.MAX_VALUE);
        assertArrayEquals(new long[] {0, 1, 2, 3}, f.storedBlocks());
        assertZeros(read(f, 4, 0, BS), "block 4");
        assertZeros(read(f, 5, 0, BS), "block 5");
        assertArrayEquals(NativeBuffer.pattern(203, BS), read(f, 3, 0, BS));

        // The file can grow again; what lies between reads as zeros, not as the old data.
        write(f, 5, 100, NativeBuffer.pattern(9, 10));
        assertZeros(read(f, 4, 0, BS), "block 4 after regrowth");
        byte[] b5 = read(f, 5, 0, BS);
        assertZeros(slice(b5, 0, 100), "block 5 before the new data");
        assertArrayEquals(NativeBuffer.pattern(9, 10), slice(b5, 100, 110));
        assertZeros(slice(b5, 110, BS), "block 5 after the new data");

        f.discard(0, Long.MAX_VALUE);
        assertEquals(0, f.storedBlocks().length);
        assertZeros(read(f, 0, 0, BS), "block 0 after discarding everything");
    }

    @Test
    void discardOfAFileNeverWrittenIsHarmless() throws IOException {
        TierFile f = open(tier, 17);
        f.discard(0, Long.MAX_VALUE);
        f.discard(2, 5);
        assertEquals(0, tier.storedInodes().length, "discard must not create the file");
    }

    @Test
    void discardToAHugeIndexActsLikeDiscardToTheEnd() throws IOException {
        TierFile f = open(tier, 18);
        for (long i = 0; i < 4; i++) {
            write(f, i, 0, NativeBuffer.pattern(300 + i, BS));
        }
        f.discard(2, Long.MAX_VALUE / BS + 1);
        assertArrayEquals(new long[] {0, 1}, f.storedBlocks());
    }

    @Test
    void reserveGivesAZeroedBlockThatCanBeWrittenAndKeepsExistingData() throws IOException {
        TierFile f = open(tier, 19);
        f.reserve(3);
        assertZeros(read(f, 3, 0, BS), "reserved block");
        byte[] data = NativeBuffer.pattern(19, 1234);
        write(f, 3, 500, data);
        assertArrayEquals(data, read(f, 3, 500, data.length));

        byte[] full = NativeBuffer.pattern(20, BS);
        write(f, 1, 0, full);
        if (tier.features().punchHole()) {
            f.reserve(1);
            assertArrayEquals(full, read(f, 1, 0, BS), "reserve must not clear a block with data");
        }
        // a block discarded and reserved anew reads zeros, whatever its slot held
        f.discard(1, 2);
        f.reserve(1);
        assertZeros(read(f, 1, 0, BS), "a discarded block reserved again");
        assertTrue(Arrays.stream(tier.storedInodes()).anyMatch(i -> i == 19));
    }

    // ---------------------------------------------------------------- durability and listings

    @Test
    void syncAfterCreateAndWhenCleanOrAbsent() throws IOException {
        TierFile absent = open(tier, 20);
        absent.sync(); // nothing written: nothing to do, and nothing created
        assertEquals(0, tier.storedInodes().length);

        absent.startWriteBack(0, 0, BS); // nothing to write back, and nothing created
        assertEquals(0, tier.storedInodes().length);

        TierFile f = open(tier, 21);
        byte[] data = NativeBuffer.pattern(21, 100);
        write(f, 0, 0, data);
        f.startWriteBack(0, 0, data.length);
        assertTrue(f.hasUnsyncedWrites(), "started is not durable: the sync still has to wait for it");
        f.sync();
        f.sync(); // clean now
        assertArrayEquals(new long[] {21}, tier.storedInodes());
        write(f, 1, 0, data);
        f.sync();
        close(f);
        TierFile again = open(tier, 21);
        assertArrayEquals(data, read(again, 0, 0, 100));
        assertArrayEquals(data, read(again, 1, 0, 100));
    }

    @Test
    void readsZerosSeesDataAnywhereInTheRangeAndNothingElse() throws IOException {
        TierFile absent = open(tier, 22);
        assertTrue(absent.readsZeros(0, 0, BS), "a file never written");
        assertEquals(0, tier.storedInodes().length, "the check must not create the file");
        TierFile f = open(tier, 23);
        write(f, 1, 0, NativeBuffer.pattern(23, 100));
        write(f, 3, BS - 1, new byte[] {7});
        write(f, 4, 0, new byte[BS]); // written, but zeros
        assertTrue(f.readsZeros(0, 0, BS), "a hole before the data");
        assertTrue(f.readsZeros(1, 100, BS - 100), "the rest of a block written in part");
        assertFalse(f.readsZeros(1, 99, 2));
        assertFalse(f.readsZeros(1, 0, BS));
        assertTrue(f.readsZeros(2, 0, BS));
        assertTrue(f.readsZeros(3, 0, BS - 1));
        assertFalse(f.readsZeros(3, 0, BS), "the last byte of a block");
        assertTrue(f.readsZeros(4, 0, BS), "zeros written");
        assertTrue(f.readsZeros(9, 0, BS), "past the file's end");
        f.reserve(6);
        assertTrue(f.readsZeros(6, 0, BS), "reserved space");
    }

    @Test
    void storedBlocksListsExactlyTheBlocksWithData() throws IOException {
        TierFile f = open(tier, 22);
        assertArrayEquals(new long[0], f.storedBlocks());
        write(f, 0, 0, NativeBuffer.pattern(1, 10));          // start of block 0
        write(f, 2, 0, NativeBuffer.pattern(2, BS));          // all of block 2
        write(f, 5, BS - 5, NativeBuffer.pattern(3, 5));      // last bytes of block 5
        write(f, 9, 4096, NativeBuffer.pattern(4, 4096));     // middle of block 9
        write(f, 12, BS - 100, NativeBuffer.pattern(5, 200)); // straddles blocks 12 and 13
        assertArrayEquals(new long[] {0, 2, 5, 9, 12, 13}, f.storedBlocks());
        f.discard(2, 3);
        if (discardFrees()) {
            assertArrayEquals(new long[] {0, 5, 9, 12, 13}, f.storedBlocks());
        }
    }

    @Test
    void storedBlocksListsABlockWithSeveralDataRangesOnce() throws IOException {
        TierFile f = open(tier, 23);
        write(f, 1, 0, NativeBuffer.pattern(1, 4096));
        write(f, 1, BS / 2, NativeBuffer.pattern(2, 4096));
        write(f, 3, 0, NativeBuffer.pattern(3, BS));
        f.zero(3, 8192, 8192);
        assertArrayEquals(new long[] {1, 3}, f.storedBlocks());
    }

    @Test
    void deleteFreesEveryBlockOfOneFileOnly() throws IOException {
        TierFile a = open(tier, 30);
        TierFile b = open(tier, 31);
        write(a, 0, 0, NativeBuffer.pattern(30, BS));
        write(a, 3, 0, NativeBuffer.pattern(31, BS));
        write(b, 1, 0, NativeBuffer.pattern(32, BS));
        close(a);
        tier.delete(30);
        assertArrayEquals(new long[] {31}, tier.storedInodes());
        TierFile a2 = open(tier, 30);
        assertEquals(0, a2.storedBlocks().length);
        assertZeros(read(a2, 0, 0, BS), "deleted block 0");
        assertZeros(read(a2, 3, 0, BS), "deleted block 3");
        assertArrayEquals(NativeBuffer.pattern(32, BS), read(b, 1, 0, BS), "the other file is untouched");
        tier.delete(30);  // again: nothing there
        tier.delete(999); // never existed
        tier.syncDeletes();
        tier.syncDeletes(); // nothing left to sync
        assertArrayEquals(new long[] {31}, tier.storedInodes());
    }

    @Test
    void storedInodesListsTheFilesWithData() throws IOException {
        assertArrayEquals(new long[0], tier.storedInodes());
        long[] inos = {1, 2, 257, 513, 1L << 40, Long.MAX_VALUE - 1};
        for (long ino : inos) {
            write(open(tier, ino), 1, 0, NativeBuffer.pattern(ino, 10));
        }
        open(tier, 77); // opened, never written
        long[] listed = tier.storedInodes();
        Arrays.sort(listed);
        long[] expected = inos.clone();
        Arrays.sort(expected);
        assertArrayEquals(expected, listed);
    }

    @Test
    void freeBytesRespectsAConfiguredLimit() throws IOException {
        long limit = 10L * BS;
        Tier limited = track(newTier(tempDir.resolve("limited"), BS, limit));
        assertEquals(limit, limited.capacityBytes());
        assertEquals(limit, limited.freeBytes(0));
        assertEquals(6L * BS, limited.freeBytes(4L * BS));
        assertEquals(1, limited.freeBytes(limit - 1));
        assertEquals(0, limited.freeBytes(limit));
        assertEquals(0, limited.freeBytes(limit + 5L * BS), "over the limit is no room, never negative");

        assertTrue(tier.capacityBytes() > limit, "an unlimited tier reports its filesystem's size");
        assertTrue(tier.freeBytes(0) > 0);
        assertTrue(tier.freeBytes(0) <= tier.capacityBytes());
    }

    @Test
    void concurrentWritersToDifferentBlocksOfOneFile() throws Exception {
        int threads = 8;
        int perThread = 16;
        TierFile f = open(tier, 40);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    start.await();
                    for (int k = 0; k < perThread; k++) {
                        long index = (long) k * threads + thread;
                        // Two writes per block, so a block is touched while others are being written.
                        byte[] data = NativeBuffer.pattern(1000 + index, BS);
                        write(f, index, 0, Arrays.copyOf(data, BS / 2));
                        write(f, index, BS / 2, Arrays.copyOfRange(data, BS / 2, BS));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> r : results) {
                r.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        f.sync();
        close(f);
        TierFile check = open(tier, 40);
        int total = threads * perThread;
        for (long index = 0; index < total; index++) {
            assertArrayEquals(NativeBuffer.pattern(1000 + index, BS), read(check, index, 0, BS), "block " + index);
        }
        assertArrayEquals(LongStream.range(0, total).toArray(), check.storedBlocks());
    }
}
