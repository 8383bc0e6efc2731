package io.tierfs.migration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.block.BlockStore;
import io.tierfs.block.FileBlocks;
import io.tierfs.meta.RocksMetadataStore;
import io.tierfs.namespace.FileMode;
import io.tierfs.namespace.FsException;
import io.tierfs.namespace.Inode;
import io.tierfs.namespace.Inodes;
import io.tierfs.namespace.Namespace;
import io.tierfs.namespace.TierAttributes;
import io.tierfs.namespace.Xattrs;
import io.tierfs.nativeio.Errno;
import io.tierfs.placement.TierPolicy;
import io.tierfs.testutil.FaultyTier;
import io.tierfs.testutil.NativeBuffer;
import io.tierfs.tier.DirectoryTier;
import io.tierfs.tier.HotTier;
import io.tierfs.tier.Tier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The migrator driven step by step with a clock of the test's own, on a volume with a hot tier of
 * 8 blocks and an ssd tier of 24: the data path's reads decide where blocks go, capacities hold,
 * and pins win over the policy.
 */
class MigratorTest {
    private static final int BS = 16 * 1024;
    private static final int HOT = 8, SSD = 24;
    private static final int HDD_TIER = 1;
    private static final int FILE = FileMode.S_IFREG | 0644;

    @TempDir
    Path dir;
    private final AtomicLong clock = new AtomicLong(1);
    private RocksMetadataStore meta;
    private BlockStore store;
    private Inodes inodes;
    private Namespace ns;
    private Xattrs xattrs;
    private Migrator migrator;
    private FaultyTier hdd;

    @BeforeEach
    void open() throws IOException {
        meta = new RocksMetadataStore(dir.resolve("meta"));
        hdd = new FaultyTier(new DirectoryTier("hdd", dir.resolve("hdd"), BS, 0));
        Tier[] tiers = {new DirectoryTier("ssd", dir.resolve("ssd"), BS, (long) SSD * BS), hdd.tier()};
        store = new BlockStore(BS, tiers, new HotTier(dir.resolve("hot"), BS, (long) HOT * BS), meta);
        inodes = new Inodes(meta, store);
        inodes.format(0, 0);
        xattrs = new Xattrs(inodes);
        ns = new Namespace(inodes, xattrs);
        migrator = new Migrator(store, inodes, new TierPolicy(Migrator.levels(store, 95)), 1L << 40, 95, clock::get);
        xattrs.setTierAttributes(new FileTiers(store, migrator));
    }

    @AfterEach
    void close() {
        inodes.closeAndSync();
        store.close();
        meta.close();
    }

    private Inode file(String name, int blocks) throws IOException {
        Inode f = ns.create(Inodes.ROOT, name.getBytes(StandardCharsets.US_ASCII), FILE, 0, null, 0, 0);
        FileBlocks b = inodes.open(f);
        try (NativeBuffer data = NativeBuffer.of(NativeBuffer.pattern(f.ino, blocks * BS))) {
            b.write(0, data.address, blocks * BS);
        }
        inodes.close(f);
        return f;
    }

    private void read(Inode f, long block) throws IOException {
        read(f, block, 4096);
    }

    private void read(Inode f, long block, int length) throws IOException {
        FileBlocks b = inodes.open(f);
        try (NativeBuffer buf = new NativeBuffer(length)) {
            b.read(block * BS, buf.address, length);
        }
        inodes.close(f);
    }

    /** Runs the migrator until it has nothing left to do, the clock past every settling time. */
    private void settle() {
        for (int i = 0; i < 20; i++) {
            clock.addAndGet(Migrator.SETTLE_NANOS + 1);
            migrator.step();
        }
    }

    private int[] tiers(Inode f) {
        String v = new String(xattrs.get(f, TierAttributes.TIERS.getBytes(StandardCharsets.US_ASCII)),
            StandardCharsets.US_ASCII);
        String[] parts = v.split(" ");
        int[] out = new int[3];
        for (int i = 0; i < 3; i++) {
            out[i] = Integer.parseInt(parts[i].split("=")[1]);
        }
        return out;
    }

    /** The first block of {@code f} whose own copy is on hdd. */
    private long firstOnHdd(Inode f) {
        long block = 0;
        while (tierOf(f, block) != HDD_TIER) {
            block++;
        }
        return block;
    }

