package io.tierfs.tier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.testutil.NativeBuffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The tier contract for {@link DirectoryTier}, plus what is particular to a tier kept in sparse files. */
class DirectoryTierTest extends TierContractTest {

    @Override
    protected Tier newTier(Path dir, int blockSize, long limitBytes) throws IOException {
        return new DirectoryTier("test", dir, blockSize, limitBytes);
    }

    private DirectoryTier dirTier() {
        return (DirectoryTier) tier;
    }

    @Test
    void tierDirectoryAndShardsAreMode0700() throws IOException {
        Set<PosixFilePermission> owner = PosixFilePermissions.fromString("rwx------");
        assertEquals(owner, Files.getPosixFilePermissions(tierDir()));
        assertEquals(owner, Files.getPosixFilePermissions(tierDir().resolve("00")));
        assertEquals(owner, Files.getPosixFilePermissions(tierDir().resolve("ff")));
        try (var shards = Files.list(tierDir())) {
            assertEquals(256, shards.count());
        }
        assertEquals(tierDir(), tier.location());
        assertEquals("test", tier.name());
    }

    /**
     * A write reaches its tier file in pieces of at most 32 KiB, each ending at a multiple of it:
     * the page cache makes folios as large as the write, and later small writes into large ones
     * cost (see DirectoryTierFile). Counted with this thread's write calls.
     */
    @Test
    void aLargeWriteReachesItsTierFileIn32KiBPiecesEndingOnTheirBoundaries() throws IOException {
        TierFile f = open(tier, 7);
        byte[] first = NativeBuffer.pattern(3, BS);
        write(f, 1, 0, first);
        byte[] data = NativeBuffer.pattern(4, 100 << 10); // from 20 KiB into block 1: 84..184 KiB of the file
        long before = threadWriteCalls();
        try (NativeBuffer b = NativeBuffer.of(data)) {
            f.write(1, 20 << 10, b.address, data.length);
        }
        assertEquals(4, threadWriteCalls() - before, "84..96, 96..128, 128..160, 160..184 KiB");
        assertArrayEquals(java.util.Arrays.copyOf(first, 20 << 10), read(f, 1, 0, 20 << 10));
        assertArrayEquals(data, read(f, 1, 20 << 10, data.length));
    }

