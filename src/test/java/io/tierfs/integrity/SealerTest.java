package io.tierfs.integrity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.block.BlockRef;
import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.namespace.Inode;
import io.tierfs.namespace.Inodes;
import io.tierfs.namespace.TestVolume;
import io.tierfs.namespace.TierAttributes;
import io.tierfs.tier.TierFile;
import io.tierfs.testutil.FaultyTier;
import io.tierfs.testutil.NativeBuffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sealer's rounds, one tick each: what is left alone for seal-after ticks is sealed, what is written is not. */
class SealerTest {
    private static final int BS = TestVolume.BS;
    private static final int SEAL_AFTER = 3;

    @TempDir
    static Path tierRoot;
    @TempDir
    Path dir;
    private TestVolume v;
    private Sealer sealer;

    @AfterEach
    void close() {
        if (sealer != null) {
            sealer.close();
        }
        if (v != null) {
            v.close();
        }
    }

    private void open(boolean fresh) throws IOException {
        v = fresh ? TestVolume.create(dir, tierRoot) : TestVolume.open(dir, tierRoot);
        sealer = new Sealer(v.blocks, v.inodes, SEAL_AFTER, 1L << 30);
    }

    private boolean sealed(Inode file, long index) {
        return BlockRef.decode(v.meta.get(Keys.block(file.ino, index))).sealed();
    }

