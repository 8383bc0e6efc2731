package io.tierfs.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.meta.RocksMetadataStore;
import io.tierfs.namespace.FsException;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.NativeIOException;
import io.tierfs.testutil.NativeBuffer;
import io.tierfs.testutil.FaultyTier;
import io.tierfs.testutil.TierDirs;
import io.tierfs.tier.DirectoryTier;
import io.tierfs.tier.Tier;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data path of one file through a {@link BlockStore} of two directory tiers and a RocksDB block map. */
class FileBlocksTest {
    private static final int BS = 16 * 1024;
    private static final long INO = 1234;

    /** Tier directories shared by the tests of this class, emptied before each (see {@link TierDirs}). */
    @TempDir
    static Path tierRoot;
    @TempDir
    Path dir;
    private RocksMetadataStore meta;
    private BlockStore store;
    private final List<FileBlocks> opened = new ArrayList<>();
    private final AtomicLong blockCount = new AtomicLong();
    /** What the next {@link #openStore} puts around its ssd tier. */
    private UnaryOperator<Tier> ssdWrapper = UnaryOperator.identity();

    /** Opens the volume with the given tier limits (0 = unlimited). */
    private void openStore(long ssdLimit, long hddLimit) throws IOException {
        TierDirs.empty(tierRoot.resolve("ssd"));
        TierDirs.empty(tierRoot.resolve("hdd"));
        meta = new RocksMetadataStore(dir.resolve("meta"));
        Tier[] tiers = {
            ssdWrapper.apply(new DirectoryTier("ssd", tierRoot.resolve("ssd"), BS, ssdLimit)),
            new DirectoryTier("hdd", tierRoot.resolve("hdd"), BS, hddLimit),
        };
        store = new BlockStore(BS, tiers, meta);
    }

    @AfterEach
    void closeAll() {
        for (FileBlocks f : opened) {
            f.close();
        }
        if (store != null) {
            store.close();
        }
        if (meta != null) {
            meta.close();
        }
    }

    private FileBlocks open(long ino) {
        FileBlocks f = store.open(ino, blockCount::addAndGet);
        opened.add(f);
        return f;
    }

    /** Closes {@code f} and opens its file again: a new table, read from the store. */
    private FileBlocks reopen(FileBlocks f, long ino) {
        opened.remove(f);
        f.close();
        return open(ino);
    }

    private static void write(FileBlocks f, long offset, byte[] data) throws IOException {
        try (NativeBuffer b = NativeBuffer.of(data)) {
            f.write(offset, b.address, data.length);
        }
    }

    private static byte[] read(FileBlocks f, long offset, int length) throws IOException {
        try (NativeBuffer b = NativeBuffer.garbage(length)) {
            f.read(offset, b.address, length);
            return b.bytes();
        }
    }

