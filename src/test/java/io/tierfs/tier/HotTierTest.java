package io.tierfs.tier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.NativeIOException;
import io.tierfs.testutil.NativeBuffer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The tier contract for the {@link HotTier}, plus its cache operations and its bound. */
class HotTierTest extends TierContractTest {
    /** What a test tier holds when the contract asks for one without a limit. */
    private static final long DEFAULT_CAPACITY = 64L << 20;

    @Override
    protected Tier newTier(Path dir, int blockSize, long limitBytes) throws IOException {
        return new HotTier(dir, blockSize, limitBytes == 0 ? DEFAULT_CAPACITY : limitBytes);
    }

    private HotTier hot() {
        return (HotTier) tier;
    }

    @Test
    void theCacheOperationsTouchOnlyBlocksThatAreHere() throws IOException {
        byte[] block = NativeBuffer.pattern(5, BS);
        try (NativeBuffer b = NativeBuffer.of(block); NativeBuffer out = NativeBuffer.garbage(100)) {
            assertFalse(hot().read(7, 3, 0, out.address, 100), "not here");
            assertFalse(hot().update(7, 3, 0, b.address, 100), "an update does not make a block");
            assertFalse(hot().holds(7, 3));
            assertTrue(hot().put(7, 3, b.address));
            assertTrue(hot().holds(7, 3));
            assertTrue(hot().read(7, 3, 50, out.address, 100));
            assertArrayEquals(java.util.Arrays.copyOfRange(block, 50, 150), out.bytes());
            assertEquals(1, hot().blockCount());
            assertTrue(hot().remove(7, 3));
            assertFalse(hot().remove(7, 3));
            assertEquals(0, hot().blockCount());
            assertFalse(hot().holds(7, 3));
        }
    }

    /**
     * Reads and writes find a copy's bytes without a query of the map, while blocks come and go
     * and the map gives a removed block's memory to the next one: a copy in progress must end
     * before its memory is reused, and none may begin after. Block i only ever holds the byte i,
     * so a write that landed in a reused slot shows as another byte in another block.
     */
    @Test
    void copiesNeverReachAnotherBlocksMemoryWhileBlocksComeAndGo() throws Exception {
        HotTier h = (HotTier) track(newTier(tempDir.resolve("churn"), BS, 4L * BS));
        int blocks = 12;
        NativeBuffer[] filled = new NativeBuffer[blocks];
        for (int i = 0; i < blocks; i++) {
            byte[] b = new byte[BS];
            java.util.Arrays.fill(b, (byte) (i + 1));
            filled[i] = NativeBuffer.of(b);
        }
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong copies = new java.util.concurrent.atomic.AtomicLong();
        java.util.List<Thread> threads = new java.util.ArrayList<>();
        threads.add(new Thread(() -> {
            java.util.Random r = new java.util.Random(1);
            while (!stop.get()) {
                int i = r.nextInt(blocks);
                if (!h.remove(1, i)) {
                    h.put(1, i, filled[i].address);
                }
            }
        }));
        for (int w = 0; w < 2; w++) {
            int seed = w;
            threads.add(new Thread(() -> {
                java.util.Random r = new java.util.Random(10 + seed);
                while (!stop.get()) {
                    int i = r.nextInt(blocks);
                    int offset = r.nextInt(BS);
                    if (h.update(1, i, offset, filled[i].address, 1 + r.nextInt(BS - offset))) {
                        copies.incrementAndGet();
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        try (NativeBuffer out = new NativeBuffer(BS)) {
            java.util.Random r = new java.util.Random(2);
            long end = System.nanoTime() + 1_000_000_000L;
            long reads = 0;
            while (System.nanoTime() < end || reads < 1000 || copies.get() < 1000) {
                int i = r.nextInt(blocks);
                if (h.read(1, i, 0, out.address, BS)) {
                    reads++;
                    byte[] got = out.bytes();
                    for (int at = 0; at < BS; at++) {
                        assertEquals((byte) (i + 1), got[at], "byte " + at + " of block " + i + " after " + reads + " reads");
                    }
                }
            }
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            for (NativeBuffer b : filled) {
                b.close();
            }
        }
    }

    @Test
    void itHoldsNoMoreBlocksThanItsCapacity() throws IOException {
        Tier small = track(newTier(tempDir.resolve("small"), BS, 4L * BS));
        HotTier h = (HotTier) small;
        try (NativeBuffer b = NativeBuffer.of(NativeBuffer.pattern(1, BS))) {
            for (long i = 0; i < 4; i++) {
                assertTrue(h.put(1, i, b.address), "block " + i);
            }
            assertFalse(h.put(1, 4, b.address), "a fifth block is refused");
            assertTrue(h.put(1, 2, b.address), "replacing a block takes no room");
            NativeIOException full = assertThrows(NativeIOException.class,
                () -> write(open(small, 2), 0, 0, new byte[] {1}));
            assertEquals(Errno.ENOSPC, full.errno());
            h.remove(1, 0);
            assertTrue(h.put(1, 4, b.address), "room again once a block left");
        }
    }

    @Test
    void aLiveResizeIsKeptAcrossMountsWhileTheConfiguredCapacityIsTheSame() throws IOException {
        Path dir = tempDir.resolve("resized");
        HotTier h = (HotTier) track(new HotTier(dir, BS, 4L * BS, 16L * BS, true));
        assertEquals(8L * BS, h.resize(8L * BS), "grown");
        assertEquals(16L * BS, h.resize(100L * BS), "at most its map's");
        assertTrue(h.keepForPins(3));
        assertEquals(3L * BS, h.resize(BS), "at least what pins hold");
        assertFalse(h.keepForPins(4), "more pinned blocks than it holds now");
        close(h);
        HotTier again = (HotTier) track(new HotTier(dir, BS, 4L * BS, 16L * BS, true));
        assertEquals(3L * BS, again.capacityBytes(), "the same hot-capacity: the size the resizes left");
        close(again);
        HotTier changed = (HotTier) track(new HotTier(dir, BS, 5L * BS, 16L * BS, true));
        assertEquals(5L * BS, changed.capacityBytes(), "a new hot-capacity starts from it");
    }

    @Test
    void aMapMadeForAnotherBlockSizeIsReplacedByAnEmptyOne() throws IOException {
        try (NativeBuffer b = NativeBuffer.of(NativeBuffer.pattern(2, BS))) {
            assertTrue(hot().put(9, 0, b.address));
        }
        close(tier);
        Tier other = track(newTier(tierDir(), BS * 2, DEFAULT_CAPACITY));
        assertEquals(0, ((HotTier) other).blockCount());
        assertTrue(Files.exists(tierDir().resolve(HotTier.FILE)));
    }
}
