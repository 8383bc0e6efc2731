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
import org.junit.jupiter.api.Timeout;

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
     * before its memory is reused, and none may begin after; and a block added while another of
     * its inode leaves must stay findable. Block (ino, i) only ever holds one byte of its own, so
     * a write that landed in a reused slot shows as a wrong byte in another block, and a block
     * the index lost shows in the count.
     */
    @Test
    @Timeout(60)
    void copiesNeverReachAnotherBlocksMemoryWhileBlocksComeAndGo() throws Exception {
        // room for many blocks, so that the map has segments of its own for blocks to race in
        HotTier h = (HotTier) track(newTier(tempDir.resolve("churn"), BS, 256L * BS));
        int inodes = 2;
        int perInode = 6; // few blocks an inode, so that an inode's blocks often all leave
        NativeBuffer[] filled = new NativeBuffer[inodes * perInode];
        for (int k = 0; k < filled.length; k++) {
            byte[] b = new byte[BS];
            java.util.Arrays.fill(b, (byte) (k + 1));
            filled[k] = NativeBuffer.of(b);
        }
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicLong copies = new java.util.concurrent.atomic.AtomicLong();
        java.util.List<Thread> threads = new java.util.ArrayList<>();
        java.util.function.Consumer<java.util.function.IntConsumer> start = body -> {
            int seed = threads.size();
            Thread t = new Thread(() -> {
                try {
                    while (!stop.get() && failed.get() == null) {
                        body.accept(seed);
                    }
                } catch (Throwable e) {
                    failed.compareAndSet(null, e);
                }
            });
            threads.add(t);
            t.start();
        };
        java.util.Random[] random = new java.util.Random[4];
        for (int i = 0; i < random.length; i++) {
            random[i] = new java.util.Random(i);
        }
        // two churners: one removes or adds, the other also puts blocks that are here
        start.accept(seed -> {
            int k = random[seed].nextInt(filled.length);
            if (!h.remove(1 + k / perInode, k % perInode)) {
                h.put(1 + k / perInode, k % perInode, filled[k].address);
            }
        });
        start.accept(seed -> {
            int k = random[seed].nextInt(filled.length);
            if (random[seed].nextBoolean()) {
                h.put(1 + k / perInode, k % perInode, filled[k].address);
            } else {
                h.remove(1 + k / perInode, k % perInode);
            }
        });
        for (int w = 0; w < 2; w++) {
            start.accept(seed -> {
                java.util.Random r = random[seed];
                int k = r.nextInt(filled.length);
                int offset = r.nextInt(BS);
                if (h.update(1 + k / perInode, k % perInode, offset, filled[k].address, 1 + r.nextInt(BS - offset))) {
                    copies.incrementAndGet();
                }
            });
        }
        java.util.Random r = new java.util.Random(99);
        long reads = 0;
        try (NativeBuffer out = new NativeBuffer(BS)) {
            long end = System.nanoTime() + 1_000_000_000L;
            while (failed.get() == null && (System.nanoTime() < end || reads < 1000 || copies.get() < 1000)) {
                int k = r.nextInt(filled.length);
                if (h.read(1 + k / perInode, k % perInode, 0, out.address, BS)) {
                    reads++;
                    int wrong = java.util.Arrays.mismatch(out.bytes(), filled[k].bytes());
                    long n = reads;
                    assertEquals(-1, wrong, () -> "block " + k + " byte " + wrong + " after " + n + " reads");
                }
            }
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
        }
        try {
            if (failed.get() != null) {
                throw new AssertionError("a churning thread failed", failed.get());
            }
            long held = 0;
            try (NativeBuffer out = new NativeBuffer(BS)) {
                for (int k = 0; k < filled.length; k++) {
                    boolean here = h.holds(1 + k / perInode, k % perInode);
                    assertEquals(here, h.read(1 + k / perInode, k % perInode, 0, out.address, BS), "block " + k);
                    held += here ? 1 : 0;
                }
            }
            assertEquals(held, h.blockCount(), "every block the map holds is found");
            for (int ino = 1; ino <= inodes; ino++) {
                java.util.List<Long> listed = new java.util.ArrayList<>();
                for (long index : h.storedBlocks(ino)) {
                    listed.add(index);
                }
                java.util.List<Long> found = new java.util.ArrayList<>();
                for (int i = 0; i < perInode; i++) {
                    if (h.holds(ino, i)) {
                        found.add((long) i);
                    }
                }
                assertEquals(found, listed, "inode " + ino + "'s blocks as a delete or punch finds them");
            }
            assertEquals(0, h.slotsRepaired(), "no block went missing from the index meanwhile");
        } finally {
            for (NativeBuffer b : filled) {
                b.close();
            }
        }
    }

    /** The hot path: a read or write of a copy allocates nothing (a boxed key cost 48 bytes a call). */
    @Test
    void readingAndWritingACopyAllocatesNothing() throws IOException {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().getId();
        try (NativeBuffer b = NativeBuffer.of(NativeBuffer.pattern(6, BS))) {
            for (long i = 0; i < 300; i++) {
                assertTrue(hot().put(100_000, 1000 + i, b.address));
            }
            int calls = 200_000;
            long before = 0;
            for (int round = 0; round < 2; round++) { // the first warms up
                before = threads.getThreadAllocatedBytes(self);
                for (int i = 0; i < calls; i++) {
                    long index = 1000 + i % 300;
                    hot().update(100_000, index, 4096, b.address, 4096);
                    hot().read(100_000, index, 0, b.address, 4096);
                }
            }
            long bytes = threads.getThreadAllocatedBytes(self) - before;
            assertTrue(bytes < calls, bytes + " bytes allocated by " + 2 * calls + " calls");
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
