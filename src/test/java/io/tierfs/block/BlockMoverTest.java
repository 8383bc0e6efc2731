package io.tierfs.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.meta.Keys;
import io.tierfs.testutil.NativeBuffer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Moves of blocks between tiers and in and out of the hot tier, alone and racing the data path: a
 * write that races a move is never lost, and a reader never sees a freed copy.
 */
class BlockMoverTest extends BlockStoreFixture {
    @Test
    void aMoveCopiesCommitsAndFreesTheOldCopy() throws IOException {
        byte[] data = NativeBuffer.pattern(1, 3 * BS);
        write(0, data);
        assertEquals(BS, mover.move(file, 1, HDD));
        assertEquals(HDD, file.ref(1).tier());
        assertEquals(HDD, tierInStore(1), "the switch is committed");
        assertArrayEquals(data, read(0, 3 * BS));
        assertEquals(2L * BS, store.usedBytes(SSD));
        assertEquals(BS, store.usedBytes(HDD));
        try (var ssd = store.tier(SSD).open(INO)) {
            assertArrayEquals(new long[] {0, 2}, ssd.storedBlocks(), "the ssd copy of block 1 is freed");
        }
        assertEquals(0, mover.move(file, 1, HDD), "already there: nothing to do");
        assertEquals(0, mover.move(file, 9, HDD), "a hole: nothing to move");
        assertEquals(BS, mover.move(file, 1, SSD));
        assertArrayEquals(data, read(0, 3 * BS));
        file.close();
        store.close();
        meta.close();
        openStore();
        assertArrayEquals(data, read(0, 3 * BS), "the moves survive a reopen");
    }

    @Test
    void aHotCopyServesReadsFollowsWritesAndGoesOnEviction() throws IOException {
        byte[] data = NativeBuffer.pattern(2, 2 * BS);
        write(0, data);
        assertEquals(BlockMover.Promotion.DONE, mover.promote(file, 0));
        assertTrue(file.ref(0).hot());
        long hotReads = store.reads(2);
        assertArrayEquals(Arrays.copyOf(data, BS), read(0, BS));
        assertEquals(hotReads + 1, store.reads(2), "read from the hot tier");
        byte[] patch = NativeBuffer.pattern(3, 100);
        write(50, patch);
        System.arraycopy(patch, 0, data, 50, 100);
        assertArrayEquals(data, read(0, 2 * BS), "a write reaches the hot copy and the block's own tier");
        mover.evict(file, 0);
        assertFalse(file.ref(0).hot());
        assertFalse(store.hot().holds(INO, 0));
        assertArrayEquals(data, read(0, 2 * BS), "the own tier had every write");
    }

    /**
     * A write over hot blocks is one call of their tier; a block on ssd that it replaces whole
     * loses its copy (placement is told), one it changes in part keeps it, written, and so does
     * one whose own copy is on hdd, whose copy would cost the slow disk a read to make again.
     */
    @Test
    void aWriteReplacingAWholeHotBlockOnSsdDropsItsCopyAndWritesTheOthers() throws IOException {
        byte[] data = NativeBuffer.pattern(10, 4 * BS);
        write(0, data);
        assertEquals(BS, mover.move(file, 3, HDD));
        for (long i = 0; i < 4; i++) {
            assertEquals(BlockMover.Promotion.DONE, mover.promote(file, i));
        }
        List<Long> rewritten = new ArrayList<>();
        store.setEvents(new BlockEvents() {
            @Override
            public void hotRewritten(long ino, long index) {
                rewritten.add(index);
            }
        });
        int ssdWrites = ssd.fileCalls("write");
        byte[] patch = NativeBuffer.pattern(11, 3 * BS - 100);
        write(100, patch);
        System.arraycopy(patch, 0, data, 100, patch.length);
        assertEquals(ssdWrites + 1, ssd.fileCalls("write"), "one call of the tier for the three blocks");
        assertEquals(List.of(1L, 2L), rewritten, "blocks 1 and 2 were replaced whole");
        assertTrue(file.ref(0).hot() && store.hot().holds(INO, 0), "block 0 was written in part: its copy stays");
        assertFalse(file.ref(1).hot() || store.hot().holds(INO, 1) || file.ref(2).hot() || store.hot().holds(INO, 2));
        try (NativeBuffer b = NativeBuffer.garbage(BS)) {
            assertTrue(store.hot().read(INO, 0, 0, b.address, BS));
            assertArrayEquals(Arrays.copyOf(data, BS), b.bytes(), "the copy left has the write's bytes");
        }
        byte[] whole = NativeBuffer.pattern(12, BS);
        write(3L * BS, whole);
        System.arraycopy(whole, 0, data, 3 * BS, BS);
        assertTrue(file.ref(3).hot(), "own copy on hdd: the hot copy is written, not dropped");
        try (NativeBuffer b = NativeBuffer.garbage(BS)) {
            assertTrue(store.hot().read(INO, 3, 0, b.address, BS));
            assertArrayEquals(whole, b.bytes());
        }
        assertEquals(List.of(1L, 2L), rewritten);
        assertArrayEquals(data, read(0, 4 * BS));
    }