    private static void assertZeros(byte[] b, String what) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] != 0) {
                throw new AssertionError(what + ": byte " + i + " is " + b[i] + ", expected 0");
            }
        }
    }

    /** The block map of {@code ino} in the store: index to tier. */
    private List<long[]> refs(long ino) {
        List<long[]> out = new ArrayList<>();
        meta.scan(Keys.first(Keys.BLOCK, ino), Keys.after(Keys.BLOCK, ino), (k, v) -> {
            assertEquals(ino, Keys.inoOf(k));
            out.add(new long[] {Keys.blockIndexOf(k), BlockRef.decode(v).tier()});
            return true;
        });
        return out;
    }

    private long[] refIndexes(long ino) {
        return refs(ino).stream().mapToLong(r -> r[0]).toArray();
    }

    private long[] storedOn(int tier, long ino) throws IOException {
        try (TierFile f = store.tier(tier).open(ino)) {
            return f.storedBlocks();
        }
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void roundTripsAcrossBlockBoundariesWithOddOffsetsAndLengths() throws IOException {
        openStore(0, 0);
        FileBlocks f = open(INO);
        int fileSize = 9 * BS + 321;
        byte[] model = new byte[fileSize];
        Random r = new Random(42);
        long[][] writes = {
            {BS - 77, 3L * BS + 123},   // starts near the end of block 0, spans four blocks
            {0, 1},
            {5L * BS + 1, BS - 2},      // inside block 5, touching neither edge
            {2L * BS - 1, 2},           // the last byte of block 1 and the first of block 2
            {7L * BS, 2L * BS + 321},   // whole blocks plus a tail
            {BS + 500, 999},            // overwrite in the middle of earlier data
        };
        for (long[] w : writes) {
            byte[] data = NativeBuffer.pattern(r.nextLong(), (int) w[1]);
            write(f, w[0], data);
            System.arraycopy(data, 0, model, (int) w[0], data.length);
        }
        assertArrayEquals(model, read(f, 0, fileSize), "whole file");
        for (int k = 0; k < 50; k++) {
            int off = r.nextInt(fileSize);
            int len = r.nextInt(Math.min(3 * BS, fileSize - off) + 1);
            assertArrayEquals(Arrays.copyOfRange(model, off, off + len), read(f, off, len),
                "read of " + len + " at " + off);
        }
        // Block 6 was never written: it has no reference and reads zeros.
        assertFalse(Arrays.stream(refIndexes(INO)).anyMatch(i -> i == 6));
        assertZeros(read(f, 6L * BS, BS), "block 6");
        // A new handle, whose block table is loaded from the store, reads the same.
        f.close();
        assertArrayEquals(model, read(open(INO), 0, fileSize), "reopened");
    }

    @Test
    void blocksFarIntoAHugeSparseFileCostOnePageEach() throws IOException {
        openStore(0, 0);
        FileBlocks f = open(INO);
        long far = 100_000_000L * BS;  // past the table's directly addressed pages
        byte[] a = NativeBuffer.pattern(3, 300);
        long before = usedHeap();
        assertZeros(read(f, far * 2, 64), "far into a hole");
        write(f, far + BS - 100, a);
        assertArrayEquals(a, read(f, far + BS - 100, 300));
        assertArrayEquals(new long[] {far / BS, far / BS + 1}, refIndexes(INO));
        assertTrue(usedHeap() - before < 64L << 20, "a far read must not allocate a table up to it");
        f.shrink(far, batch -> { });
        assertZeros(read(f, far, 300), "shrunk away");
        assertArrayEquals(new long[0], refIndexes(INO));
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    @Test
    void holesReadZerosAndOnlyWrittenBlocksGetReferences() throws IOException {
        openStore(0, 0);
        FileBlocks f = open(INO);
        assertEquals(0, refs(INO).size(), "no reference before any write");
        assertZeros(read(f, 0, 4 * BS), "a file never written");
        assertEquals(0, refs(INO).size(), "a read records nothing");

        byte[] a = NativeBuffer.pattern(1, 100);
        byte[] b = NativeBuffer.pattern(2, 10);
        write(f, 50, a);
        write(f, 5L * BS + BS - 10, b);
        assertArrayEquals(new long[] {0, 5}, refIndexes(INO));
        for (long[] ref : refs(INO)) {
            assertEquals(0, ref[1], "new blocks go to the fastest tier");
        }
        BlockRef ref0 = BlockRef.decode(meta.get(Keys.block(INO, 0)));
        assertEquals(0, ref0.tier());
        assertEquals(BS, ref0.storedLength());
        assertNull(meta.get(Keys.block(INO, 1)));

        byte[] all = read(f, 0, 6 * BS);
        assertZeros(Arrays.copyOfRange(all, 0, 50), "before the first write");
        assertArrayEquals(a, Arrays.copyOfRange(all, 50, 150));
        assertZeros(Arrays.copyOfRange(all, 150, 6 * BS - 10), "the hole between");
        assertArrayEquals(b, Arrays.copyOfRange(all, 6 * BS - 10, 6 * BS));
        assertEquals(2, blockCount.get());
        assertEquals(2L * BS, store.usedBytes(0));
        assertEquals(0, store.usedBytes(1));
        assertArrayEquals(new long[] {0, 5}, storedOn(0, INO));

        // Overwrites add no block.
        write(f, 60, b);
        write(f, 5L * BS, a);
        assertArrayEquals(new long[] {0, 5}, refIndexes(INO));
        assertEquals(2, blockCount.get());
        assertEquals(2L * BS, store.usedBytes(0));
    }

    @Test
    void filesDoNotSeeEachOthersBlocks() throws IOException {
        openStore(0, 0);
        FileBlocks f1 = open(1);
        FileBlocks f2 = open(2);
        write(f1, 0, NativeBuffer.pattern(1, BS));
        write(f2, BS, NativeBuffer.pattern(2, BS));
        assertArrayEquals(new long[] {0}, refIndexes(1));
        assertArrayEquals(new long[] {1}, refIndexes(2));
        assertZeros(read(f1, BS, BS), "file 1 block 1");
        assertZeros(read(f2, 0, BS), "file 2 block 0");
        assertEquals(2L * BS, store.usedBytes(0));
    }

    /** A store whose ssd tier can fail a sync, and a file with one block written on it. */
    private FaultyTier openFaultyStore() throws IOException {
        FaultyTier[] ssd = new FaultyTier[1];
        ssdWrapper = tier -> (ssd[0] = new FaultyTier(tier)).tier();
        openStore(0, 0);
        write(open(INO), 0, NativeBuffer.pattern(1, BS));
        return ssd[0];
    }

    @Test
    void aFailedSyncFailsEveryLaterSync() throws IOException {
        FaultyTier ssd = openFaultyStore();
        FileBlocks f = opened.get(0);
        ssd.failNextSync();
        assertEquals(Errno.EIO, assertThrows(NativeIOException.class, f::sync).errno());
        assertTrue(ssd.failureDelivered());
        // the tier's next sync would succeed, as the kernel's does after reporting the failure once
        assertEquals(Errno.EIO, assertThrows(NativeIOException.class, f::sync).errno(), "retried");
        write(f, 0, NativeBuffer.pattern(2, BS));
        assertEquals(Errno.EIO, assertThrows(NativeIOException.class, f::sync).errno(), "after a rewrite");
    }

    @Test
    void aSyncRacingAFailingOneFailsToo() throws Exception {
        FaultyTier ssd = openFaultyStore();
        FileBlocks f = opened.get(0);
        CompletableFuture<Throwable> racing = new CompletableFuture<>();
        ssd.failNextSync(() -> {
            new Thread(() -> {
                try {
                    f.sync();
                    racing.complete(null);
                } catch (Throwable t) {
                    racing.complete(t);
                }
            }).start();
            // time for the racing sync to return, were it not made to wait for this one
            assertThrows(TimeoutException.class, () -> racing.get(200, TimeUnit.MILLISECONDS));
        });
        assertThrows(NativeIOException.class, f::sync);
        assertTrue(racing.get(10, TimeUnit.SECONDS) instanceof NativeIOException,
            "a sync that ran alongside a failing one must not report success");
    }

    @Test
    void writesOfAFileSyncedAfterEveryFewStartTheirWriteBackAtOnce() throws IOException {
        FaultyTier ssd = openFaultyStore();
        FileBlocks f = opened.get(0);
        write(f, 0, NativeBuffer.pattern(2, 100));
        assertEquals(0, ssd.fileCalls("startWriteBack"), "never synced: left to the kernel's write-back");
        f.sync();
        write(f, 0, NativeBuffer.pattern(3, 100));
        assertEquals(1, ssd.fileCalls("startWriteBack"), "synced after two writes: a commit log");
        write(f, BS - 50, NativeBuffer.pattern(4, 100));
        assertEquals(3, ssd.fileCalls("startWriteBack"), "one start for the existing block, one for the new one");
        for (int i = 0; i < 20; i++) {
            write(f, 0, NativeBuffer.pattern(5, 100));
        }
        assertEquals(3 + 6, ssd.fileCalls("startWriteBack"), "no sync for a while: back to the kernel's pace after 8 writes");
        f.sync();
        int before = ssd.fileCalls("startWriteBack");
        write(f, 0, NativeBuffer.pattern(6, 100));
        assertEquals(before, ssd.fileCalls("startWriteBack"), "synced after many writes: back to the kernel's pace");
        assertArrayEquals(NativeBuffer.pattern(6, 100), read(f, 0, 100));
    }

    @Test
    void aSmallFilesBytesLiveInTheMetadataStoreUntilItGrowsPastAPage() throws IOException {
        openStore(0, 0);
        FileBlocks f = open(INO);
        byte[] head = NativeBuffer.pattern(1, 100);
        write(f, 0, head);
        write(f, 3000, NativeBuffer.pattern(2, 1096));
        assertEquals(0, refs(INO).size(), "no block: the bytes are inline");
        assertEquals(4096, meta.get(Keys.inline(INO)).length);
        assertEquals(1, blockCount.get(), "counted as one block, for st_blocks");
        assertTrue(f.sync() >= 0, "an inline write changes the metadata: fsync must sync it");
        assertArrayEquals(head, read(f, 0, 100));
        assertZeros(read(f, 100, 2900), "the gap between inline writes");
        assertEquals(4096, f.nextHole(3000, 5000), "inline bytes are data to SEEK_HOLE");
        assertEquals(5000, f.nextData(4096, 5000), "none past them");

        FileBlocks again = reopen(f, INO);
        assertArrayEquals(head, read(again, 0, 100), "the inline bytes are persisted");

        write(again, 4000, NativeBuffer.pattern(3, 200)); // past a page: spilled into block 0
        assertNull(meta.get(Keys.inline(INO)), "no inline bytes once spilled");
        assertArrayEquals(new long[] {0}, refIndexes(INO));
        assertEquals(1, blockCount.get());
        assertArrayEquals(head, read(again, 0, 100), "the spilled bytes read back from the block");
        assertArrayEquals(java.util.Arrays.copyOf(NativeBuffer.pattern(2, 1096), 1000), read(again, 3000, 1000));
        assertArrayEquals(NativeBuffer.pattern(3, 200), read(again, 4000, 200));
        write(again, 10, NativeBuffer.pattern(4, 10));
        assertEquals(1, refIndexes(INO).length, "a block, once the file has one, stays the file's home");
        assertNull(meta.get(Keys.inline(INO)));
    }

    @Test
    void aNewFilesTableAsksTheStoreForNothingAndKeepsWhatItWrites() throws IOException {
        openStore(0, 0);
        // records a file made by this mount cannot have: a table opened as new does not look
        try (MetadataStore.Batch b = meta.newBatch()) {
            b.put(Keys.inline(INO), NativeBuffer.pattern(9, 50));
            b.put(Keys.block(INO, 3), BlockRef.unsealed(0, BS).encode());
            meta.commit(b, false);
        }
        FileBlocks f = store.openNew(INO, blockCount::addAndGet);
        opened.add(f);
        assertZeros(read(f, 0, 4 * BS), "no inline bytes and no block were read");
        assertTrue(f.holdsNoBlocks());

        try (MetadataStore.Batch b = meta.newBatch()) { // the planted records go again
            b.delete(Keys.inline(INO));
            b.delete(Keys.block(INO, 3));
            meta.commit(b, false);
        }
        byte[] head = NativeBuffer.pattern(1, 100);
        write(f, 0, head);
        assertArrayEquals(head, meta.get(Keys.inline(INO)), "a small first write goes inline");
        byte[] tail = NativeBuffer.pattern(2, BS);
        write(f, 2 * BS, tail);
        assertArrayEquals(new long[] {0, 2}, refIndexes(INO), "spilled into block 0, and block 2 written");
        FileBlocks again = reopen(f, INO);
        assertArrayEquals(head, read(again, 0, 100));
        assertArrayEquals(tail, read(again, 2 * BS, BS));
    }

    @Test
    void aSpillSyncsItsBlockBeforeTheInlineCopyGoesAndAFailedSyncKeepsTheInlineCopy() throws IOException {
        FaultyTier[] ssd = new FaultyTier[1];
        ssdWrapper = tier -> (ssd[0] = new FaultyTier(tier)).tier();
        openStore(0, 0);
        FileBlocks f = open(INO);
        byte[] head = NativeBuffer.pattern(11, 300);
        write(f, 0, head);
        ssd[0].failNextSync();
        assertEquals(Errno.EIO, assertThrows(NativeIOException.class,
            () -> write(f, 6000, NativeBuffer.pattern(12, 10))).errno(), "the spill's sync failed: so does the write");
        assertArrayEquals(head, meta.get(Keys.inline(INO)), "the inline copy is still the file's data");
        assertArrayEquals(head, read(f, 0, 300));

        FileBlocks g = open(INO + 1);
        write(g, 0, head);
        int before = ssd[0].fileCalls("sync");
        write(g, 6000, NativeBuffer.pattern(13, 10));
        assertTrue(ssd[0].fileCalls("sync") > before, "block 0 synced before the inline copy went");
        assertNull(meta.get(Keys.inline(INO + 1)));
        assertArrayEquals(head, read(g, 0, 300));
    }

    @Test
    void inlineBytesAreTruncatedPunchedAndGoneWithTheLastByte() throws IOException {
        openStore(0, 0);
        FileBlocks f = open(INO);
        write(f, 0, NativeBuffer.pattern(5, 1000));
        f.punch(100, 200, 1000);
        assertZeros(read(f, 100, 100), "punched");
        assertArrayEquals(java.util.Arrays.copyOfRange(NativeBuffer.pattern(5, 1000), 200, 1000), read(f, 200, 800));
        f.shrink(300, batch -> { });
        assertEquals(300, meta.get(Keys.inline(INO)).length);
        assertEquals(1, blockCount.get());
        f.shrink(0, batch -> { });
        assertNull(meta.get(Keys.inline(INO)), "an empty file holds nothing");
        assertEquals(0, blockCount.get());
        f.reserve(0, 10); // fallocate reserves on a tier, inline or not
        assertArrayEquals(new long[] {0}, refIndexes(INO));
        write(f, 0, NativeBuffer.pattern(6, 10));
        assertNull(meta.get(Keys.inline(INO)), "a file with a block keeps writing to it");
    }

    @Test
    void aFileWithBlocksNeverGoesInlineAndAShrunkOneMay() throws IOException {
        openStore(0, 0);
        FileBlocks f = open(INO);
        write(f, 0, NativeBuffer.pattern(7, BS + 10));
        write(f, 0, NativeBuffer.pattern(8, 10));
        assertNull(meta.get(Keys.inline(INO)));
        f.shrink(0, batch -> { });
        write(f, 0, NativeBuffer.pattern(9, 10));
        assertEquals(10, meta.get(Keys.inline(INO)).length, "emptied, the file starts again as a small one");
        assertEquals(0, refs(INO).size());
    }

    @Test
    void syncReportsWhetherTheMapChanged() throws IOException {
        openStore(0, 0);
        FileBlocks f = open(INO);
        assertEquals(-1, f.sync(), "nothing written");
        write(f, BS, NativeBuffer.pattern(1, 10)); // past what a file keeps inline
        long changes = f.sync();
        assertTrue(changes >= 0, "a new block was recorded");
        assertEquals(changes, f.sync(), "still unsynced until the caller reports its metadata sync");
        f.mapSynced(changes);
        assertEquals(-1, f.sync(), "synced");
        write(f, BS + 5, NativeBuffer.pattern(2, 10));
        assertEquals(-1, f.sync(), "an overwrite adds no reference");
        write(f, 3L * BS, NativeBuffer.pattern(3, 10));
        long later = f.sync();
        f.mapSynced(changes);
        assertEquals(later, f.sync(), "reporting an older sync does not cover a later change");
    }

    // ---------------------------------------------------------------- shrink

    @Test
    void shrinkFreesBlocksPastTheNewSizeAndZeroesTheTail() throws IOException {
        openStore(0, 0);
        FileBlocks f = open(INO);
        byte[] data = NativeBuffer.pattern(7, 4 * BS);
        write(f, 0, data);
        assertEquals(4, blockCount.get());
        byte[] marker = "size committed".getBytes(StandardCharsets.US_ASCII);

        long newSize = BS + 100;
        f.shrink(newSize, batch -> batch.put(Keys.superKey("test-marker"), marker));
        assertArrayEquals(marker, meta.get(Keys.superKey("test-marker")), "the caller's change is committed too");
        assertArrayEquals(new long[] {0, 1}, refIndexes(INO));
        assertEquals(2, blockCount.get());
        assertEquals(2L * BS, store.usedBytes(0));
        assertArrayEquals(new long[] {0, 1}, storedOn(0, INO));
        assertArrayEquals(Arrays.copyOf(data, (int) newSize), read(f, 0, (int) newSize));

        // Growing again (as a truncate up would) shows zeros past the old cut, never the old data.
        byte[] grown = read(f, 0, 4 * BS);
        assertArrayEquals(Arrays.copyOf(data, (int) newSize), Arrays.copyOf(grown, (int) newSize));
        assertZeros(Arrays.copyOfRange(grown, (int) newSize, 4 * BS), "past the new size");

        // A write past the old end allocates afresh; the gap still reads zeros.
        byte[] tail = NativeBuffer.pattern(8, 10);
        write(f, 3L * BS + 5, tail);
        assertArrayEquals(new long[] {0, 1, 3}, refIndexes(INO));
        byte[] after = read(f, 0, 4 * BS);
        assertZeros(Arrays.copyOfRange(after, (int) newSize, 3 * BS + 5), "gap after regrowth");
        assertArrayEquals(tail, Arrays.copyOfRange(after, 3 * BS + 5, 3 * BS + 15));
        assertZeros(Arrays.copyOfRange(after, 3 * BS + 15, 4 * BS), "rest of block 3");
        assertEquals(3, blockCount.get());
        assertEquals(3L * BS, store.usedBytes(0));
    }

    @Test
    void shrinkToABlockBoundaryAndToZero() throws IOException {
        openStore(0, 0);
        FileBlocks f = open(INO);
        byte[] data = NativeBuffer.pattern(9, 3 * BS);
        write(f, 0, data);
        f.shrink(2L * BS, batch -> { });
        assertArrayEquals(new long[] {0, 1}, refIndexes(INO));
        assertArrayEquals(Arrays.copyOf(data, 2 * BS), read(f, 0, 2 * BS), "whole blocks below the cut are intact");
        f.shrink(0, batch -> { });
        assertEquals(0, refs(INO).size());
        assertEquals(0, store.usedBytes(0));
        assertEquals(0, blockCount.get());
        assertArrayEquals(new long[0], storedOn(0, INO));
        assertZeros(read(f, 0, 3 * BS), "after shrink to 0");
    }

    @Test
    void shrinkThroughANewHandleSeesTheStoredMap() throws IOException {
        openStore(0, 0);
        FileBlocks first = open(INO);
        byte[] data = NativeBuffer.pattern(10, 3 * BS);
        write(first, 0, data);
        first.close();
        FileBlocks f = open(INO);
        f.shrink(100, batch -> { });
        assertArrayEquals(new long[] {0}, refIndexes(INO));
        byte[] b = read(f, 0, BS);
        assertArrayEquals(Arrays.copyOf(data, 100), Arrays.copyOf(b, 100));
        assertZeros(Arrays.copyOfRange(b, 100, BS), "tail of block 0");
    }

    // ---------------------------------------------------------------- reserve

    @Test
    void reserveAllocatesEveryAbsentBlockInTheRange() throws IOException {
        openStore(0, 0);
        FileBlocks f = open(INO);
        byte[] data = NativeBuffer.pattern(11, BS);
        write(f, BS, data);
        f.reserve(BS / 2, 2L * BS); // [0.5, 2.5) blocks: blocks 0, 1 (present) and 2
        assertArrayEquals(new long[] {0, 1, 2}, refIndexes(INO));
        assertEquals(3, blockCount.get());
        assertEquals(3L * BS, store.usedBytes(0));
        assertZeros(read(f, 0, BS), "reserved block 0");
        assertArrayEquals(data, read(f, BS, BS), "an existing block keeps its data");
        assertZeros(read(f, 2L * BS, BS), "reserved block 2");

        f.reserve(0, 3L * BS); // all present: nothing changes
        assertEquals(3, blockCount.get());
        assertEquals(3L * BS, store.usedBytes(0));

        f.reserve(4L * BS, 1); // one byte: one block
        assertArrayEquals(new long[] {0, 1, 2, 4}, refIndexes(INO));
        assertEquals(4L * BS, store.usedBytes(0));
        // Reserved blocks take writes like any other.
        byte[] more = NativeBuffer.pattern(12, 300);
        write(f, 4L * BS + 7, more);
        assertArrayEquals(more, read(f, 4L * BS + 7, 300));
        assertEquals(4, blockCount.get());
    }

    @Test
    void punchDropsWholeBlocksOnEveryTierAndZeroesPartialOnes() throws IOException {
        openStore(3L * BS, 0); // blocks 0-2 on ssd, the rest on hdd
        FileBlocks f = open(INO);
        byte[] model = NativeBuffer.pattern(21, 8 * BS);
        write(f, 0, model);
        assertEquals(8, blockCount.get());
        f.punch(BS + 100, 5L * BS + 200, model.length);
        Arrays.fill(model, BS + 100, 5 * BS + 200, (byte) 0);
        assertArrayEquals(new long[] {0, 1, 5, 6, 7}, refIndexes(INO), "blocks 2-4 lose their record");
        assertEquals(5, blockCount.get());
        assertEquals(2L * BS, store.usedBytes(0));
        assertEquals(3L * BS, store.usedBytes(1));
        assertArrayEquals(new long[] {0, 1}, storedOn(0, INO), "ssd's slot of block 2 is freed");
        assertArrayEquals(new long[] {5, 6, 7}, storedOn(1, INO), "hdd's slots of blocks 3 and 4 are freed");
        assertArrayEquals(model, read(f, 0, model.length));
        f.close();
        assertArrayEquals(model, read(open(INO), 0, model.length), "a new handle loads the shorter map");
    }

    @Test
    void punchInsideOneBlockKeepsItsRecord() throws IOException {
        openStore(0, 0);
        FileBlocks f = open(INO);
        byte[] model = NativeBuffer.pattern(22, 2 * BS);
        write(f, 0, model);
        f.punch(BS + 10, BS + 4000, model.length);
        Arrays.fill(model, BS + 10, BS + 4000, (byte) 0);
        assertArrayEquals(new long[] {0, 1}, refIndexes(INO));
        assertArrayEquals(model, read(f, 0, model.length));
    }

    @Test
    void punchReachingTheEndDropsTheLastBlockAndPastTheEndDoesNothing() throws IOException {
        openStore(0, 0);
        FileBlocks f = open(INO);
        long size = 3L * BS + 100;
        write(f, 0, NativeBuffer.pattern(23, (int) size));
        f.reserve(5L * BS, BS); // space kept past the end (fallocate KEEP_SIZE)
        f.punch(2L * BS, Long.MAX_VALUE / 2, size);
        assertArrayEquals(new long[] {0, 1, 5}, refIndexes(INO),
            "the block holding the end goes; reserved blocks past the end's page stay, as on ext4");
        f.punch(size, size + BS, size);
        f.punch(10L * BS, 11L * BS, size);
        assertArrayEquals(new long[] {0, 1, 5}, refIndexes(INO));
    }

    /** SEEK_DATA never skips written bytes; SEEK_HOLE lands on zeros, never inside an unwritten block's successor. */
    @Test
    void nextDataAndNextHoleAgreeWithTheContentAfterRandomWritesAndPunches() throws IOException {
        openStore(4L * BS, 0);
        FileBlocks f = open(INO);
        int size = 24 * BS;
        byte[] model = new byte[size];
        Random r = new Random(7);
        for (int k = 0; k < 40; k++) {
            int off = r.nextInt(size - 1);
            int len = 1 + r.nextInt(Math.min(3 * BS, size - off));
            if (r.nextInt(3) == 0) {
                f.punch(off, off + len, size);
                Arrays.fill(model, off, off + len, (byte) 0);
            } else {
                byte[] data = NativeBuffer.pattern(r.nextLong(), len);
                data[0] = data[len - 1] = 1; // nonzero ends, so that data is seen as data
                write(f, off, data);
                System.arraycopy(data, 0, model, off, len);
            }
        }
        assertArrayEquals(model, read(f, 0, size));
        Set<Long> recorded = new HashSet<>();
        for (long i : refIndexes(INO)) {
            recorded.add(i);
        }
        for (int k = 0; k < 300; k++) {
            int off = r.nextInt(size);
            long data = f.nextData(off, size);
            for (long p = off; p < data; p++) {
                assertEquals(0, model[(int) p], "SEEK_DATA from " + off + " skipped written byte " + p);
            }
            long hole = f.nextHole(off, size);
            assertTrue(hole >= off && hole <= size);
            if (hole < size) {
                assertEquals(0, model[(int) hole], "SEEK_HOLE from " + off + " landed on data at " + hole);
            }
            for (long b = off / BS; off < hole && b * BS < hole; b++) { // the blocks [off, hole) touches
                assertTrue(recorded.contains(b), "SEEK_HOLE from " + off + " passed over block " + b
                    + ", which has no record");
            }
        }
    }

    @Test
    void aRequestOverBlocksOfOneTierIsOneCallOnIt() throws IOException {
        FaultyTier ssd = openFaultyStore();  // block 0 written
        FileBlocks f = opened.get(0);
        byte[] data = NativeBuffer.pattern(7, 4 * BS);
        write(f, 0, data);  // block 0 exists, blocks 1-3 are new: one call each
        assertEquals(1, ssd.fileCalls("write"));
        assertEquals(1 + 3, ssd.fileCalls("writeNew"), "a new block is written as new, alone");
        write(f, 100, Arrays.copyOfRange(data, 100, 4 * BS - 100));
        assertEquals(1 + 1, ssd.fileCalls("write"), "blocks 0-3 all exist on the ssd: one write");
        assertArrayEquals(data, read(f, 0, 4 * BS));
        assertEquals(1, ssd.fileCalls("read"), "one read for the four blocks");
        byte[] wide = read(f, 0, 7 * BS);  // the four blocks, then three holes
        assertArrayEquals(data, Arrays.copyOf(wide, 4 * BS));
        assertZeros(Arrays.copyOfRange(wide, 4 * BS, 7 * BS), "the holes after the blocks");
        assertEquals(2, ssd.fileCalls("read"));
    }

    @Test
    void aRequestOverBlocksOnTwoTiersAndHolesReadsEachRunFromItsOwnTier() throws IOException {
        openStore(2L * BS, 0);
        FileBlocks f = open(INO);
        byte[] head = NativeBuffer.pattern(14, 2 * BS);
        write(f, 0, head);  // blocks 0, 1 on the ssd, which is then full
        byte[] tail = NativeBuffer.pattern(15, 2 * BS);
        write(f, 4L * BS, tail);  // blocks 4, 5 on the hdd; 2, 3 are holes
        byte[] all = read(f, 10, 6 * BS - 20);
        assertArrayEquals(Arrays.copyOfRange(head, 10, 2 * BS), Arrays.copyOf(all, 2 * BS - 10));
        assertZeros(Arrays.copyOfRange(all, 2 * BS - 10, 4 * BS - 10), "the holes");
        assertArrayEquals(Arrays.copyOf(tail, 2 * BS - 10), Arrays.copyOfRange(all, 4 * BS - 10, all.length));
        byte[] over = NativeBuffer.pattern(16, 6 * BS - 20);
        write(f, 10, over);  // the holes get new blocks (on the hdd) between the two runs
        assertArrayEquals(over, read(f, 10, over.length));
        assertArrayEquals(new long[] {0, 0, 1, 1, 1, 1}, refs(INO).stream().mapToLong(r -> r[1]).toArray());
    }

    // ---------------------------------------------------------------- placement and space

    @Test
    void newBlocksFallToTheSecondTierWhenTheFirstIsFull() throws IOException {
        openStore(2L * BS, 0);
        FileBlocks f = open(INO);
        byte[] data = NativeBuffer.pattern(13, 5 * BS - 3);
        write(f, 3, data);
        List<long[]> refs = refs(INO);
        assertEquals(5, refs.size());
        long[] tiers = refs.stream().mapToLong(r -> r[1]).toArray();
        assertArrayEquals(new long[] {0, 0, 1, 1, 1}, tiers);
        assertEquals(2L * BS, store.usedBytes(0));
        assertEquals(3L * BS, store.usedBytes(1));
        assertArrayEquals(new long[] {0, 1}, storedOn(0, INO));
        assertArrayEquals(new long[] {2, 3, 4}, storedOn(1, INO));
        assertArrayEquals(data, read(f, 3, data.length));
        assertEquals(5, blockCount.get());
    }

    @Test
    void enospcWhenEveryTierIsFullAndRoomAgainAfterAShrink() throws Exception {
        openStore(BS, BS);
        FileBlocks f = open(INO);
        byte[] data = NativeBuffer.pattern(14, 2 * BS);
        write(f, 0, data);
        assertEquals(BS, store.usedBytes(0));
        assertEquals(BS, store.usedBytes(1));

        FsException e = assertThrows(FsException.class, () -> write(f, 2L * BS, NativeBuffer.pattern(15, 10)));
        assertEquals(Errno.ENOSPC, e.errno());
        assertEquals(28, e.errno());
        assertArrayEquals(new long[] {0, 1}, refIndexes(INO), "a failed allocation records nothing");
        assertEquals(2, blockCount.get());
        assertEquals(BS, store.usedBytes(0));
        assertEquals(BS, store.usedBytes(1));
        assertArrayEquals(data, read(f, 0, 2 * BS), "the data already there is intact");
        // Overwrites need no new block and still work.
        write(f, 10, NativeBuffer.pattern(16, 10));

        // Also for another file, unless its bytes fit inline: they need no tier.
        FileBlocks other = open(INO + 1);
        FsException e2 = assertThrows(FsException.class, () -> write(other, 0, NativeBuffer.pattern(17, 5000)));
        assertEquals(Errno.ENOSPC, e2.errno());
        assertEquals(0, refs(INO + 1).size());
        FileBlocks small = open(INO + 2);
        write(small, 0, NativeBuffer.pattern(17, 100));
        assertArrayEquals(NativeBuffer.pattern(17, 100), read(small, 0, 100));

        // Freeing a block makes room again once the free space is looked at anew.
        f.shrink(BS, batch -> { });
        assertEquals(BS, store.usedBytes(0));
        assertEquals(0, store.usedBytes(1));
        Thread.sleep(250);
        write(other, 0, NativeBuffer.pattern(18, 5000));
        assertEquals(1, refs(INO + 1).size());
        assertEquals(1, refs(INO + 1).get(0)[1], "the freed room was on the second tier");
        assertEquals(BS, store.usedBytes(1));
    }

    @Test
    void reserveFailsWithEnospcWhenFull() throws IOException {
        openStore(BS, BS);
        FileBlocks f = open(INO);
        FsException e = assertThrows(FsException.class, () -> f.reserve(0, 3L * BS));
        assertEquals(Errno.ENOSPC, e.errno());
        assertArrayEquals(new long[] {0, 1}, refIndexes(INO));
        assertEquals(BS, store.usedBytes(0));
        assertEquals(BS, store.usedBytes(1));
    }

    @Test
    void usageCountsAcrossFilesAndIsGivenBackByTruncation() throws IOException {
        openStore(0, 0);
        assertEquals(0, store.usedBytes(0));
        FileBlocks a = open(1);
        FileBlocks b = open(2);
        write(a, 0, NativeBuffer.pattern(1, 3 * BS));
        write(b, 10L * BS, NativeBuffer.pattern(2, 1));
        assertEquals(4L * BS, store.usedBytes(0));
        a.shrink(BS, batch -> { });
        assertEquals(2L * BS, store.usedBytes(0));
        assertEquals(2, store.blocksOn(0));
        assertEquals(2, store.tierCount());
        assertEquals(BS, store.blockSize());
        assertNotNull(store.meta());
    }

    @Test
    void deleteFileRemovesTheFilesDataFromEveryTier() throws IOException {
        openStore(BS, 0);
        FileBlocks f = open(INO);
        write(f, 0, NativeBuffer.pattern(1, 2 * BS));
        assertArrayEquals(new long[] {0}, storedOn(0, INO));
        assertArrayEquals(new long[] {1}, storedOn(1, INO));
        f.close();
        store.deleteFile(INO);
        assertEquals(0, store.tier(0).storedInodes().length);
        assertEquals(0, store.tier(1).storedInodes().length);
    }
}
