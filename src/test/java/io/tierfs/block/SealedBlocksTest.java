package io.tierfs.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.meta.Keys;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.NativeIOException;
import io.tierfs.testutil.NativeBuffer;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * Sealed blocks: page sums computed from what the tier holds, verified by every read from a
 * directory tier, dropped (durably, first) by a write, and never switched in over a racing write.
 */
class SealedBlocksTest extends BlockStoreFixture {
    private final List<String> reported = new ArrayList<>();

    private BlockRef inStore(long index) {
        return BlockRef.decode(meta.get(Keys.block(INO, index)));
    }

    private int seal(long... indexes) throws IOException {
        return mover.sealAll(file, indexes, indexes.length);
    }

    /** Changes one byte of block {@code index}'s stored copy on {@code tier}, at {@code inBlock}. */
    private void flipByte(int tier, long index, int inBlock) throws IOException {
        try (TierFile f = store.tier(tier).open(INO); NativeBuffer b = NativeBuffer.garbage(1)) {
            f.read(index, inBlock, b.address, 1);
            byte[] flipped = {(byte) (b.bytes()[0] ^ 0x40)};
            try (NativeBuffer w = NativeBuffer.of(flipped)) {
                f.write(index, inBlock, w.address, 1);
            }
        }
    }

    private void listenForBadBlocks() {
        store.seals().setReporter((ino, index, tier, what) -> reported.add(ino + "/" + index + "@" + tier));
    }

    @Test
    void sealingRecordsPageSumsOfWhatTheTierHolds() throws IOException {
        byte[] data = NativeBuffer.pattern(3, 3 * BS);
        write(0, data);
        assertFalse(file.ref(1).sealed(), "a block written is unsealed");
        assertEquals(3, seal(0, 1, 2));
        BlockRef ref = inStore(1);
        assertTrue(ref.sealed() && ref.pageSums().length == BS / BlockRef.SUM_UNIT, "sealed in the store: " + ref);
        assertArrayEquals(crcOfPages(data, BS), ref.pageSums());
        assertEquals(0, seal(1), "sealed already: nothing to do");
        assertArrayEquals(data, read(0, 3 * BS), "sealed blocks read back, verified");
        close();
        openStore();
        assertTrue(file.ref(2).sealed(), "the seal survives a reopen");
        assertArrayEquals(data, read(0, 3 * BS));
    }

    /** The CRC32C of each 4 KiB page of {@code data}'s block from {@code offset}. */
    private static int[] crcOfPages(byte[] data, int offset) {
        int[] sums = new int[BS / BlockRef.SUM_UNIT];
        for (int p = 0; p < sums.length; p++) {
            CRC32C crc = new CRC32C();
            crc.update(data, offset + p * BlockRef.SUM_UNIT, BlockRef.SUM_UNIT);
            sums[p] = (int) crc.getValue();
        }
        return sums;
    }