    private void rounds(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            sealer.round(false);
        }
    }

    @Test
    void blocksLeftAloneForSealAfterAreSealedAndOnesWrittenWait() throws IOException {
        open(true);
        Inode f = v.mkfile(Inodes.ROOT, "f");
        v.inodes.open(f); // held open, as by an application: its table, with each block's last write, stays
        byte[] data = NativeBuffer.pattern(1, 3 * BS);
        v.write(f, 0, data);
        rounds(SEAL_AFTER - 1);
        assertFalse(sealed(f, 0), "written " + (SEAL_AFTER - 1) + " ticks ago: not yet");
        v.write(f, 2 * BS, new byte[] {1});
        data[2 * BS] = 1;
        rounds(1);
        assertTrue(sealed(f, 0) && sealed(f, 1), "left alone for seal-after");
        assertFalse(sealed(f, 2), "written a tick ago");
        rounds(SEAL_AFTER);
        assertTrue(sealed(f, 2));
        assertEquals(3, sealer.sealed());
        assertArrayEquals(data, v.read(f, 0, 3 * BS));
        v.inodes.close(f);
    }

    @Test
    void aFileWhoseTableWasDroppedCountsItsLastWriteForEveryBlock() throws IOException {
        open(true);
        Inode f = v.mkfile(Inodes.ROOT, "f");
        v.write(f, 0, NativeBuffer.pattern(4, BS));
        v.inodes.forget(f.ino, 1); // the kernel forgets the file: its table, with each block's last write, goes
        rounds(SEAL_AFTER - 1);
        Inode again = v.inodes.acquire(f.ino);
        v.write(again, BS, new byte[] {1});
        v.inodes.forget(f.ino, 1);
        rounds(1);
        assertFalse(sealed(f, 0), "block 0's own write is old, but the file's last one is not, and only that is known");
        assertFalse(sealed(f, 1));
        rounds(SEAL_AFTER);
        assertTrue(sealed(f, 0) && sealed(f, 1));
    }

    @Test
    void aWriteToASealedBlockHasItSealedAgainOnceLeftAlone() throws IOException {
        open(true);
        Inode f = v.mkfile(Inodes.ROOT, "f");
        v.write(f, 0, NativeBuffer.pattern(2, BS));
        rounds(SEAL_AFTER + 1);
        assertTrue(sealed(f, 0));
        v.write(f, 10, new byte[] {7, 7});
        assertFalse(sealed(f, 0), "unsealed by the write");
        rounds(SEAL_AFTER + 1);
        assertTrue(sealed(f, 0), "sealed again");
        assertEquals(7, v.read(f, 11, 1)[0]);
    }

    @Test
    void aFileThatCannotBeSealedHoldsUpNoOtherAndTheLastSealsEnd() throws IOException {
        FaultyTier[] ssd = {null};
        v = TestVolume.create(dir, tierRoot, t -> (ssd[0] = new FaultyTier(t)).tier());
        sealer = new Sealer(v.blocks, v.inodes, SEAL_AFTER, 1L << 30);
        Inode a = v.mkfile(Inodes.ROOT, "a");
        Inode b = v.mkfile(Inodes.ROOT, "b");
        v.write(a, 0, NativeBuffer.pattern(5, BS));
        v.write(b, 0, NativeBuffer.pattern(6, BS));
        ssd[0].failNextSync(); // the first file's seal finds its data may not be on disk
        sealer.stop();
        sealer.sealEverything();
        assertEquals(1, (sealed(a, 0) ? 1 : 0) + (sealed(b, 0) ? 1 : 0), "the other file is sealed all the same");
    }

    @Test
    void unsealedBlocksOfAnEarlierMountAreFoundInTheBlockMapAndSealedAtTheEnd() throws IOException {
        open(true);
        Inode f = v.mkfile(Inodes.ROOT, "f");
        byte[] data = NativeBuffer.pattern(3, 2 * BS);
        v.write(f, 0, data);
        remountAndSealEverything(); // the sealer knows nothing of the file's blocks but what the block map says
        assertTrue(sealed(f, 0) && sealed(f, 1));
        assertArrayEquals(data, v.read(v.inodes.get(f.ino), 0, 2 * BS));
    }

    /** The volume closed and opened again, and a clean unmount's seals made at once. */
    private void remountAndSealEverything() throws IOException {
        sealer.close();
        sealer = null;
        v.close();
        open(false);
        sealer.stop();
        sealer.sealEverything();
    }

    private void setReplicas(Inode f, String n, boolean tellSealer) {
        try (MetadataStore.Batch b = v.meta.newBatch()) {
            b.put(Keys.xattr(f.ino, TierAttributes.REPLICAS.getBytes(StandardCharsets.US_ASCII)),
                n.getBytes(StandardCharsets.US_ASCII));
            v.meta.commit(b, false);
        }
        if (tellSealer) {
            v.blocks.seals().fileChanged(f.ino, false);
        }
    }

    private int replica(Inode f, long index) {
        return BlockRef.decode(v.meta.get(Keys.block(f.ino, index))).replica();
    }

    @Test
    void aReplicatedFilesBlocksGetReplicasOnceSealedAndLoseThemWhenItIsBackToOne() throws IOException {
        open(true);
        Inode f = v.mkfile(Inodes.ROOT, "f");
        setReplicas(f, "2", false); // as inherited when the file was made
        v.write(f, 0, NativeBuffer.pattern(7, 2 * BS));
        rounds(SEAL_AFTER + 1);
        assertTrue(sealed(f, 0) && sealed(f, 1));
        assertEquals(1, replica(f, 0), "the ssd block's replica is on hdd");
        assertEquals(1, replica(f, 1));
        setReplicas(f, "1", true);
        rounds(1);
        assertEquals(-1, replica(f, 0));
        assertEquals(-1, replica(f, 1));
        assertTrue(sealed(f, 0), "still sealed");
        setReplicas(f, "2", true);
        rounds(1);
        assertEquals(1, replica(f, 0), "sealed already: replicated in the next round");
    }

    @Test
    void aBadCopyAReadFoundIsRewrittenFromTheReplicaInTheNextRound() throws IOException {
        open(true);
        Inode f = v.mkfile(Inodes.ROOT, "f");
        setReplicas(f, "2", false);
        byte[] data = NativeBuffer.pattern(8, BS);
        v.write(f, 0, data);
        rounds(SEAL_AFTER + 1);
        try (TierFile t = v.blocks.tier(0).open(f.ino); NativeBuffer junk = NativeBuffer.of(new byte[] {1, 2, 3})) {
            t.write(0, 100, junk.address, 3);
        }
        assertArrayEquals(data, v.read(f, 0, BS), "served from the replica");
        rounds(1);
        assertEquals(1, v.blocks.seals().repaired());
        assertEquals(0, replica(f, 0), "the rewritten copy is the replica now, on ssd");
        try (TierFile t = v.blocks.tier(0).open(f.ino); NativeBuffer b = NativeBuffer.garbage(BS)) {
            t.read(0, 0, b.address, BS);
            assertArrayEquals(data, b.bytes(), "the bad copy was rewritten");
        }
    }

    @Test
    void sealedBlocksMissingTheirReplicasAreFoundInTheBlockMap() throws IOException {
        open(true);
        Inode f = v.mkfile(Inodes.ROOT, "f");
        byte[] data = NativeBuffer.pattern(9, 2 * BS);
        v.write(f, 0, data);
        sealer.stop();
        sealer.sealEverything();
        setReplicas(f, "2", false); // the sealer is not told: as if a crash lost its replicas
        remountAndSealEverything();
        assertEquals(1, replica(f, 0));
        assertEquals(1, replica(f, 1));
        assertArrayEquals(data, v.read(v.inodes.get(f.ino), 0, 2 * BS));
    }
}