    private int tierOf(Inode f, long block) {
        FileBlocks b = inodes.open(f);
        try {
            return b.ref(block).tier();
        } finally {
            inodes.close(f);
        }
    }

    private boolean hot(Inode f, long block) {
        return store.hot().holds(f.ino, block);
    }

    @Test
    void aSkewedPatternEndsWithItsHotSetHotAndCapacitiesHold() throws IOException {
        Inode f = file("f", 40);
        settle();
        assertTrue(store.usedBytes(0) <= (long) SSD * BS, "the ssd tier holds no more than its capacity");
        for (int round = 0; round < 30; round++) {
            for (long b = 0; b < 6; b++) {
                read(f, b);
            }
            read(f, 6 + round % 34); // and a block of the rest now and then
            settle();
        }
        for (long b = 0; b < 6; b++) {
            assertTrue(hot(f, b), "block " + b + " is read most: it must be hot");
        }
        int[] t = tiers(f);
        assertTrue(t[0] <= HOT, "hot holds " + t[0]);
        assertEquals(40, t[0] + t[1] + t[2]);
        assertTrue(store.usedBytes(0) <= (long) SSD * BS);
        assertTrue(t[2] >= 40 - SSD, "what does not fit on ssd is on hdd: " + t[2]);
    }

    @Test
    void aScanDoesNotFlushTheHotSet() throws IOException {
        Inode f = file("f", 40);
        for (int round = 0; round < 20; round++) {
            for (long b = 0; b < 6; b++) {
                read(f, b);
            }
            settle();
        }
        for (long b = 0; b < 40; b++) { // one pass over everything, as a backup would
            read(f, b);
            migrator.step();
        }
        settle();
        int stillHot = 0;
        for (long b = 0; b < 6; b++) {
            stillHot += hot(f, b) ? 1 : 0;
        }
        assertTrue(stillHot >= 5, "only " + stillHot + " of the 6 hot blocks stayed hot after a scan");
    }

    @Test
    void aBlockComesUpFromHddWhenReadAgainWithTheBytesThatReadFetched() throws IOException {
        Inode f = file("f", 40);
        long block = hddBlockReadOnce(f);
        assertStaysOnHdd(f, block, "read once: moving it up would cost a block moved down, maybe for nothing");
        assertComesUpWithItsNextRead(f, block, 0, "read again since the policy wanted it up: it comes up, and that read"
            + " was served from what the first one fetched");
    }

    @Test
    void aBlockReadAgainWithoutItsBytesAtHandWaitsForItsNextRead() throws IOException {
        Inode f = file("f", 40);
        settle();
        long block = firstOnHdd(f);
        for (int i = 0; i < 2; i++) {
            read(f, block, BS); // a read of whole blocks keeps none: scans must not fill the ring
            settle();
        }
        assertStaysOnHdd(f, block, "its bytes are not at hand: a move would read the slow disk again");
        assertComesUpWithItsNextRead(f, block, 1, "its next read fetched it: it comes up");
    }

    /** A block of {@code f} placed on hdd, read once (part of it), and the migrator's rounds after that read. */
    private long hddBlockReadOnce(Inode f) throws IOException {
        settle();
        long block = firstOnHdd(f);
        read(f, block);
        settle();
        return block;
    }

    private void assertStaysOnHdd(Inode f, long block, String why) {
        assertEquals(HDD_TIER, tierOf(f, block), why);
        assertTrue(!hot(f, block), why);
    }

    /**
     * A read of part of the block, and the block comes up with the bytes that read fetched, or
     * that the read before it fetched (which then served this read too): the slow disk read
     * {@code diskReads} times (0 or 1) for both.
     */
    private void assertComesUpWithItsNextRead(Inode f, long block, int diskReads, String why) throws IOException {
        int hddReads = hdd.fileCalls("read");
        read(f, block);
        settle();
        assertTrue(hot(f, block), why);
        assertEquals(hddReads + diskReads, hdd.fileCalls("read"), "the slow disk read " + diskReads + " times");
    }