    @Test
    void aFlippedByteFailsReadsOfItsBlockOnlyWithEioAndIsReportedOnce() throws IOException {
        listenForBadBlocks();
        byte[] data = NativeBuffer.pattern(5, 3 * BS);
        write(0, data);
        seal(0, 1, 2);
        flipByte(SSD, 1, 5000);
        NativeIOException e = assertThrows(NativeIOException.class, () -> read(BS, BS));
        assertEquals(Errno.EIO, e.errno());
        assertThrows(NativeIOException.class, () -> read(0, 3 * BS), "a read spanning the bad block fails too");
        assertThrows(NativeIOException.class, () -> read(BS + 4096 + 100, 10), "part of the bad page: verified whole");
        assertArrayEquals(java.util.Arrays.copyOfRange(data, BS, BS + 4096), read(BS, 4096),
            "another page of the bad block reads: sums are per page");
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 0, BS), read(0, BS), "the block before reads");
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 2 * BS, 3 * BS), read(2 * BS, BS), "the block after reads");
        assertEquals(1, store.seals().checksumFailures(), "one bad copy, counted once");
        assertEquals(List.of(INO + "/1@" + SSD), reported);
        assertTrue(inStore(1).sealed(), "the bad copy is left as it is, not resealed over");
    }

    @Test
    void anUnalignedReadVerifiesTheWholePagesItTouches() throws IOException {
        byte[] data = NativeBuffer.pattern(6, BS);
        write(0, data);
        seal(0);
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 4000, 9000), read(4000, 5000));
        flipByte(SSD, 0, 8191); // the last byte of the page holding the read's tail
        assertThrows(NativeIOException.class, () -> read(4000, 5000));
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 100, 4000), read(100, 3900), "the first page is intact");
    }

    @Test
    void aWriteUnsealsItsBlockDurablyBeforeItsBytesReachTheTier() throws Exception {
        write(0, NativeBuffer.pattern(7, 2 * BS));
        seal(0, 1);
        boolean[] unsealedFirst = {false};
        ssd.afterNextFileCall("write", () -> unsealedFirst[0] = !inStore(1).sealed());
        byte[] update = NativeBuffer.pattern(8, 100);
        write(BS + 10, update);
        assertTrue(unsealedFirst[0], "the record was unsealed in the store when the tier's write returned");
        assertFalse(file.ref(1).sealed());
        assertFalse(file.ref(0).sealed(), "its sealed neighbour on ssd is unsealed in the same commit");
        assertArrayEquals(update, read(BS + 10, 100));
        assertEquals(2, seal(0, 1), "left alone, both seal again");
        assertArrayEquals(update, read(BS + 10, 100), "verified against the new sums");
    }

    @Test
    void aWriteFromAnUnsealedBlockIntoASealedOneUnsealsItToo() throws IOException {
        byte[] data = NativeBuffer.pattern(14, 2 * BS);
        write(0, data);
        seal(1); // block 0 stays unsealed: written a moment ago
        byte[] update = NativeBuffer.pattern(15, 200);
        write(BS - 100, update); // one run of the ssd tier's blocks, from the unsealed one into the sealed one
        System.arraycopy(update, 0, data, BS - 100, 200);
        assertFalse(inStore(1).sealed(), "the sealed block the run reached was unsealed before the write");
        assertArrayEquals(data, read(0, 2 * BS), "and reads back, no stale sums failing it");
    }

    @Test
    void aWriteRacingASealWinsAndLeavesTheBlockUnsealed() throws Exception {
        write(0, NativeBuffer.pattern(9, BS));
        byte[] update = NativeBuffer.pattern(10, 512);
        int[] sealed = {-1};
        // the seal pauses after reading the block; the write comes in between
        ssd.interleave("read", () -> sealed[0] = seal(0), () -> write(0, update));
        assertEquals(0, sealed[0], "the write spoiled the seal");
        assertFalse(file.ref(0).sealed());
        assertFalse(inStore(0).sealed());
        assertArrayEquals(update, read(0, 512), "the write is there, and no stale sums fail it");
        assertEquals(1, seal(0));
        assertArrayEquals(update, read(0, 512));
    }

    @Test
    void aSealNeverTakesASyncFailureMeantForTheApplication() throws IOException {
        write(0, NativeBuffer.pattern(13, BS));
        ssd.failNextSync();
        assertThrows(NativeIOException.class, () -> seal(0));
        assertFalse(file.ref(0).sealed(), "the bytes may not be on disk: no sums of them");
        assertThrows(NativeIOException.class, file::sync, "the application's fsync still fails");
        assertThrows(NativeIOException.class, () -> seal(0), "nor is the block sealed later");
        assertFalse(inStore(0).sealed());
    }

    @Test
    void aMoveSealsTheCopyAndRefusesToCarryRot() throws IOException {
        listenForBadBlocks();
        byte[] data = NativeBuffer.pattern(11, 2 * BS);
        write(0, data);
        assertEquals(BS, mover.move(file, 0, HDD));
        assertTrue(inStore(0).sealed(), "a block moved is sealed by its move");
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 0, BS), read(0, BS), "read from hdd, verified");
        seal(1);
        flipByte(SSD, 1, 0);
        assertEquals(0, mover.move(file, 1, HDD), "a block failing its sums does not move");
        assertEquals(SSD, tierInStore(1));
        assertEquals(List.of(INO + "/1@" + SSD), reported);
    }

    @Test
    void aMoveTakesNoHotCopyThatFailsTheSealedBlocksSums() throws IOException {
        byte[] data = NativeBuffer.pattern(16, BS);
        write(0, data);
        seal(0);
        assertEquals(BlockMover.Promotion.DONE, mover.promote(file, 0));
        try (NativeBuffer stale = NativeBuffer.of(NativeBuffer.pattern(17, 10))) {
            store.hot().update(INO, 0, 0, stale.address, 10); // a copy gone wrong
        }
        assertEquals(BS, mover.move(file, 0, HDD));
        try (TierFile f = store.tier(HDD).open(INO); NativeBuffer b = NativeBuffer.garbage(BS)) {
            f.read(0, 0, b.address, BS);
            assertArrayEquals(data, b.bytes(), "the new copy holds the block's own bytes, not the bad hot copy's");
        }
    }

    @Test
    void aFlippedByteOnHddIsCaughtByTheWholeBlockFetch() throws IOException {
        byte[] data = blocksWithOneOnHdd(12, 1, 0);
        flipByte(HDD, 0, 12000);
        assertThrows(NativeIOException.class, () -> read(100, 10),
            "a read of part of an hdd block fetches all of it, and checks all of it");
        assertEquals(1, store.seals().checksumFailures());
    }

    @Test
    void recordsOfVersionOneReadAsUnsealed() {
        byte[] v1 = java.nio.ByteBuffer.allocate(20).put((byte) 1).put((byte) 1).put((byte) 0).put((byte) 0)
            .putInt(BS).putInt(0).putLong(4).array();
        BlockRef ref = BlockRef.decode(v1);
        assertEquals(1, ref.tier());
        assertFalse(ref.sealed());
        assertEquals(4, ref.generation());
        BlockRef sealed = ref.sealedWith(new int[BS / BlockRef.SUM_UNIT]);
        BlockRef back = BlockRef.decode(sealed.encode());
        assertArrayEquals(sealed.pageSums(), back.pageSums());
        assertEquals(sealed.checksum(), back.checksum());
        byte[] bad = sealed.encode();
        bad[bad.length - 1] ^= 1;
        assertThrows(IllegalStateException.class, () -> BlockRef.decode(bad), "a damaged record is refused");
        assertThrows(IllegalArgumentException.class, () -> ref.sealedWith(new int[1]));
    }
}