    @Test
    void aFullHotTierRefusesAPromotion() throws IOException {
        for (long i = 0; i < 65; i++) {
            write(i * BS, new byte[] {1});
        }
        for (long i = 0; i < 64; i++) {
            assertEquals(BlockMover.Promotion.DONE, mover.promote(file, i));
        }
        assertEquals(BlockMover.Promotion.NO_ROOM, mover.promote(file, 64));
        assertFalse(file.ref(64).hot());
    }

    @Test
    void punchAndTruncateDropHotCopies() throws IOException {
        write(0, NativeBuffer.pattern(4, 4 * BS));
        for (long i = 0; i < 4; i++) {
            mover.promote(file, i);
        }
        file.punch(BS, 2L * BS, 4L * BS);
        assertFalse(store.hot().holds(INO, 1));
        file.shrink(2L * BS + 10, batch -> { });
        assertFalse(store.hot().holds(INO, 3));
        assertTrue(store.hot().holds(INO, 2), "the block holding the new end keeps its (zeroed) copy");
        byte[] tail = read(2L * BS, BS);
        assertTrue(tail[10] == 0 && tail[BS - 1] == 0, "its copy is zeroed past the end too");
    }

    /** A punch or a truncation changes a block's bytes as a write does: a move under way must not survive it. */
    @Test
    void punchAndTruncateSpoilAMoveUnderWay() throws IOException {
        write(0, NativeBuffer.pattern(9, 2 * BS));
        FileBlocks.MoveTicket t = file.beginMove(0);
        file.punch(100, 200, 2L * BS);
        assertFalse(file.finishMove(t, t.ref.withHot(true)), "a punch inside the block spoils its move");
        t = file.beginMove(1);
        file.shrink(BS + 10, batch -> { });
        assertFalse(file.finishMove(t, t.ref.onTier(HDD)), "a truncation zeroing the block's tail spoils it too");
        assertEquals(SSD, file.ref(1).tier());
    }

    /**
     * Two writes to a hot block: the first reaches the block's tier first and would reach its hot
     * copy last. The copy must not keep the first write's bytes over the second's.
     */
    @Test
    void twoWritesRacingOnAHotBlockLeaveNoStaleHotCopy() throws Exception {
        write(0, new byte[BS]);
        assertEquals(BlockMover.Promotion.DONE, mover.promote(file, 0));
        byte[] first = NativeBuffer.pattern(1, 100);
        byte[] second = NativeBuffer.pattern(2, 100);
        ssd.interleave("write", () -> write(0, first), () -> write(0, second));
        byte[] expected = new byte[BS];
        System.arraycopy(second, 0, expected, 0, second.length);
        assertArrayEquals(expected, read(0, BS), "the second write reached the tier last, and a read sees it");
        try (NativeBuffer b = NativeBuffer.garbage(BS)) {
            if (store.hot().read(INO, 0, 0, b.address, BS)) {
                assertArrayEquals(expected, b.bytes(), "a hot copy left holds the tier's bytes");
            }
        }
    }

    @Test
    void aBlockComesUpWithTheBytesAReadFetchedUnlessAWriteCameSince() throws IOException {
        byte[] data = blocksWithOneOnHdd(4, 2, 1);
        int hddReads = hdd.fileCalls("read");
        assertArrayEquals(Arrays.copyOfRange(data, BS + 10, BS + 110), read(BS + 10, 100));
        assertEquals(BS, mover.move(file, 1, SSD));
        assertEquals(hddReads + 1, hdd.fileCalls("read"), "copied from what the read fetched of the block");
        assertEquals(1, mover.fetchedCopies());
        assertArrayEquals(data, read(0, 2 * BS));

        assertEquals(BS, mover.move(file, 1, HDD));
        read(BS + 10, 100);
        byte[] patch = NativeBuffer.pattern(5, 50);
        write(BS + 1000, patch);
        System.arraycopy(patch, 0, data, BS + 1000, patch.length);
        hddReads = hdd.fileCalls("read");
        assertEquals(BS, mover.move(file, 1, SSD));
        assertEquals(hddReads + 1, hdd.fileCalls("read"), "a write came since the read: the block is read from its tier");
        assertEquals(1, mover.fetchedCopies());
        assertArrayEquals(data, read(0, 2 * BS));
    }