    private static long threadWriteCalls() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/io"))) {
            if (line.startsWith("syscw:")) {
                return Long.parseLong(line.substring(6).trim());
            }
        }
        throw new IllegalStateException("no syscw in /proc/thread-self/io");
    }

    @Test
    void tierFilesAreCreatedOwnerReadWriteOnly() throws IOException {
        TierFile f = open(tier, 0x1234);
        write(f, 0, 0, NativeBuffer.pattern(1, 10));
        Path path = dirTier().pathOf(0x1234);
        assertEquals(tierDir().resolve("34").resolve(Integer.toString(0x1234)), path);
        assertTrue(Files.isRegularFile(path));
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(path);
        assertTrue(perms.contains(PosixFilePermission.OWNER_READ) && perms.contains(PosixFilePermission.OWNER_WRITE),
            "owner can read and write: " + perms);
        assertTrue(PosixFilePermissions.fromString("rw-------").containsAll(perms),
            "no permission beyond 0600: " + PosixFilePermissions.toString(perms));
    }

    @Test
    void newTierFilesAreSpareUnnamedFilesLinkedIntoPlaceAndNeverReplaceOne() throws Exception {
        write(open(tier, 1), 0, 0, NativeBuffer.pattern(1, 10)); // made in place: its take starts the pool
        SpareFiles spares = dirTier().spares();
        awaitSpares(spares, SpareFiles.HIGH);
        try (var entries = Files.list(tierDir())) {
            assertEquals(256, entries.count(), "spares have no name: the tier directory holds its shards only");
        }

        TierFile f = open(tier, 2);
        write(f, 1, 5, NativeBuffer.pattern(2, 100));
        assertEquals(SpareFiles.HIGH - 1, spares.ready(), "the new tier file was a spare");
        assertArrayEquals(NativeBuffer.pattern(2, 100), read(f, 1, 5, 100));
        assertTrue(PosixFilePermissions.fromString("rw-------").containsAll(
            Files.getPosixFilePermissions(dirTier().pathOf(2))));
        long[] stored = tier.storedInodes();
        java.util.Arrays.sort(stored);
        assertArrayEquals(new long[] {1, 2}, stored);

        Path existing = dirTier().pathOf(3);
        Files.write(existing, NativeBuffer.pattern(3, 10));
        assertEquals(-1, dirTier().takeSpare(existing.toString()), "a tier file is never replaced");
        assertArrayEquals(NativeBuffer.pattern(3, 10), Files.readAllBytes(existing));
        assertEquals(SpareFiles.HIGH - 1, spares.ready(), "the spare is kept");
    }

    @Test
    void aTierThatTurnsUnavailableClosesItsSparesAndMakesNewOnesOnceBack() throws Exception {
        write(open(tier, 1), 0, 0, NativeBuffer.pattern(1, 10)); // starts the pool
        SpareFiles spares = dirTier().spares();
        awaitSpares(spares, SpareFiles.HIGH);
        assertEquals(SpareFiles.HIGH, unnamedFilesOpenIn(tierDir()));
        Path shard = tierDir().resolve("00");
        Path away = tierDir().resolve("00.away");
        Files.move(shard, away);
        try {
            tier.checkHealth();
            assertEquals(0, spares.ready(), "an unavailable tier keeps no spare");
            assertEquals(0, unnamedFilesOpenIn(tierDir()), "their descriptors are closed: nothing keeps its filesystem busy");
        } finally {
            Files.move(away, shard);
        }
        tier.checkHealth();
        write(open(tier, 2), 0, 0, NativeBuffer.pattern(2, 10)); // made in place; its take refills the pool
        awaitSpares(spares, SpareFiles.HIGH);
        TierFile f = open(tier, 3);
        write(f, 0, 0, NativeBuffer.pattern(3, 10));
        assertEquals(SpareFiles.HIGH - 1, spares.ready(), "new tier files are spares again");
        assertArrayEquals(NativeBuffer.pattern(3, 10), read(f, 0, 0, 10));
    }

    private static void awaitSpares(SpareFiles spares, int n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (spares.ready() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(n, spares.ready(), "the pool fills up to its high mark");
    }

    /** Descriptors of this process on unnamed files made in {@code dir} (shown as "dir/#INO (deleted)"). */
    private static long unnamedFilesOpenIn(Path dir) throws IOException {
        long n = 0;
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith(dir + "/#") && target.endsWith(" (deleted)")) {
                        n++;
                    }
                } catch (IOException gone) {
                    // the directory stream's own descriptor, closed meanwhile
                }
            }
        }
        return n;
    }

    @Test
    void reopeningAnExistingTierDirectoryKeepsItsFiles() throws IOException {
        write(open(tier, 300), 2, 0, NativeBuffer.pattern(300, 100));
        Tier again = track(newTier(tierDir(), BS, 0));
        assertEquals(1, again.storedInodes().length);
        assertEquals(300, again.storedInodes()[0]);
    }

    @Test
    void discardToTheEndTruncatesTheFileAndAMiddleDiscardPunches() throws IOException {
        TierFile f = open(tier, 301);
        for (long i = 0; i < 4; i++) {
            write(f, i, 0, NativeBuffer.pattern(i, BS));
        }
        Path path = dirTier().pathOf(301);
        assertEquals(4L * BS, Files.size(path));
        f.discard(1, 2);
        assertEquals(4L * BS, Files.size(path), "a hole keeps the size");
        long before = allocatedBytes(path);
        assertTrue(before <= 3L * BS, "the punched block's space is freed: " + before);
        f.discard(2, Long.MAX_VALUE);
        assertEquals(2L * BS, Files.size(path));
        f.discard(0, 2); // covers the end of the file: truncates
        assertEquals(0, Files.size(path));
        assertTrue(Files.exists(path), "discard keeps the (empty) file; delete removes it");
        tier.delete(301);
        assertFalse(Files.exists(path));
    }

    @Test
    void reserveAllocatesRealSpace() throws IOException {
        TierFile f = open(tier, 302);
        f.reserve(5);
        Path path = dirTier().pathOf(302);
        assertEquals(6L * BS, Files.size(path), "a reservation of block 5 extends the file to cover it");
        assertTrue(allocatedBytes(path) >= BS, "space is allocated: " + allocatedBytes(path));
    }

    @Test
    void anUncachedTierLeavesNoPagesOfWhatItReadInThePageCache() throws IOException {
        DirectoryTier slow = (DirectoryTier) track(newTier(tempDir.resolve("slow"), BS, 0));
        slow.uncachedReads();
        TierFile f = open(slow, 303);
        byte[] data = NativeBuffer.pattern(303, 4 * BS);
        write(f, 0, 0, data);
        f.sync(); // written back: its pages are clean, and can be dropped
        assertArrayEquals(data, read(f, 0, 0, 4 * BS));
        assertEquals(0, cachedPages(slow.pathOf(303)), "no page of what was read stays cached");
        TierFile cached = open(tier, 304);
        write(cached, 0, 0, data);
        cached.sync();
        read(cached, 0, 0, 4 * BS);
        assertTrue(cachedPages(dirTier().pathOf(304)) > 0, "an ordinary tier keeps them");
    }

    /** Pages of the file in the page cache, as fincore counts them. */
    private static long cachedPages(Path path) throws IOException {
        return Long.parseLong(run("fincore", "--noheadings", "--bytes", "--output", "PAGES", path.toString()));
    }

    /** st_blocks * 512, which java.nio does not expose. */
    private static long allocatedBytes(Path path) throws IOException {
        String[] parts = run("stat", "-c", "%b %B", path.toString()).split(" ");
        return Long.parseLong(parts[0]) * Long.parseLong(parts[1]);
    }

    /** What a command prints, trimmed; an IOException if it fails. */
    private static String run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (p.waitFor() != 0) {
                throw new IOException(command[0] + " failed: " + out);
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            p.destroy();
        }
    }
}
