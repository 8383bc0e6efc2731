package io.tierfs.integrity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.block.BlockRef;
import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.namespace.Inode;
import io.tierfs.namespace.Inodes;
import io.tierfs.namespace.TestVolume;
import io.tierfs.namespace.TierAttributes;
import io.tierfs.testutil.NativeBuffer;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scrubs: every copy of every sealed block checked, bad ones rewritten from their twins, progress kept across remounts. */
class ScrubberTest {
    private static final int BS = TestVolume.BS;

    @TempDir
    static Path tierRoot;
    @TempDir
    Path dir;
    private TestVolume v;
    private Scrubber scrubber;

    @AfterEach
    void close() {
        if (scrubber != null) {
            scrubber.close();
        }
        if (v != null) {
            v.close();
        }
    }

    private void reopen() throws IOException {
        scrubber.close();
        v.close();
        v = TestVolume.open(dir, tierRoot);
        scrubber = new Scrubber(v.blocks, v.inodes);
    }

    /** A file of {@code blocks} blocks, sealed, with replicas if {@code replicated}. */
    private Inode sealedFile(String name, int blocks, boolean replicated) throws IOException {
        Inode f = v.mkfile(Inodes.ROOT, name);
        if (replicated) {
            try (MetadataStore.Batch b = v.meta.newBatch()) {
                b.put(Keys.xattr(f.ino, TierAttributes.REPLICAS.getBytes(StandardCharsets.US_ASCII)),
                    "2".getBytes(StandardCharsets.US_ASCII));
                v.meta.commit(b, false);
            }
        }
        v.write(f, 0, NativeBuffer.pattern(name.hashCode(), blocks * BS));
        return f;
    }

    private void sealEverything() throws IOException {
        try (Sealer sealer = new Sealer(v.blocks, v.inodes, 30, 1L << 30)) {
            sealer.stop();
            sealer.sealEverything();
        }
    }

    private void flipByte(Inode f, int tier, long index) throws IOException {
        try (TierFile t = v.blocks.tier(tier).open(f.ino); NativeBuffer junk = NativeBuffer.of(new byte[] {1, 2, 3})) {
            t.write(index, 200, junk.address, 3);
        }
    }

    private Map<String, Object> runToEnd() {
        for (int i = 0; i < 1000 && "running".equals(scrubber.status().get("phase")); i++) {
            scrubber.round();
        }
        return scrubber.status();
    }

    private static long count(Map<String, Object> s, String field) {
        return ((Number) s.get(field)).longValue();
    }

    @Test
    void everyCopyIsCheckedBadOnesRewrittenAndTheUnrecoverableNamed() throws IOException {
        v = TestVolume.create(dir, tierRoot);
        Inode a = sealedFile("a", 3, true);
        Inode b = sealedFile("b", 2, false);
        sealEverything();
        assertEquals(1, BlockRef.decode(v.meta.get(Keys.block(a.ino, 1))).replica(), "a's blocks are replicated");
        flipByte(a, 0, 1); // a good replica on hdd: repaired
        flipByte(b, 0, 0); // no replica: unrecoverable
        scrubber = new Scrubber(v.blocks, v.inodes);
        scrubber.take("start 7 1000000000");
        assertEquals(7L, count(scrubber.status(), "request"));
        Map<String, Object> s = runToEnd();
        assertEquals("done", s.get("phase"));
        assertEquals(5, count(s, "checked"));
        assertEquals(0, count(s, "skipped"), "nothing written or moved meanwhile");
        assertEquals(2, count(s, "bad"));
        assertEquals(1, count(s, "repaired"));
        assertEquals(1, count(s, "unrecoverable"));
        assertEquals(List.of("/b (inode " + b.ino + ") block 0"), s.get("unrecoverableBlocks"));
        assertArrayEquals(NativeBuffer.pattern("a".hashCode(), 3 * BS), v.read(a, 0, 3 * BS), "a reads back whole");
        scrubber.take("start 8 1000000000");
        s = runToEnd();
        assertEquals(1, count(s, "bad"), "a second scrub starts over, and finds only the unrecoverable block");
    }

    /** Three sealed files of two blocks, and a scrub started that checked the first. */
    private void threeFilesOneScrubbed() throws IOException {
        v = TestVolume.create(dir, tierRoot);
        for (int i = 0; i < 3; i++) {
            sealedFile("f" + i, 2, false);
        }
        sealEverything();
        scrubber = new Scrubber(v.blocks, v.inodes);
        scrubber.take("start 1 1000000000");
        scrubber.round(); // one file's blocks
    }

    @Test
    void aStoppedScrubResumesWhereItStoppedAfterARemount() throws IOException {
        threeFilesOneScrubbed();
        scrubber.take("stop 2");
        assertEquals("stopped", scrubber.status().get("phase"));
        reopen();
        Map<String, Object> s = scrubber.status();
        assertEquals("stopped", s.get("phase"), "a stopped scrub stays stopped across a remount");
        assertEquals(2, count(s, "checked"));
        scrubber.take("start 3 1000000000");
        assertEquals(6, count(runToEnd(), "checked"), "resumed: the first file is not checked twice");
    }

    @Test
    void aRunningScrubGoesOnAfterARemount() throws IOException {
        threeFilesOneScrubbed();
        reopen();
        assertEquals("running", scrubber.status().get("phase"));
        assertEquals(6, count(runToEnd(), "checked"));
    }

    @Test
    void aMalformedRequestChangesNothing() throws IOException {
        v = TestVolume.create(dir, tierRoot);
        scrubber = new Scrubber(v.blocks, v.inodes);
        scrubber.take("start now");
        scrubber.take("begin 1 2");
        assertEquals("never", scrubber.status().get("phase"));
        assertTrue(((List<?>) scrubber.status().get("unrecoverableBlocks")).isEmpty());
    }
}