    /** Two writes race on a hot block: the one that may have company drops the copy, and the migrator makes it again. */
    @Test
    void aHotCopyTwoRacingWritesDroppedIsMadeAgain() throws Exception {
        Inode f = file("f", 40);
        long block = hddBlockReadOnce(f);
        assertComesUpWithItsNextRead(f, block, 0, "hot");
        byte[] second = NativeBuffer.pattern(2, 100);
        hdd.interleave("write", () -> write(f, block * BS, NativeBuffer.pattern(1, 100)),
            () -> write(f, block * BS, second));
        assertTrue(!hot(f, block), "the second write found the first under way and dropped the copy");
        settle();
        assertTrue(hot(f, block), "the policy still has it hot: the migrator made a new copy");
        FileBlocks b = inodes.open(f);
        try (NativeBuffer buf = new NativeBuffer(second.length)) {
            b.read(block * BS, buf.address, second.length);
            assertArrayEquals(second, buf.bytes(), "from the new copy: the last write's bytes");
        } finally {
            inodes.close(f);
        }
    }

    /**
     * A write replacing a hot block on ssd whole drops its copy: the block stays on ssd until a
     * read brings it up again, unless it is pinned hot, which gets a new copy at once.
     */
    @Test
    void aHotBlockOnSsdRewrittenWholeComesBackUpWithItsNextReadOrAtOnceIfPinned() throws IOException {
        Inode f = file("f", 2);
        for (int round = 0; round < 3; round++) {
            read(f, 0);
            settle();
        }
        assertTrue(hot(f, 0) && tierOf(f, 0) == 0, "read most, on ssd: hot");
        write(f, 0, NativeBuffer.pattern(3, BS));
        assertTrue(!hot(f, 0), "its copy went with the write");
        settle();
        assertTrue(!hot(f, 0), "not read since: it stays on ssd alone");
        read(f, 0);
        settle();
        assertTrue(hot(f, 0), "read again: up again");

        Inode pinned = file("pinned", 2);
        xattrs.set(pinned, TierAttributes.PIN.getBytes(StandardCharsets.US_ASCII), "hot".getBytes(StandardCharsets.US_ASCII), 0);
        settle();
        assertTrue(hot(pinned, 1));
        byte[] whole = NativeBuffer.pattern(4, BS);
        write(pinned, BS, whole);
        settle();
        assertTrue(hot(pinned, 1), "pinned hot: a new copy at once");
        try (NativeBuffer b = new NativeBuffer(BS)) {
            assertTrue(store.hot().read(pinned.ino, 1, 0, b.address, BS));
            assertArrayEquals(whole, b.bytes(), "with the write's bytes");
        }
    }

    private void write(Inode f, long offset, byte[] data) throws IOException {
        FileBlocks b = inodes.open(f);
        try (NativeBuffer buf = NativeBuffer.of(data)) {
            b.write(offset, buf.address, data.length);
        } finally {
            inodes.close(f);
        }
    }

    @Test
    void aBlockLeavingTheHotLevelLosesItsHotCopy() throws IOException {
        Inode f = file("f", 40);
        long block = hddBlockReadOnce(f);
        read(f, block);
        settle();
        assertTrue(hot(f, block));
        long[] hotSet = new long[HOT];
        for (int i = 0, b = 0; i < HOT; b++) {
            if (b != block) {
                hotSet[i++] = b;
            }
        }
        for (int round = 0; round < 20; round++) { // a new hot set takes the hot tier
            for (long b : hotSet) {
                read(f, b);
            }
            settle();
        }
        assertTrue(!hot(f, block), "out of the hot level: its copy must go, or the hot tier fills with blocks the policy moved out");
    }

