package io.tierfs.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.codec.Samples;
import io.tierfs.meta.Keys;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.NativeIOException;
import io.tierfs.testutil.NativeBuffer;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Replicas: a sealed block's second copy on the other directory tier, the same stored bytes under
 * the same checksums; a read whose copy fails is served from the other and the bad one rewritten;
 * a write drops the replica with the seal; a move to the replica's tier swaps the copies' roles.
 */
class ReplicasTest extends BlockStoreFixture {
    private BlockRef inStore(long index) {
        return BlockRef.decode(meta.get(Keys.block(INO, index)));
    }

    /** Writes {@code data} at 0, seals its blocks and gives them replicas. */
    private void replicated(byte[] data) throws IOException {
        write(0, data);
        long[] all = new long[data.length / BS];
        Arrays.setAll(all, i -> i);
        assertEquals(all.length, mover.sealAll(file, all, all.length));
        assertEquals(all.length, mover.replicateAll(file, all, all.length));
    }

    private byte[] copyOn(int tier, long index, int length) throws IOException {
        try (TierFile f = store.tier(tier).open(INO); NativeBuffer b = NativeBuffer.garbage(length)) {
            f.read(index, 0, b.address, length);
            return b.bytes();
        }
    }

    private void flipByte(int tier, long index, int inBlock) throws IOException {
        try (TierFile f = store.tier(tier).open(INO); NativeBuffer b = NativeBuffer.garbage(1)) {
            f.read(index, inBlock, b.address, 1);
            try (NativeBuffer w = NativeBuffer.of(new byte[] {(byte) (b.bytes()[0] ^ 0x40)})) {
                f.write(index, inBlock, w.address, 1);
            }
        }
    }

    private boolean stored(int tier, long index) throws IOException {
        try (TierFile f = store.tier(tier).open(INO)) {
            return Arrays.stream(f.storedBlocks()).anyMatch(i -> i == index);
        }
    }

    @Test
    void aReplicaIsTheSameBytesOnTheOtherTierCountedThereAndSurvivesAReopen() throws IOException {
        byte[] data = NativeBuffer.pattern(1, 2 * BS);
        long ssdBefore = store.usedBytes(SSD);
        long hddBefore = store.usedBytes(HDD);
        replicated(data);
        BlockRef ref = inStore(1);
        assertEquals(SSD, ref.tier());
        assertEquals(HDD, ref.replica());
        assertTrue(ref.sealed());
        assertArrayEquals(Arrays.copyOfRange(data, BS, 2 * BS), copyOn(HDD, 1, BS));
        assertEquals(hddBefore + 2L * BS, store.usedBytes(HDD), "the replicas count on their tier");
        assertEquals(ssdBefore + 2L * BS, store.usedBytes(SSD));
        assertEquals(0, mover.replicateAll(file, new long[] {0}, 1), "replicated already");
        close();
        openStore();
        assertEquals(HDD, file.ref(0).replica(), "the replica survives a reopen");
        assertArrayEquals(data, read(0, 2 * BS));
    }

    @Test
    void replicasTakeOnlyTheRoomTheirTierHas() throws IOException {
        close();
        openStore(2L * BS);
        write(0, NativeBuffer.pattern(12, 4 * BS));
        long[] all = {0, 1, 2, 3};
        assertEquals(4, mover.sealAll(file, all, 4));
        assertEquals(2, mover.replicateAll(file, all, 4), "room for two blocks on hdd");
        assertEquals(2L * BS, store.usedBytes(HDD));
        assertEquals(0, mover.replicateAll(file, new long[] {2, 3}, 2), "and no more");
    }

    @Test
    void anUnsealedBlockGetsNoReplica() throws IOException {
        write(0, NativeBuffer.pattern(2, BS));
        assertEquals(0, mover.replicateAll(file, new long[] {0}, 1));
        assertEquals(-1, inStore(0).replica());
        assertFalse(stored(HDD, 0));
    }

