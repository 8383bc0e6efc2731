package io.tierfs.namespace;

import static io.tierfs.namespace.TestVolume.BS;
import static io.tierfs.namespace.TestVolume.n;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.block.BlockMover;
import io.tierfs.block.BlockRef;
import io.tierfs.block.BlockStore;
import io.tierfs.block.FileBlocks;
import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.meta.RocksMetadataStore;
import io.tierfs.testutil.FaultyTier;
import io.tierfs.testutil.NativeBuffer;
import io.tierfs.tier.DirectoryTier;
import io.tierfs.tier.Tier;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash leftovers are written straight into the metadata store and the tiers, then {@link Recovery}
 * runs as the daemon runs it at mount: on a fresh {@link BlockStore} whose usage counts are zero.
 */
class RecoveryTest {
    private static final int SSD = 0, HDD = 1;

    @TempDir
    static Path tierRoot;
    @TempDir
    Path dir;
    private RocksMetadataStore meta;
    private BlockStore blocks;

    @BeforeEach
    void formatVolume() throws IOException {
        try (TestVolume v = TestVolume.create(dir, tierRoot)) {
            v.inodes.get(Inodes.ROOT); // just the root
        }
        openRaw();
    }

    @AfterEach
    void closeRaw() {
        if (meta != null) {
            meta.close();
            blocks.close();
            meta = null;
        }
    }

    private void openRaw() throws IOException {
        openRaw(UnaryOperator.identity());
    }

    private void openRaw(UnaryOperator<Tier> ssdWrapper) throws IOException {
        meta = new RocksMetadataStore(dir.resolve("meta"));
        Tier[] tiers = {
            ssdWrapper.apply(new DirectoryTier("ssd", tierRoot.resolve("ssd"), BS, 0)),
            new DirectoryTier("hdd", tierRoot.resolve("hdd"), BS, 0),
        };
        blocks = new BlockStore(BS, tiers, meta);
    }

    /** Like {@link #remount}, with an ssd tier that fails on request. */
    private FaultyTier remountWithFaultySsd() throws IOException {
        closeRaw();
        FaultyTier[] ssd = new FaultyTier[1];
        openRaw(tier -> (ssd[0] = new FaultyTier(tier)).tier());
        return ssd[0];
    }

    /** Closes and reopens the store and tiers, so recovery starts from zero usage as at a mount. */
    private void remount() throws IOException {
        closeRaw();
        openRaw();
    }

    // ---------------------------------------------------------------- building leftovers

    private void putInode(long ino, int mode, long nlink, long size, long blockCount) {
        Inode i = new Inode(ino);
        i.mode = mode;
        i.nlink = nlink;
        i.size = size;
        i.blockCount = blockCount;
        i.parent = FileMode.isDirectory(mode) ? Inodes.ROOT : 0;
        i.atimeNanos = i.mtimeNanos = i.ctimeNanos = 1_000_000_000L * ino;
        put(Keys.inode(ino), InodeCodec.encode(i));
    }

    private void putFile(long ino, long size, long blockCount) {
        putInode(ino, TestVolume.FILE, 1, size, blockCount);
        put(Keys.dirent(Inodes.ROOT, n("file" + ino)), java.nio.ByteBuffer.allocate(9).putLong(ino).put((byte) 8).array());
    }

    private void put(byte[] key, byte[] value) {
        try (MetadataStore.Batch b = meta.newBatch()) {
            b.put(key, value);
            meta.commit(b, false);
        }
    }

    private void putRef(long ino, long index, int tier) {
        put(Keys.block(ino, index), BlockRef.unsealed(tier, BS).encode());
    }

    private static byte[] data(long ino, long index) {
        return NativeBuffer.pattern(ino * 1000 + index, BS);
    }

    private void writeData(int tier, long ino, long... indexes) throws IOException {
        try (TierFile f = blocks.tier(tier).open(ino)) {
            for (long index : indexes) {
                try (NativeBuffer b = NativeBuffer.of(data(ino, index))) {
                    f.write(index, 0, b.address, BS);
                }
            }
            f.sync();
        }
    }

    /** A file unlinked while open, then the crash: no name, nlink 0, one block, an orphan record. */
    private void putOrphan(long ino, int tier) throws IOException {
        putInode(ino, TestVolume.FILE, 0, BS, 1);
        putBlock(ino, 0, tier);
        put(Keys.orphan(ino), new byte[0]);
    }