    @Test
    void pinsMoveAFileAndKeepItWhateverItsUse() throws IOException {
        Inode cold = file("cold", 4);
        Inode kept = file("kept", 4);
        xattrs.set(cold, TierAttributes.PIN.getBytes(StandardCharsets.US_ASCII), "hdd\n".getBytes(StandardCharsets.US_ASCII), 0);
        xattrs.set(kept, TierAttributes.PIN.getBytes(StandardCharsets.US_ASCII), "hot".getBytes(StandardCharsets.US_ASCII), 0);
        settle();
        for (int round = 0; round < 10; round++) {
            for (long b = 0; b < 4; b++) {
                read(cold, b); // read a lot: the pin still keeps it on hdd
            }
            settle();
        }
        assertEquals(4, tiers(cold)[2], "pinned to hdd");
        assertEquals(4, tiers(kept)[0], "pinned to hot");
        Inode big = file("big", HOT);
        FsException full = assertThrows(FsException.class, () ->
            xattrs.set(big, TierAttributes.PIN.getBytes(StandardCharsets.US_ASCII), "hot".getBytes(StandardCharsets.US_ASCII), 0));
        assertEquals(Errno.ENOSPC, full.errno(), "4 blocks are pinned hot already: 8 more do not fit");
        xattrs.remove(kept, TierAttributes.PIN.getBytes(StandardCharsets.US_ASCII));
        xattrs.set(big, TierAttributes.PIN.getBytes(StandardCharsets.US_ASCII), "hot".getBytes(StandardCharsets.US_ASCII), 0);
        settle();
        assertEquals(HOT, tiers(big)[0], "unpinning made room");
    }

    @Test
    void pinsFollowTheHotTiersLiveSizeAndAShrinkLeavesWhatTheyHold() throws IOException {
        byte[] pin = TierAttributes.PIN.getBytes(StandardCharsets.US_ASCII);
        byte[] hot = "hot".getBytes(StandardCharsets.US_ASCII);
        Inode six = file("six", 6);
        store.hot().resize(4L * BS); // shrink-cache
        FsException full = assertThrows(FsException.class, () -> xattrs.set(six, pin, hot, 0));
        assertEquals(Errno.ENOSPC, full.errno(), "6 blocks do not fit in the 4 the hot tier holds now");
        store.hot().resize((long) HOT * BS); // grow-cache
        xattrs.set(six, pin, hot, 0);
        settle();
        assertEquals(6, tiers(six)[0], "they fit once it grew back");
        assertEquals(6L * BS, store.hot().resize(BS), "a shrink leaves what the pins hold");
        xattrs.remove(six, pin);
        assertEquals(BS, store.hot().resize(BS), "unpinned: down to one block");
    }

    @Test
    void unpinningHotBlocksWhoseOwnCopiesAreOnHddGivesBackTheirRoom() throws IOException {
        file("filler", SSD); // ssd is full: the next file is written to hdd
        Inode kept = file("kept", 4);
        settle();
        xattrs.set(kept, TierAttributes.PIN.getBytes(StandardCharsets.US_ASCII), "hot".getBytes(StandardCharsets.US_ASCII), 0);
        settle();
        assertEquals(4, tiers(kept)[0], "pinned to hot");
        assertEquals(HDD_TIER, tierOf(kept, 0), "their own copies stay on hdd");
        xattrs.remove(kept, TierAttributes.PIN.getBytes(StandardCharsets.US_ASCII));
        Inode big = file("big", HOT);
        xattrs.set(big, TierAttributes.PIN.getBytes(StandardCharsets.US_ASCII), "hot".getBytes(StandardCharsets.US_ASCII), 0);
        settle();
        assertEquals(HOT, tiers(big)[0], "the unpinned blocks' hot copies are the policy's to drop");
    }

    @Test
    void aFileCreatedInAPinnedDirectoryInheritsThePin() throws IOException {
        Inode d = ns.create(Inodes.ROOT, "d".getBytes(StandardCharsets.US_ASCII), FileMode.S_IFDIR | 0755, 0, null, 0, 0);
        xattrs.set(d, TierAttributes.PIN.getBytes(StandardCharsets.US_ASCII), "hdd".getBytes(StandardCharsets.US_ASCII), 0);
        Inode f = ns.create(d.ino, "f".getBytes(StandardCharsets.US_ASCII), FILE, 0, null, 0, 0);
        assertEquals("hdd", new String(xattrs.get(f, TierAttributes.PIN.getBytes(StandardCharsets.US_ASCII)),
            StandardCharsets.US_ASCII));
        FileBlocks b = inodes.open(f);
        try (NativeBuffer data = NativeBuffer.of(NativeBuffer.pattern(3, 3 * BS))) {
            b.write(0, data.address, 3 * BS);
        }
        inodes.close(f);
        settle();
        assertEquals(3, tiers(f)[2]);
    }
}