    @Test
    void aBadCopyIsServedFromTheReplicaThenRewrittenFromIt() throws IOException {
        byte[] data = NativeBuffer.pattern(3, 3 * BS);
        replicated(data);
        flipByte(SSD, 1, 5000);
        assertArrayEquals(data, read(0, 3 * BS), "the read spanning the bad block gets the good bytes");
        assertArrayEquals(Arrays.copyOfRange(data, BS + 4096, BS + 8192), read(BS + 4096, 4096));
        assertEquals(1, store.seals().checksumFailures(), "the bad copy is counted once");
        assertEquals(2, store.seals().replicaReads());
        Seals.BadCopy bad = store.seals().pollRepair();
        assertNotNull(bad, "handed to the sealer");
        assertNull(store.seals().pollRepair(), "once");
        assertEquals(SSD, bad.tier());
        assertTrue(mover.repair(file, bad));
        store.seals().repairDone(bad, true);
        assertEquals(1, store.seals().repaired());
        BlockRef now = inStore(1);
        assertEquals(HDD, now.tier(), "read from the good copy from now on");
        assertEquals(SSD, now.replica(), "and the bad one rewritten as its replica");
        assertArrayEquals(Arrays.copyOfRange(data, BS, 2 * BS), copyOn(SSD, 1, BS), "the bad copy was rewritten");
        flipByte(HDD, 1, 100); // the other copy rots now: the rewritten one serves
        assertArrayEquals(data, read(0, 3 * BS));
    }