    /** A block both referenced and written: what a healthy file has. */
    private void putBlock(long ino, long index, int tier) throws IOException {
        putRef(ino, index, tier);
        writeData(tier, ino, index);
    }

    // ---------------------------------------------------------------- inspecting the result

    private long[] refIndexes(long ino) {
        List<Long> out = new ArrayList<>();
        meta.scan(Keys.first(Keys.BLOCK, ino), Keys.after(Keys.BLOCK, ino), (k, v) -> out.add(Keys.blockIndexOf(k)));
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private long[] stored(int tier, long ino) throws IOException {
        try (TierFile f = blocks.tier(tier).open(ino)) {
            return f.storedBlocks();
        }
    }

    private boolean hasTierFile(int tier, long ino) throws IOException {
        return Arrays.stream(blocks.tier(tier).storedInodes()).anyMatch(i -> i == ino);
    }

    private byte[] readData(int tier, long ino, long index) throws IOException {
        try (TierFile f = blocks.tier(tier).open(ino); NativeBuffer b = NativeBuffer.garbage(BS)) {
            f.read(index, 0, b.address, BS);
            return b.bytes();
        }
    }

    private Inode inode(long ino) {
        byte[] v = meta.get(Keys.inode(ino));
        return v == null ? null : InodeCodec.decode(ino, v);
    }

    private int count(byte kind, long ino) {
        int[] c = {0};
        meta.scan(Keys.first(kind, ino), Keys.after(kind, ino), (k, v) -> ++c[0] > 0);
        return c[0];
    }

    /** Every key and value in the store, for before/after comparison. */
    private TreeMap<String, String> snapshot() {
        TreeMap<String, String> all = new TreeMap<>();
        HexFormat hex = HexFormat.of();
        meta.scan(new byte[] {0}, new byte[] {(byte) 0xff}, (k, v) -> {
            all.put(hex.formatHex(k), hex.formatHex(v));
            return true;
        });
        return all;
    }

    // ---------------------------------------------------------------- tests

    @Test
    void aRewriteOfACompressedBlockCutByACrashIsFinished() throws IOException {
        putFile(20, BS, 1);
        putRef(20, 0, HDD); // the raw record, committed with the journal entry
        try (TierFile f = blocks.tier(HDD).open(20); NativeBuffer b = NativeBuffer.of(data(99, 0))) {
            f.write(0, 0, b.address, BS / 3); // what the crash left in the slot: the compressed bytes, and part of the raw
            f.sync();
        }
        put(Keys.rewrite(20, 0), journalEntry(1, data(20, 0))); // of the record's generation
        new Recovery(meta, blocks).run(true);
        assertNull(meta.get(Keys.rewrite(20, 0)), "the journal entry goes");
        try (TierFile f = blocks.tier(HDD).open(20); NativeBuffer b = NativeBuffer.garbage(BS)) {
            f.read(0, 0, b.address, BS);
            assertArrayEquals(data(20, 0), b.bytes(), "the raw block is in its slot");
        }
    }

    @Test
    void aJournalEntryOfABlockThatChangedSinceIsDroppedNotReplayed() throws IOException {
        putFile(22, BS, 1);
        putBlock(22, 0, SSD); // the block as it is now: moved, written since (generation 1 here)
        put(Keys.rewrite(22, 0), journalEntry(7, data(99, 0))); // left by a rewrite that failed, generation 7
        new Recovery(meta, blocks).run(false);
        assertNull(meta.get(Keys.rewrite(22, 0)));
        try (TierFile f = blocks.tier(SSD).open(22); NativeBuffer b = NativeBuffer.garbage(BS)) {
            f.read(0, 0, b.address, BS);
            assertArrayEquals(data(22, 0), b.bytes(), "what the block became is not overwritten");
        }
    }

    private static byte[] journalEntry(long generation, byte[] raw) {
        return java.nio.ByteBuffer.allocate(8 + raw.length).putLong(generation).put(raw).array();
    }

    @Test
    void anUncleanRunZeroesTheTailOfACompressedBlockPastTheEnd() throws IOException {
        // an extending write compressed on its way to hdd before its size became durable
        putFile(21, 100, 1);
        byte[] text = io.tierfs.codec.Samples.log(BS);
        blocks.compressOn(new boolean[] {false, true});
        try (FileBlocks f = blocks.open(21, n -> { }); NativeBuffer b = NativeBuffer.of(text);
             BlockMover mover = new BlockMover(blocks)) {
            f.write(0, b.address, BS);
            assertEquals(BS, mover.move(f, 0, HDD));
            assertTrue(f.ref(0).compressed());
        }
        remount();
        new Recovery(meta, blocks).run(true);
        try (FileBlocks f = blocks.open(21, n -> { }); NativeBuffer b = NativeBuffer.garbage(BS)) {
            assertFalse(f.ref(0).compressed(), "rewritten raw to be zeroed");
            f.read(0, b.address, BS);
            byte[] expected = new byte[BS];
            System.arraycopy(text, 0, expected, 0, 100);
            assertArrayEquals(expected, b.bytes(), "the bytes past the durable size read zeros");
        }
    }

    @Test
    void inlineBytesPastTheDurableSizeAreDroppedAndASpillCutShortLeavesTheInlineBytes() throws IOException {
        // a small file's write kept, its new size lost: 300 bytes inline, size 100, counted as no block yet
        putFile(30, 100, 0);
        put(Keys.inline(30), NativeBuffer.pattern(30, 300));
        // a spill into block 0 cut short: the inline bytes are still the file's data
        putFile(31, 200, 1);
        put(Keys.inline(31), NativeBuffer.pattern(31, 200));
        putBlock(31, 0, SSD);
        // a healthy small file
        putFile(32, 50, 1);
        put(Keys.inline(32), NativeBuffer.pattern(32, 50));
        remount();

        new Recovery(meta, blocks).run(true);

        assertArrayEquals(java.util.Arrays.copyOf(NativeBuffer.pattern(30, 300), 100), meta.get(Keys.inline(30)),
            "a later truncate up must read zeros past 100, not the lost write");
        assertEquals(1, inode(30).blockCount, "inline bytes count as one block");
        assertEquals(0, count(Keys.BLOCK, 31), "the block a cut spill left is dropped");
        assertArrayEquals(new long[0], stored(SSD, 31), "and its slot freed");
        assertArrayEquals(NativeBuffer.pattern(31, 200), meta.get(Keys.inline(31)));
        assertEquals(1, inode(31).blockCount);
        assertArrayEquals(NativeBuffer.pattern(32, 50), meta.get(Keys.inline(32)));
        try (FileBlocks f = blocks.open(31, n -> { }); NativeBuffer b = NativeBuffer.garbage(200)) {
            f.read(0, b.address, 200);
            assertArrayEquals(NativeBuffer.pattern(31, 200), b.bytes());
        }
    }

    @Test
    void anOrphansInlineBytesGoWithIt() throws IOException {
        putInode(33, TestVolume.FILE, 0, 10, 1);
        put(Keys.inline(33), NativeBuffer.pattern(33, 10));
        put(Keys.orphan(33), new byte[0]);
        remount();
        new Recovery(meta, blocks).run(false);
        assertNull(inode(33));
        assertNull(meta.get(Keys.inline(33)));
        assertNull(meta.get(Keys.orphan(33)));
    }

    @Test
    void orphansAreDeletedWithTheirBlocksXattrsAndTierFiles() throws IOException {
        putFile(10, 2L * BS, 2);
        putBlock(10, 0, SSD);
        putBlock(10, 1, SSD);

        // Unlinked while open, then the crash: no name, nlink 0, an orphan record.
        putInode(11, TestVolume.FILE, 0, 3L * BS, 3);
        putBlock(11, 0, SSD);
        putBlock(11, 1, HDD);
        putBlock(11, 2, HDD);
        put(Keys.xattr(11, n("user.a")), n("v"));
        put(Keys.orphan(11), new byte[0]);
        // A removed directory, still looked up at the crash.
        putInode(12, TestVolume.DIR, 0, 0, 0);
        put(Keys.orphan(12), new byte[0]);
        remount();

        new Recovery(meta, blocks).run(true);

        assertNull(inode(11));
        assertNull(meta.get(Keys.orphan(11)));
        assertEquals(0, count(Keys.BLOCK, 11));
        assertEquals(0, count(Keys.XATTR, 11));
        assertFalse(hasTierFile(SSD, 11));
        assertFalse(hasTierFile(HDD, 11));
        assertNull(inode(12));
        assertNull(meta.get(Keys.orphan(12)));

        // The healthy file is untouched.
        assertNotNull(inode(10));
        assertEquals(2, inode(10).blockCount);
        assertArrayEquals(new long[] {0, 1}, refIndexes(10));
        assertArrayEquals(new long[] {0, 1}, stored(SSD, 10));
        assertArrayEquals(data(10, 1), readData(SSD, 10, 1));
        // Usage after deleting orphans: see usageAfterRecoveryCountsExactlyTheRemainingBlocks.
    }

    @Test
    void orphansAreDeletedOnACleanRunToo() throws IOException {
        putOrphan(11, HDD);
        remount();
        new Recovery(meta, blocks).run(false);
        assertNull(inode(11));
        assertEquals(0, count(Keys.BLOCK, 11));
        assertFalse(hasTierFile(HDD, 11));
    }

    @Test
    void dataThatCannotBeFreedIsLeftAsAnOrphanForTheNextMount() throws IOException {
        putOrphan(11, SSD);
        writeData(SSD, 12, 0);                     // a leaked tier file: no inode 12
        FaultyTier ssd = remountWithFaultySsd();
        ssd.failDeletes(true);

        new Recovery(meta, blocks).run(true);      // the mount goes on

        assertEquals(2, ssd.failedDeletes(), "one try each: the sweep skips the orphan");
        assertNull(inode(11), "the orphan's records are gone");
        assertNotNull(meta.get(Keys.orphan(11)), "its orphan record stays, to free its data later");
        assertNotNull(meta.get(Keys.orphan(12)), "the leaked file gets one");
        remount();
        new Recovery(meta, blocks).run(false);     // a clean mount, with a tier that deletes again
        assertNull(meta.get(Keys.orphan(11)));
        assertNull(meta.get(Keys.orphan(12)));
        assertFalse(hasTierFile(SSD, 11));
        assertFalse(hasTierFile(SSD, 12));
    }

    @Test
    void anOrphanStaysUntilTheRemovalOfItsDataIsDurable() throws IOException {
        putOrphan(11, SSD);
        remountWithFaultySsd().failDeleteSyncs(true);

        new Recovery(meta, blocks).run(false);

        assertFalse(hasTierFile(SSD, 11), "the data is deleted");
        assertNotNull(meta.get(Keys.orphan(11)), "but a power loss could bring it back: the orphan record stays");
        remount();
        new Recovery(meta, blocks).run(false);
        assertNull(meta.get(Keys.orphan(11)));
    }

    @Test
    void usageAfterRecoveryCountsExactlyTheRemainingBlocks() throws IOException {
        putFile(10, BS, 1);
        putBlock(10, 0, HDD);
        putInode(11, TestVolume.FILE, 0, 2L * BS, 2);
        putBlock(11, 0, HDD);
        putBlock(11, 1, HDD);
        put(Keys.orphan(11), new byte[0]);
        remount();
        new Recovery(meta, blocks).run(true);
        assertEquals(0, blocks.usedBytes(SSD));
        assertEquals(BS, blocks.usedBytes(HDD), "one block of file 10 is left on the hdd tier");
    }

    @Test
    void referencesToMissingInodesAreDroppedBlocksPastTheEndKeptAndCountsFixed() throws IOException {
        // File 20: size 1.5 blocks, references 0, 1 and (past the end: fallocate KEEP_SIZE) 2 and 7;
        // it claims 9 blocks.
        putFile(20, BS + BS / 2, 9);
        putBlock(20, 0, SSD);
        putBlock(20, 1, HDD);
        putBlock(20, 2, SSD);
        putRef(20, 7, HDD);
        // File 21: size exactly 2 blocks, so block 2 begins at the end.
        putFile(21, 2L * BS, 3);
        putBlock(21, 1, SSD);
        putBlock(21, 2, SSD);
        // File 22: claims 1 block and has none; file 23 claims none and has two.
        putFile(22, 5L * BS, 1);
        putFile(23, 5L * BS, 0);
        putBlock(23, 3, SSD);
        putBlock(23, 4, HDD);
        // Inode 24 does not exist: its references go.
        putRef(24, 0, SSD);
        putRef(24, 1, HDD);
        writeData(SSD, 24, 0);
        // An empty file with space reserved at block 0.
        putFile(25, 0, 1);
        putRef(25, 0, SSD);
        remount();

        new Recovery(meta, blocks).run(false);

        assertArrayEquals(new long[] {0, 1, 2, 7}, refIndexes(20), "reserved space past the end stays");
        assertEquals(4, inode(20).blockCount);
        assertEquals(BS + BS / 2, inode(20).size, "the size is not changed");
        assertArrayEquals(data(20, 2), readData(SSD, 20, 2), "a clean shutdown leaves blocks past the end alone");
        assertArrayEquals(new long[] {1, 2}, refIndexes(21));
        assertEquals(2, inode(21).blockCount);
        assertEquals(0, inode(22).blockCount);
        assertArrayEquals(new long[] {3, 4}, refIndexes(23));
        assertEquals(2, inode(23).blockCount);
        assertEquals(0, count(Keys.BLOCK, 24));
        assertNull(inode(24), "no inode is made up for stray references");
        assertArrayEquals(new long[] {}, stored(SSD, 24), "the data of a dropped reference is freed with it");
        assertArrayEquals(new long[] {0}, refIndexes(25));
        assertEquals(1, inode(25).blockCount);

        // Usage: 20/0, 20/2, 21/1, 21/2, 23/3, 25/0 on the ssd; 20/1, 20/7, 23/4 on the hdd.
        assertEquals(6L * BS, blocks.usedBytes(SSD));
        assertEquals(3L * BS, blocks.usedBytes(HDD));
        // Only the block map was repaired, nothing else in the inode records.
        assertEquals(1, inode(20).nlink);
        assertEquals(TestVolume.FILE, inode(20).mode);
        assertEquals(20_000_000_000L, inode(20).mtimeNanos);
    }

    @Test
    void anUncleanRunZeroesTheRestOfTheBlockHoldingTheEnd() throws IOException {
        // Files whose data runs past their end, as an extending write whose new size never became
        // durable leaves them: 40 ends 100 bytes into block 1; 41 likewise, on the hdd; 42 ends
        // exactly where block 1 begins.
        putFile(40, BS + 100, 2);
        putBlock(40, 0, SSD);
        putBlock(40, 1, SSD);
        putFile(41, BS + 100, 2);
        putBlock(41, 0, SSD);
        putBlock(41, 1, HDD);
        putFile(42, BS, 2);
        putBlock(42, 0, SSD);
        putBlock(42, 1, SSD);
        remount();
        new Recovery(meta, blocks).run(false);
        assertArrayEquals(data(40, 1), readData(SSD, 40, 1), "a clean shutdown leaves it alone");
        assertArrayEquals(data(42, 1), readData(SSD, 42, 1), "a clean shutdown leaves it alone");

        remount();
        new Recovery(meta, blocks).run(true);
        for (long ino : new long[] {40, 41}) {
            byte[] last = readData(ino == 40 ? SSD : HDD, ino, 1);
            assertArrayEquals(Arrays.copyOf(data(ino, 1), 100), Arrays.copyOf(last, 100), "the file's own bytes stay");
            assertArrayEquals(new byte[BS - 100], Arrays.copyOfRange(last, 100, BS),
                "growing the file must read zeros there, not the unacknowledged write");
            assertArrayEquals(data(ino, 0), readData(SSD, ino, 0));
        }
        assertArrayEquals(data(42, 0), readData(SSD, 42, 0));
        assertArrayEquals(new byte[BS], readData(SSD, 42, 1));
        assertArrayEquals(new long[] {0, 1}, refIndexes(42), "the block stays referenced");
        assertArrayEquals(new long[] {0, 1}, stored(SSD, 40));
        assertArrayEquals(new long[] {1}, stored(HDD, 41));
        assertEquals(5L * BS, blocks.usedBytes(SSD));
        assertEquals(1L * BS, blocks.usedBytes(HDD));
    }

    @Test
    void anUncleanRunSweepsDataNoReferencePointsAt() throws IOException {
        // File 30: block 0 referenced on the ssd; blocks 2 and 5 written there without a reference;
        // block 0 also on the hdd (a copy whose reference now says ssd), block 1 on the hdd referenced.
        putFile(30, 6L * BS, 2);
        putBlock(30, 0, SSD);
        writeData(SSD, 30, 2, 5);
        writeData(HDD, 30, 0);
        putBlock(30, 1, HDD);
        // Tier files of inodes that no longer exist.
        writeData(SSD, 31, 0, 1);
        writeData(HDD, 32, 4);
        // A block past the end with data in it: an extending write whose size never became durable
        // (or reserved space); it stays reserved, but zeroed, so a grown file reads zeros there.
        putFile(33, 10, 2);
        putBlock(33, 0, SSD);
        putBlock(33, 1, SSD);
        remount();

        new Recovery(meta, blocks).run(true);

        assertArrayEquals(new long[] {0}, stored(SSD, 30));
        assertArrayEquals(new long[] {1}, stored(HDD, 30));
        assertArrayEquals(data(30, 0), readData(SSD, 30, 0), "referenced data is kept");
        assertArrayEquals(data(30, 1), readData(HDD, 30, 1));
        assertArrayEquals(new byte[BS], readData(SSD, 30, 2), "leaked data is freed");
        assertArrayEquals(new byte[BS], readData(SSD, 30, 5));
        assertArrayEquals(new long[] {0, 1}, refIndexes(30));
        assertEquals(2, inode(30).blockCount);

        assertFalse(hasTierFile(SSD, 31));
        assertFalse(hasTierFile(HDD, 32));

        assertArrayEquals(new long[] {0, 1}, refIndexes(33));
        assertEquals(2, inode(33).blockCount);
        byte[] first = readData(SSD, 33, 0);
        assertArrayEquals(Arrays.copyOf(data(33, 0), 10), Arrays.copyOf(first, 10));
        assertArrayEquals(new byte[BS - 10], Arrays.copyOfRange(first, 10, BS), "and past the end in the last block");
        assertArrayEquals(new byte[BS], readData(SSD, 33, 1), "unacknowledged data past the end is zeroed");

        assertEquals(3L * BS, blocks.usedBytes(SSD));
        assertEquals(BS, blocks.usedBytes(HDD));
        assertArrayEquals(new long[] {30, 33}, sorted(blocks.tier(SSD).storedInodes()));
        assertArrayEquals(new long[] {30}, sorted(blocks.tier(HDD).storedInodes()));
    }

    private static long[] sorted(long[] a) {
        long[] c = a.clone();
        Arrays.sort(c);
        return c;
    }

    @Test
    void aHealthyVolumeIsLeftUnchanged() throws IOException {
        closeRaw();
        long fileIno;
        long otherIno;
        try (TestVolume v = TestVolume.open(dir, tierRoot)) {
            Inode d = v.mkdir(Inodes.ROOT, "d");
            Inode f = v.mkfile(d.ino, "f");
            v.write(f, 0, NativeBuffer.pattern(1, 3 * BS + 5));
            v.files.setattr(f, FileOps.SET_SIZE, 0, 0, 0, 2L * BS + 1, 0, 0);
            v.xattrs.set(f, n("user.k"), n("v"), 0);
            Inode other = v.mkfile(Inodes.ROOT, "sparse");
            v.write(other, 10L * BS + 3, n("tail"));
            v.ns.link(other.ino, d.ino, n("hl"));
            Inode gone = v.mkfile(Inodes.ROOT, "gone");
            v.write(gone, 0, n("bye"));
            v.inodes.forget(gone.ino, 1);
            v.ns.unlink(Inodes.ROOT, n("gone"), false);
            fileIno = f.ino;
            otherIno = other.ino;
        }
        openRaw();
        TreeMap<String, String> before = snapshot();
        long[] fBlocks = stored(SSD, fileIno);
        long[] otherBlocks = stored(SSD, otherIno);
        assertArrayEquals(new long[] {0, 1, 2}, fBlocks);
        assertArrayEquals(new long[] {10}, otherBlocks);

        new Recovery(meta, blocks).run(false);
        assertEquals(before, snapshot(), "a clean run changes nothing");
        assertEquals(4L * BS, blocks.usedBytes(SSD));
        assertEquals(0, blocks.usedBytes(HDD));

        remount();
        new Recovery(meta, blocks).run(true);
        assertEquals(before, snapshot(), "an unclean run over a healthy volume changes nothing");
        assertArrayEquals(fBlocks, stored(SSD, fileIno));
        assertArrayEquals(otherBlocks, stored(SSD, otherIno));
        assertArrayEquals(new long[] {fileIno, otherIno}, sorted(blocks.tier(SSD).storedInodes()));
        assertEquals(4L * BS, blocks.usedBytes(SSD));

        // And the volume still reads as before.
        closeRaw();
        try (TestVolume v = TestVolume.open(dir, tierRoot)) {
            Inode f = v.inodes.get(fileIno);
            assertEquals(2L * BS + 1, f.size());
            assertArrayEquals(Arrays.copyOf(NativeBuffer.pattern(1, 3 * BS + 5), 2 * BS + 1), v.readAll(f));
            assertTrue(v.ns.list(Inodes.ROOT).stream().noneMatch(e -> Arrays.equals(e.name(), n("gone"))));
        }
        openRaw();
    }
}
