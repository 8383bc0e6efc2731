package io.tierfs.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksMetadataStoreTest {
    @TempDir
    Path dir;
    private RocksMetadataStore store;

    @BeforeEach
    void open() {
        store = new RocksMetadataStore(dir.resolve("meta"));
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private void reopen() {
        store.close();
        store = null;
        store = new RocksMetadataStore(dir.resolve("meta"));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private void put(byte[] key, byte[] value) {
        try (MetadataStore.Batch batch = store.newBatch()) {
            batch.put(key, value);
            store.commit(batch, false);
        }
    }

    private List<String> scanKeys(byte[] from, byte[] to) {
        List<String> keys = new ArrayList<>();
        store.scan(from, to, (k, v) -> keys.add(new String(k, StandardCharsets.UTF_8)));
        return keys;
    }

    @Test
    void putGetOverwriteDelete() {
        assertNull(store.get(b("a")));
        put(b("a"), b("1"));
        assertArrayEquals(b("1"), store.get(b("a")));
        put(b("a"), b("2"));
        assertArrayEquals(b("2"), store.get(b("a")));
        put(b("empty"), new byte[0]);
        assertArrayEquals(new byte[0], store.get(b("empty")), "an empty value is a value, not an absence");
        try (MetadataStore.Batch batch = store.newBatch()) {
            batch.delete(b("a"));
            batch.delete(b("never-there"));
            store.commit(batch, true);
        }
        assertNull(store.get(b("a")));
        assertArrayEquals(new byte[0], store.get(b("empty")));
    }

    @Test
    void binaryKeysAndValues() {
        byte[] key = Keys.block(Long.MAX_VALUE, -1L);
        byte[] value = new byte[256];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) i;
        }
        put(key, value);
        assertArrayEquals(value, store.get(key));
    }

    @Test
    void aBatchIsInvisibleUntilCommittedThenWhollyVisible() {
        put(b("old"), b("x"));
        try (MetadataStore.Batch batch = store.newBatch()) {
            for (int i = 0; i < 100; i++) {
                batch.put(b("k" + i), b("v" + i));
            }
            batch.delete(b("old"));
            assertEquals(101, batch.size());
            // Nothing is applied before commit.
            assertNull(store.get(b("k0")));
            assertNull(store.get(b("k99")));
            assertArrayEquals(b("x"), store.get(b("old")));
            store.commit(batch, false);
        }
        for (int i = 0; i < 100; i++) {
            assertArrayEquals(b("v" + i), store.get(b("k" + i)));
        }
        assertNull(store.get(b("old")));
    }

    @Test
    void aBatchClosedWithoutCommitChangesNothing() {
        put(b("kept"), b("k"));
        try (MetadataStore.Batch batch = store.newBatch()) {
            batch.put(b("a"), b("1"));
            batch.delete(b("kept"));
        }
        assertNull(store.get(b("a")));
        assertArrayEquals(b("k"), store.get(b("kept")));
    }

    @Test
    void operationsInABatchApplyInOrder() {
        try (MetadataStore.Batch batch = store.newBatch()) {
            batch.put(b("a"), b("1"));
            batch.delete(b("a"));
            batch.put(b("b"), b("1"));
            batch.put(b("b"), b("2"));
            batch.put(b("c1"), b("x"));
            batch.delete(b("c1"));
            batch.put(b("c2"), b("y"));
            store.commit(batch, true);
        }
        assertNull(store.get(b("a")));
        assertArrayEquals(b("2"), store.get(b("b")));
        assertNull(store.get(b("c1")));
        assertArrayEquals(b("y"), store.get(b("c2")));
    }

    @Test
    void keysScannedIntoABatchAreDeletedTogetherAtCommit() {
        // The pattern the namespace uses to drop a range of keys: scan, deleting each key into one batch.
        for (String k : new String[] {"a", "b", "b1", "b2", "bz", "c", "c0", "d"}) {
            put(b(k), b("v"));
        }
        try (MetadataStore.Batch batch = store.newBatch()) {
            store.scan(b("b"), b("c"), (k, v) -> {
                batch.delete(k);
                return true;
            });
            assertEquals(4, batch.size());
            assertArrayEquals(b("v"), store.get(b("b1")), "nothing deleted before the commit");
            store.commit(batch, false);
        }
        assertEquals(List.of("a", "c", "c0", "d"), scanKeys(b("\0"), b("\u007f")));
    }

    @Test
    void deletingOneInodesBlocksFromAnIndexLeavesItsNeighbours() {
        for (long ino = 9; ino <= 11; ino++) {
            for (long i = 0; i < 5; i++) {
                put(Keys.block(ino, i), b("r"));
            }
        }
        put(Keys.inode(10), b("i"));
        try (MetadataStore.Batch batch = store.newBatch()) {
            store.scan(Keys.block(10, 2), Keys.after(Keys.BLOCK, 10), (k, v) -> {
                batch.delete(k);
                return true;
            });
            assertEquals(3, batch.size());
            store.commit(batch, false);
        }
        List<Long> left = new ArrayList<>();
        store.scan(Keys.first(Keys.BLOCK, 10), Keys.after(Keys.BLOCK, 10), (k, v) -> left.add(Keys.blockIndexOf(k)));
        assertEquals(List.of(0L, 1L), left);
        int[] all = {0};
        store.scan(Keys.all(Keys.BLOCK), Keys.allEnd(Keys.BLOCK), (k, v) -> ++all[0] > 0);
        assertEquals(12, all[0]);
        assertArrayEquals(b("i"), store.get(Keys.inode(10)));
    }

    @Test
    void scanVisitsTheHalfOpenRangeInOrder() {
        for (String k : new String[] {"m", "c", "a", "k", "b", "z", "ka"}) {
            put(b(k), b("value-" + k));
        }
        assertEquals(List.of("b", "c", "k", "ka"), scanKeys(b("b"), b("m")));
        assertEquals(List.of("b", "c", "k", "ka"), scanKeys(b("ab"), b("l")));
        assertEquals(List.of(), scanKeys(b("n"), b("y")));
        assertEquals(List.of(), scanKeys(b("c"), b("c")));
        assertEquals(List.of("a", "b", "c", "k", "ka", "m", "z"), scanKeys(b("\0"), b("\u007f")));
        List<String> values = new ArrayList<>();
        store.scan(b("k"), b("l"), (k, v) -> values.add(new String(v, StandardCharsets.UTF_8)));
        assertEquals(List.of("value-k", "value-ka"), values);
    }

    @Test
    void scanStopsWhenTheVisitorSaysSo() {
        for (int i = 0; i < 10; i++) {
            put(b("k" + i), b("v"));
        }
        List<String> seen = new ArrayList<>();
        store.scan(b("k"), b("l"), (k, v) -> {
            seen.add(new String(k, StandardCharsets.UTF_8));
            return seen.size() < 3;
        });
        assertEquals(List.of("k0", "k1", "k2"), seen);
    }

    @Test
    void scanOrdersKeysAsUnsignedBytes() {
        // Big-endian numbers sort in numeric order only if bytes compare unsigned (0x80 after 0x7f).
        put(Keys.inode(0x7f), b("a"));
        put(Keys.inode(0x80), b("b"));
        put(Keys.inode(0xff), b("c"));
        put(Keys.inode(0x100), b("d"));
        List<Long> inos = new ArrayList<>();
        store.scan(Keys.all(Keys.INODE), Keys.allEnd(Keys.INODE), (k, v) -> inos.add(Keys.inoOf(k)));
        assertEquals(List.of(0x7fL, 0x80L, 0xffL, 0x100L), inos);
    }

    @Test
    void dataSurvivesCloseAndReopen() {
        put(b("unsynced"), b("1"));
        try (MetadataStore.Batch batch = store.newBatch()) {
            batch.put(b("synced"), b("2"));
            batch.put(b("gone"), b("3"));
            store.commit(batch, true);
        }
        try (MetadataStore.Batch batch = store.newBatch()) {
            batch.delete(b("gone"));
            store.commit(batch, false);
        }
        reopen();
        assertArrayEquals(b("1"), store.get(b("unsynced")));
        assertArrayEquals(b("2"), store.get(b("synced")));
        assertNull(store.get(b("gone")));
        assertEquals(List.of("synced", "unsynced"), scanKeys(b("\0"), b("\u007f")));
    }

    @Test
    void syncMakesUnsyncedCommitsDurableAndIsRepeatable() throws Exception {
        put(b("a"), b("1"));
        store.sync();
        store.sync();
        put(b("b"), b("2"));
        store.sync();
        assertArrayEquals(b("1"), store.get(b("a")));
        // The write-ahead log holds the commits.
        try (var files = Files.list(dir.resolve("meta"))) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().endsWith(".log")));
        }
        reopen();
        assertArrayEquals(b("1"), store.get(b("a")));
        assertArrayEquals(b("2"), store.get(b("b")));
    }

    @Test
    void aSecondOpenOfTheSameStoreIsRefused() {
        MetadataException e = assertThrows(MetadataException.class, () -> new RocksMetadataStore(dir.resolve("meta")));
        assertTrue(e.getMessage().contains("cannot open metadata store"), e.getMessage());
    }
}