    @Test
    void aScrubWhoseRepairFailsCountsTheBlockBadAndLeavesNoTicketBehind() throws Exception {
        byte[] data = NativeBuffer.pattern(11, 2 * BS);
        replicated(data);
        flipByte(SSD, 0, 10);
        ssd.failNextSync(); // the new replica written over the bad copy cannot be made durable
        BlockMover.Verdict[] verdicts = mover.scrubAll(file, new long[] {0, 1}, 2);
        assertEquals(BlockMover.Verdict.BAD, verdicts[0]);
        assertEquals(BlockMover.Verdict.INTACT, verdicts[1]);
        assertEquals(HDD, inStore(0).tier(), "read from the good copy");
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> file.shrink(0, b -> { }),
            "no ticket left for a truncation to wait on");
    }

    @Test
    void aScrubChecksTheCopyThatIsThereWhenTheOthersTierIsGone() throws IOException {
        replicated(NativeBuffer.pattern(12, 2 * BS));
        flipByte(SSD, 1, 10);
        hdd.setGone(true);
        BlockMover.Verdict[] verdicts = mover.scrubAll(file, new long[] {0, 1}, 2);
        assertEquals(BlockMover.Verdict.INTACT, verdicts[0], "its copy on ssd checked, good");
        assertEquals(BlockMover.Verdict.BAD, verdicts[1], "bad, and not rewritten while its twin is out of reach");
        hdd.setGone(false);
        assertEquals(BlockMover.Verdict.REPAIRED, mover.scrubAll(file, new long[] {1}, 1)[0], "repaired once it is back");
    }

    @Test
    void aBadReplicaIsRewrittenFromTheBlocksOwnCopy() throws IOException {
        byte[] data = NativeBuffer.pattern(4, BS);
        replicated(data);
        flipByte(HDD, 0, 10);
        BlockRef ref = inStore(0);
        assertTrue(mover.repair(file, new Seals.BadCopy(INO, 0, HDD, ref.generation())));
        assertEquals(SSD, inStore(0).tier());
        assertEquals(HDD, inStore(0).replica());
        assertArrayEquals(data, copyOn(HDD, 0, BS));
    }

    @Test
    void bothCopiesBadIsEioAndNothingIsRewritten() throws IOException {
        replicated(NativeBuffer.pattern(5, BS));
        flipByte(SSD, 0, 10);
        flipByte(HDD, 0, 20);
        NativeIOException e = assertThrows(NativeIOException.class, () -> read(0, BS));
        assertEquals(Errno.EIO, e.errno());
        assertEquals(2, store.seals().checksumFailures(), "each bad copy counted");
        assertNull(store.seals().pollRepair(), "nothing good to rewrite from");
        BlockRef ref = inStore(0);
        assertFalse(mover.repair(file, new Seals.BadCopy(INO, 0, SSD, ref.generation())));
        assertEquals(ref.generation(), inStore(0).generation(), "the record is left as it was");
    }

    @Test
    void aWriteDropsTheReplicaWithTheSealAndFreesItsSlot() throws IOException {
        byte[] data = NativeBuffer.pattern(6, 2 * BS);
        replicated(data);
        long hddUsed = store.usedBytes(HDD);
        write(BS + 3, new byte[] {9});
        assertFalse(inStore(1).sealed());
        assertEquals(-1, inStore(1).replica(), "the replica went with the seal");
        assertFalse(stored(HDD, 1), "its slot is freed");
        assertEquals(hddUsed - BS, store.usedBytes(HDD));
        assertEquals(HDD, inStore(0).replica(), "a sealed neighbour with a replica is left sealed");
        assertEquals(9, read(BS + 3, 1)[0]);
    }

    @Test
    void aMoveToTheReplicasTierSwapsTheCopiesWithoutACopy() throws IOException {
        byte[] data = NativeBuffer.pattern(7, BS);
        replicated(data);
        long ssdUsed = store.usedBytes(SSD);
        long hddUsed = store.usedBytes(HDD);
        int writesBefore = hdd.fileCalls("writeNew") + hdd.fileCalls("write");
        assertEquals(BS, mover.move(file, 0, HDD));
        assertEquals(HDD, inStore(0).tier());
        assertEquals(SSD, inStore(0).replica(), "the old copy stays as the replica");
        assertEquals(writesBefore, hdd.fileCalls("writeNew") + hdd.fileCalls("write"), "nothing copied");
        assertEquals(ssdUsed, store.usedBytes(SSD));
        assertEquals(hddUsed, store.usedBytes(HDD));
        assertTrue(stored(SSD, 0));
        assertArrayEquals(data, read(0, BS));
        assertEquals(BS, mover.move(file, 0, SSD), "and back");
        assertEquals(HDD, inStore(0).replica());
    }

    @Test
    void aMoveDoesNotSwapToABadReplica() throws IOException {
        replicated(NativeBuffer.pattern(8, BS));
        flipByte(HDD, 0, 10);
        assertEquals(0, mover.move(file, 0, HDD));
        assertEquals(SSD, inStore(0).tier());
        assertNotNull(store.seals().pollRepair(), "the bad replica is handed for repair");
    }

    @Test
    void truncationFreesReplicasToo() throws IOException {
        replicated(NativeBuffer.pattern(9, 2 * BS));
        long hddUsed = store.usedBytes(HDD);
        file.shrink(BS, b -> { });
        assertEquals(hddUsed - BS, store.usedBytes(HDD));
        assertFalse(stored(HDD, 1));
        assertTrue(stored(HDD, 0));
    }

    @Test
    void droppingReplicasFreesThem() throws IOException {
        replicated(NativeBuffer.pattern(10, 2 * BS));
        assertEquals(2, mover.dropReplicas(file, new long[] {0, 1}, 2));
        assertEquals(-1, inStore(0).replica());
        assertTrue(inStore(0).sealed(), "still sealed");
        assertFalse(stored(HDD, 0) || stored(HDD, 1));
    }

    @Test
    void aCompressedBlocksReplicaHoldsItsCompressedBytes() throws IOException {
        store.compressOn(new boolean[] {false, true});
        byte[] text = Samples.log(BS);
        write(0, text);
        assertEquals(BS, mover.move(file, 0, HDD));
        BlockRef ref = inStore(0);
        assertTrue(ref.compressed());
        assertEquals(1, mover.replicateAll(file, new long[] {0}, 1));
        assertEquals(SSD, inStore(0).replica(), "the last tier's blocks are replicated on the one before");
        flipByte(HDD, 0, 3);
        assertArrayEquals(text, read(0, BS), "decompressed from the replica");
        assertEquals(1, store.seals().replicaReads());
    }

    @Test
    void recordsWithAndWithoutReplicasRoundTrip() {
        BlockRef sealed = BlockRef.unsealed(SSD, BS).sealedWith(new int[BS / BlockRef.SUM_UNIT]);
        BlockRef replicated = sealed.withReplica(HDD);
        BlockRef decoded = BlockRef.decode(replicated.encode());
        assertEquals(HDD, decoded.replica());
        assertEquals(replicated.generation(), decoded.generation());
        assertTrue(decoded.sealed());
        assertTrue(BlockRef.recordHasReplica(replicated.encode()));
        assertFalse(BlockRef.recordHasReplica(sealed.encode()));
        assertEquals(-1, replicated.unsealedNow().replica());
        assertEquals(-1, replicated.onTier(HDD).replica());
        assertThrows(IllegalArgumentException.class, () -> BlockRef.unsealed(SSD, BS).withReplica(HDD));
        byte[] v2 = sealed.encode();
        v2[0] = 2;
        assertEquals(-1, BlockRef.decode(v2).replica(), "a version-2 record has no replica");
        byte[] forged = replicated.encode();
        forged[0] = 2;
        assertThrows(IllegalStateException.class, () -> BlockRef.decode(forged), "replica bits in a version-2 record");
    }
}