    @Test
    void aReadOfABlockAReadFetchedAMomentAgoIsServedFromThereUnlessAWriteCameSince() throws IOException {
        byte[] data = blocksWithOneOnHdd(6, 1, 0);
        int hddReads = hdd.fileCalls("read");
        assertArrayEquals(Arrays.copyOfRange(data, 10, 110), read(10, 100));
        assertArrayEquals(Arrays.copyOfRange(data, 5000, 9000), read(5000, 4000));
        assertEquals(hddReads + 1, hdd.fileCalls("read"), "the second read is served from what the first fetched");

        byte[] patch = NativeBuffer.pattern(7, 50);
        write(6000, patch);
        System.arraycopy(patch, 0, data, 6000, patch.length);
        assertArrayEquals(Arrays.copyOfRange(data, 5000, 9000), read(5000, 4000), "a write came since: the new bytes");
        assertEquals(hddReads + 2, hdd.fileCalls("read"), "read from its tier again");
        assertArrayEquals(data, read(0, BS));
    }

    /** A writer rewrites a block over and over while the mover moves it back and forth: the last write stays. */
    @Test
    void aWriteRacingMovesIsNeverLost() throws Exception {
        write(0, new byte[BS]);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<byte[]> last = new AtomicReference<>();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<?> writer = pool.submit(() -> {
            Random r = new Random(5);
            for (int round = 0; !stop.get(); round++) {
                byte[] data = NativeBuffer.pattern(round, 1 + r.nextInt(BS));
                int at = r.nextInt(BS - data.length + 1);
                write(at, data);
                byte[] model = last.get() == null ? new byte[BS] : last.get().clone();
                System.arraycopy(data, 0, model, at, data.length);
                last.set(model);
            }
            return null;
        });
        int moved = 0;
        int promoted = 0;
        for (int i = 0; i < 120; i++) {
            moved += mover.move(file, 0, i % 2 == 0 ? HDD : SSD) > 0 ? 1 : 0;
            if (file.ref(0).tier() == SSD && mover.promote(file, 0) == BlockMover.Promotion.DONE) {
                promoted++;
                mover.evict(file, 0);
            }
        }
        stop.set(true);
        writer.get();
        pool.shutdown();
        assertArrayEquals(last.get(), read(0, BS), "after " + moved + " moves and " + promoted + " promotions");
        try (var own = store.tier(file.ref(0).tier()).open(INO); NativeBuffer b = NativeBuffer.garbage(BS)) {
            own.read(0, 0, b.address, BS);
            assertArrayEquals(last.get(), b.bytes(), "the block's own tier has it too");
        }
    }

    /** Readers check every read against the block's one content while it moves and gets hot copies. */
    @Test
    void readersNeverSeeAFreedOrHalfMadeCopy() throws Exception {
        byte[] data = NativeBuffer.pattern(6, 2 * BS);
        write(0, data);
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        Future<?>[] readers = new Future<?>[2];
        for (int t = 0; t < readers.length; t++) {
            readers[t] = pool.submit(() -> {
                while (!stop.get()) {
                    assertArrayEquals(data, read(0, 2 * BS));
                }
                return null;
            });
        }
        for (int i = 0; i < 200; i++) {
            mover.move(file, i % 2, i % 4 < 2 ? HDD : SSD);
            if (file.ref(0).tier() == SSD) {
                mover.promote(file, 0);
            }
            if (i % 3 == 0) {
                mover.evict(file, 0);
            }
        }
        stop.set(true);
        for (Future<?> r : readers) {
            r.get();
        }
        pool.shutdown();
    }

    @Test
    void hotCopiesThatDifferFromTheirBlocksAreDroppedAfterACrash() throws IOException {
        write(0, NativeBuffer.pattern(7, 3 * BS));
        for (long i = 0; i < 3; i++) {
            mover.promote(file, i);
        }
        try (NativeBuffer torn = NativeBuffer.of(NativeBuffer.pattern(8, 10))) {
            store.hot().update(INO, 1, 0, torn.address, 10); // as if a crash cut a write in between
        }
        try (NativeBuffer b = NativeBuffer.of(new byte[BS])) {
            store.hot().put(INO + 1, 0, b.address); // a copy of a block that does not exist
        }
        assertEquals(2, HotCopies.verify(store));
        assertTrue(store.hot().holds(INO, 0));
        assertFalse(store.hot().holds(INO, 1));
        assertTrue(store.hot().holds(INO, 2));
        assertNull(meta.get(Keys.block(INO + 1, 0)));
        assertFalse(store.hot().holds(INO + 1, 0));
    }
}
