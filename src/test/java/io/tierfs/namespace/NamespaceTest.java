package io.tierfs.namespace;

import static io.tierfs.namespace.TestVolume.BS;
import static io.tierfs.namespace.TestVolume.n;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.block.FileBlocks;
import io.tierfs.block.Seals;
import io.tierfs.meta.Keys;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.LibC;
import io.tierfs.nativeio.NativeIOException;
import io.tierfs.testutil.NativeBuffer;
import io.tierfs.testutil.FaultyTier;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class NamespaceTest {
    private static final long ROOT = Inodes.ROOT;
    private static final int DT_DIR = 4, DT_REG = 8, DT_LNK = 10;

    @TempDir
    static Path tiers;
    @TempDir
    Path dir;
    private TestVolume v;

    @BeforeEach
    void format() throws IOException {
        v = TestVolume.create(dir, tiers);
    }

    @AfterEach
    void close() {
        v.close();
    }

    private static void assertErrno(int errno, Executable op) {
        FsException e = assertThrows(FsException.class, op);
        assertEquals(errno, e.errno(), "errno (" + e.getMessage() + ")");
    }

    private Map<String, Long> names(long dirIno) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (DirEntry e : v.ns.list(dirIno)) {
            m.put(new String(e.name(), StandardCharsets.UTF_8), e.ino());
        }
        return m;
    }

    private long lookupIno(long parent, String name) {
        Inode i = v.ns.lookup(parent, n(name));
        v.inodes.forget(i.ino, 1);
        return i.ino;
    }

    // ---------------------------------------------------------------- create, lookup, names

    @Test
    void formatMakesARootDirectory() {
        Inode root = v.inodes.get(ROOT);
        assertTrue(FileMode.isDirectory(root.mode()));
        assertEquals(0755, root.mode() & FileMode.PERMISSION_BITS);
        assertEquals(2, root.nlink());
        assertEquals(List.of(".", ".."), List.copyOf(names(ROOT).keySet()));
        assertEquals(ROOT, names(ROOT).get(".."));
        assertSame(root, v.ns.lookup(ROOT, n(".")));
        assertSame(root, v.ns.lookup(ROOT, n("..")));
    }

    @Test
    void createThenLookup() {
        Inode f = v.ns.create(ROOT, n("file"), FileMode.S_IFREG | 0640, 0, null, 10, 20);
        assertTrue(f.ino > ROOT);
        assertEquals(1, f.lookups, "creation gives the kernel one reference");
        Attributes a = TestVolume.attrs(f);
        assertEquals(f.ino, a.ino);
        assertEquals(FileMode.S_IFREG | 0640, a.mode);
        assertEquals(10, a.uid);
        assertEquals(20, a.gid);
        assertEquals(1, a.nlink);
        assertEquals(0, a.size);
        assertEquals(0, a.blocks512);
        assertTrue(a.mtimeNanos > 0 && a.ctimeNanos == a.mtimeNanos);

        Inode found = v.ns.lookup(ROOT, n("file"));
        assertSame(f, found);
        assertEquals(2, f.lookups, "a lookup takes one more reference");
        assertNotNull(v.stored(f.ino), "the inode record is committed");
        assertEquals(FileMode.S_IFREG | 0640, v.stored(f.ino).mode);
        assertTrue(v.hasKey(Keys.dirent(ROOT, n("file"))));

        Inode d = v.mkdir(ROOT, "dir");
        assertEquals(f.ino + 1, d.ino, "inode numbers are handed out in order");
        Inode inner = v.mkfile(d.ino, "inner");
        assertSame(inner, v.ns.lookup(d.ino, n("inner")));
        assertSame(d, v.ns.lookup(d.ino, n(".")));
        assertSame(v.inodes.get(ROOT), v.ns.lookup(d.ino, n("..")));

        assertErrno(Errno.ENOENT, () -> v.ns.lookup(ROOT, n("missing")));
        assertErrno(Errno.ENOENT, () -> v.ns.lookup(ROOT, n("inner")));
        assertErrno(Errno.ENOTDIR, () -> v.ns.lookup(f.ino, n("x")));
        assertErrno(Errno.ENOTDIR, () -> v.mkfile(f.ino, "x"));
        assertErrno(Errno.ENOENT, () -> v.ns.lookup(999, n("x")));
    }

    @Test
    void createOfAnExistingNameIsEexist() {
        Inode f = v.mkfile(ROOT, "a");
        v.mkdir(ROOT, "d");
        assertErrno(Errno.EEXIST, () -> v.mkfile(ROOT, "a"));
        assertErrno(Errno.EEXIST, () -> v.mkdir(ROOT, "a"));
        assertErrno(Errno.EEXIST, () -> v.mkfile(ROOT, "d"));
        assertEquals(3, v.inodes.get(ROOT).nlink(), "the failed mkdir counted no link");
        assertEquals(f.ino, lookupIno(ROOT, "a"));
        assertEquals(List.of(".", "..", "a", "d"), List.copyOf(names(ROOT).keySet()));
    }

    @Test
    void namesOf255BytesWorkAnd256AreTooLong() throws IOException {
        String ok = "x".repeat(255);
        String tooLong = "y".repeat(256);
        Inode f = v.mkfile(ROOT, ok);
        assertEquals(f.ino, lookupIno(ROOT, ok));
        assertTrue(names(ROOT).containsKey(ok));
        // Multi-byte: 85 three-byte characters are 255 bytes.
        String wide = "\u20ac".repeat(85);
        assertEquals(255, n(wide).length);
        v.mkdir(ROOT, wide);
        assertErrno(Errno.ENAMETOOLONG, () -> v.mkfile(ROOT, "\u20ac".repeat(86)));

        assertErrno(Errno.ENAMETOOLONG, () -> v.mkfile(ROOT, tooLong));
        assertErrno(Errno.ENAMETOOLONG, () -> v.mkdir(ROOT, tooLong));
        assertErrno(Errno.ENAMETOOLONG, () -> v.ns.lookup(ROOT, n(tooLong)));
        assertErrno(Errno.ENAMETOOLONG, () -> v.ns.link(f.ino, ROOT, n(tooLong)));
        assertErrno(Errno.ENAMETOOLONG, () -> v.ns.rename(ROOT, n(ok), ROOT, n(tooLong)));
        assertEquals(f.ino, lookupIno(ROOT, ok), "the failed rename left the name");
        assertFalse(names(ROOT).containsKey(tooLong));
    }

    @Test
    void mkdirAndRmdirKeepLinkCounts() {
        Inode root = v.inodes.get(ROOT);
        Inode a = v.mkdir(ROOT, "a");
        Inode b = v.mkdir(ROOT, "b");
        v.mkfile(ROOT, "f");
        assertEquals(4, root.nlink(), "2 + two subdirectories; files do not count");
        assertEquals(2, a.nlink());
        Inode c = v.mkdir(a.ino, "c");
        v.mkdir(a.ino, "c2");
        v.mkfile(a.ino, "file");
        assertEquals(4, a.nlink());
        assertEquals(2, c.nlink());
        assertEquals(ROOT, names(a.ino).get(".."));
        assertEquals(a.ino, names(c.ino).get(".."));
        assertEquals(4, v.stored(ROOT).nlink, "the parent's link count is committed with the mkdir");
        assertEquals(4, v.stored(a.ino).nlink);

        v.ns.unlink(ROOT, n("b"), true);
        assertEquals(3, root.nlink());
        assertEquals(3, v.stored(ROOT).nlink);
        assertEquals(0, b.nlink());
        v.ns.unlink(a.ino, n("c2"), true);
        assertEquals(3, a.nlink());
        assertEquals(3, v.stored(a.ino).nlink);
    }

    @Test
    void unlinkAndRmdirErrors() {
        Inode d = v.mkdir(ROOT, "d");
        v.mkfile(d.ino, "inside");
        v.mkfile(ROOT, "f");
        v.mkdir(ROOT, "empty");
        assertErrno(Errno.ENOTEMPTY, () -> v.ns.unlink(ROOT, n("d"), true));
        assertErrno(Errno.ENOTDIR, () -> v.ns.unlink(ROOT, n("f"), true));
        assertErrno(Errno.EISDIR, () -> v.ns.unlink(ROOT, n("empty"), false));
        assertErrno(Errno.ENOENT, () -> v.ns.unlink(ROOT, n("missing"), false));
        assertErrno(Errno.ENOENT, () -> v.ns.unlink(ROOT, n("missing"), true));
        assertEquals(List.of(".", "..", "d", "empty", "f"), List.copyOf(names(ROOT).keySet()), "nothing was removed");

        v.ns.unlink(d.ino, n("inside"), false);
        v.ns.unlink(ROOT, n("d"), true);
        v.ns.unlink(ROOT, n("f"), false);
        v.ns.unlink(ROOT, n("empty"), true);
        assertEquals(List.of(".", ".."), List.copyOf(names(ROOT).keySet()));
        assertErrno(Errno.ENOENT, () -> v.ns.lookup(ROOT, n("f")));
        assertFalse(v.hasKey(Keys.dirent(ROOT, n("f"))));
        assertErrno(Errno.ENOENT, () -> v.mkfile(d.ino, "x"));
    }

    @Test
    void hardLinks() throws IOException {
        Inode f = v.mkfile(ROOT, "f");
        v.write(f, 0, n("shared content"));
        Inode d = v.mkdir(ROOT, "d");
        Inode g = v.ns.link(f.ino, d.ino, n("g"));
        assertSame(f, g);
        assertEquals(2, f.nlink());
        assertEquals(2, v.stored(f.ino).nlink);
        assertEquals(f.ino, lookupIno(d.ino, "g"));
        assertEquals(DT_REG, v.ns.list(d.ino).get(2).type());

        assertErrno(Errno.EPERM, () -> v.ns.link(d.ino, ROOT, n("dirlink")));
        assertErrno(Errno.EEXIST, () -> v.ns.link(f.ino, ROOT, n("d")));
        assertErrno(Errno.ENOTDIR, () -> v.ns.link(f.ino, f.ino, n("x")));
        assertEquals(2, f.nlink());

        v.ns.unlink(ROOT, n("f"), false);
        assertEquals(1, f.nlink());
        assertFalse(v.hasKey(Keys.orphan(f.ino)), "a file with a name left is no orphan");
        assertArrayEquals(n("shared content"), v.readAll(v.inodes.get(lookupIno(d.ino, "g"))));
        assertEquals(2, d.nlink(), "a hard link is no subdirectory");
    }

    @Test
    void theNamesOfDirectoriesMadeByThisMountAreHeldAndAgreeWithTheStoreThroughEveryChange() {
        Inode a = v.mkdir(ROOT, "a");
        Inode b = v.mkdir(ROOT, "b");
        long[] dirs = {ROOT, a.ino, b.ino};
        String[] pool = {"f0", "f1", "f2", "f3", "f4", "f5"};
        DirectoryNames held = v.inodes.names();
        Random rnd = new Random(25);
        int changes = 0;
        for (int step = 0; step < 3000; step++) {
            long d1 = dirs[rnd.nextInt(dirs.length)];
            long d2 = dirs[rnd.nextInt(dirs.length)];
            String n1 = pool[rnd.nextInt(pool.length)];
            String n2 = pool[rnd.nextInt(pool.length)];
            try {
                switch (rnd.nextInt(6)) {
                    case 0 -> v.mkfile(d1, n1);
                    case 1 -> v.mkdir(d1, n1);
                    case 2 -> v.ns.rename(d1, n(n1), d2, n(n2));
                    case 3 -> v.ns.unlink(d1, n(n1), false);
                    case 4 -> v.ns.unlink(d1, n(n1), true);
                    default -> v.ns.link(lookupIno(d1, n1), d2, n(n2));
                }
                changes++;
            } catch (FsException refused) {
                // EEXIST, ENOENT, EISDIR, ENOTEMPTY...: decided from the names held, checked below
            }
            for (long d : dirs) {
                for (String name : pool) {
                    long inStore = storedChild(d, name);
                    long answered = held.find(d, n(name));
                    if (d == ROOT) {
                        assertEquals(DirectoryNames.UNKNOWN, answered, "the root was made before this Namespace");
                    } else {
                        assertEquals(inStore, answered, "step " + step + ": " + d + "/" + name);
                    }
                    assertEquals(inStore, inStore == 0 ? 0 : lookupIno(d, name), "lookup agrees with the store");
                }
            }
        }
        assertTrue(changes > 1000, "most steps changed something: " + changes);

        v.inodes.forget(b.ino, 1); // the kernel forgets b: its names leave memory, the store answers
        assertEquals(DirectoryNames.UNKNOWN, held.find(b.ino, n("f0")));
        for (String name : pool) {
            long inStore = storedChild(b.ino, name);
            assertEquals(inStore, inStore == 0 ? 0 : lookupIno(b.ino, name));
        }
    }

    private long storedChild(long dirIno, String name) {
        byte[] v = this.v.meta.get(Keys.dirent(dirIno, n(name)));
        return v == null ? 0 : ByteBuffer.wrap(v).getLong();
    }

    // ---------------------------------------------------------------- rename

    @Test
    void aRenamedFilesNewCtimeIsCommittedWhenItLeavesMemoryItsNameAtOnce() throws Exception {
        Inode f = v.mkfile(ROOT, "a");
        long before = v.stored(f.ino).ctimeNanos;
        Thread.sleep(2);
        v.ns.rename(ROOT, n("a"), ROOT, n("b"));
        assertTrue(v.hasKey(Keys.dirent(ROOT, n("b"))), "the name is committed with the rename");
        assertTrue(TestVolume.attrs(f).ctimeNanos > before, "stat shows the rename's ctime");
        assertEquals(before, v.stored(f.ino).ctimeNanos, "not committed with the rename: POSIX allows a crash to lose it");
        v.inodes.forget(f.ino, 1);
        assertEquals(TestVolume.attrs(f).ctimeNanos, v.stored(f.ino).ctimeNanos, "committed when the inode leaves memory");
    }

    @Test
    void inodeNumbersAreReservedAThousandAtATimeAndNeverHandedOutAgainAfterARestart() throws IOException {
        long first = v.mkfile(ROOT, "first").ino;
        long stored = storedNextIno();
        assertEquals(first + Inodes.INO_RESERVATION, stored, "the first create reserves the numbers after it");
        long last = first;
        for (int k = 1; k < Inodes.INO_RESERVATION; k++) {
            last = v.mkfile(ROOT, "f" + k).ino;
            assertTrue(storedNextIno() > last, "the stored record lies above every number handed out");
        }
        assertEquals(stored - 1, last);
        assertEquals(stored, storedNextIno(), "no record while reserved numbers last");
        long over = v.mkfile(ROOT, "over").ino;
        assertEquals(stored, over, "numbers stay dense while the volume is mounted");
        assertEquals(over + Inodes.INO_RESERVATION, storedNextIno(), "the create past the reservation reserves more");
        v.close();
        v = TestVolume.open(dir, tiers);
        long afterRestart = v.mkfile(ROOT, "new").ino;
        assertTrue(afterRestart > over, "a restart skips what was reserved, never reuses a number: " + afterRestart);
    }

    private long storedNextIno() {
        return ByteBuffer.wrap(v.meta.get(Keys.NEXT_INODE)).getLong();
    }

    @Test
    void renameFileOverFile() throws Exception {
        Inode a = v.mkfile(ROOT, "a");
        Inode b = v.mkfile(ROOT, "b");
        Inode small = v.mkfile(ROOT, "small");
        v.write(a, 0, n("from a"));
        v.write(b, 0, NativeBuffer.pattern(2, BS)); // a block: freed once the kernel lets go
        v.write(small, 0, n("inline"));
        v.ns.rename(ROOT, n("a"), ROOT, n("b"));
        assertEquals(List.of(".", "..", "b", "small"), List.copyOf(names(ROOT).keySet()));
        assertEquals(a.ino, names(ROOT).get("b"));
        assertArrayEquals(n("from a"), v.readAll(a));
        assertEquals(0, b.nlink());
        assertTrue(v.hasKey(Keys.orphan(b.ino)), "the replaced file is still referenced by the kernel");
        v.ns.rename(ROOT, n("b"), ROOT, n("small"));
        assertTrue(v.hasKey(Keys.orphan(small.ino)), "a replaced small file is an orphan too: an open of the name"
            + " that raced the rename may still come for it");
        assertArrayEquals(n("inline"), v.read(small, 0, 6), "and reads as it was");
        v.inodes.forget(small.ino, 1);
        assertNull(v.stored(small.ino));
        assertFalse(v.hasKey(Keys.inline(small.ino)));
        assertFalse(v.hasKey(Keys.orphan(small.ino)));
        v.inodes.forget(b.ino, 1);
        assertNull(v.stored(b.ino));
        assertEquals(0, v.countKeys(Keys.BLOCK, b.ino));
        assertEquals(1, a.nlink());
        awaitFreed(b.ino);
    }

    @Test
    void renameDirectoryOverEmptyDirectory() {
        Inode root = v.inodes.get(ROOT);
        Inode a = v.mkdir(ROOT, "a");
        v.mkfile(a.ino, "inside");
        Inode b = v.mkdir(ROOT, "b");
        assertEquals(4, root.nlink());
        v.ns.rename(ROOT, n("a"), ROOT, n("b"));
        assertEquals(3, root.nlink(), "one subdirectory fewer");
        assertEquals(3, v.stored(ROOT).nlink);
        assertEquals(a.ino, lookupIno(ROOT, "b"));
        assertEquals(0, b.nlink());
        assertTrue(names(a.ino).containsKey("inside"));
        assertEquals(List.of(".", "..", "b"), List.copyOf(names(ROOT).keySet()));
    }

    @Test
    void renameErrors() {
        Inode a = v.mkdir(ROOT, "a");
        Inode full = v.mkdir(ROOT, "full");
        v.mkfile(full.ino, "x");
        v.mkfile(ROOT, "f");
        Inode sub = v.mkdir(a.ino, "sub");
        v.mkdir(sub.ino, "deeper");

        assertErrno(Errno.ENOTEMPTY, () -> v.ns.rename(ROOT, n("a"), ROOT, n("full")));
        assertErrno(Errno.EISDIR, () -> v.ns.rename(ROOT, n("f"), ROOT, n("a")));
        assertErrno(Errno.ENOTDIR, () -> v.ns.rename(ROOT, n("a"), ROOT, n("f")));
        assertErrno(Errno.EINVAL, () -> v.ns.rename(ROOT, n("a"), a.ino, n("a2")));
        assertErrno(Errno.EINVAL, () -> v.ns.rename(ROOT, n("a"), sub.ino, n("a2")));
        assertErrno(Errno.EINVAL, () -> v.ns.rename(ROOT, n("a"), lookupIno(sub.ino, "deeper"), n("a2")));
        assertErrno(Errno.ENOENT, () -> v.ns.rename(ROOT, n("missing"), ROOT, n("x")));
        assertErrno(Errno.ENOTDIR, () -> v.ns.rename(ROOT, n("f"), lookupIno(ROOT, "f"), n("x")));

        // Nothing moved.
        assertEquals(List.of(".", "..", "a", "f", "full"), List.copyOf(names(ROOT).keySet()));
        assertEquals(List.of(".", "..", "sub"), List.copyOf(names(a.ino).keySet()));
        assertEquals(List.of(".", "..", "x"), List.copyOf(names(full.ino).keySet()));
        assertEquals(4, v.inodes.get(ROOT).nlink());
        assertEquals(3, a.nlink());
        // Moving a directory up, out of its parent, is allowed.
        v.ns.rename(a.ino, n("sub"), ROOT, n("sub-moved-up"));
        assertEquals(ROOT, sub.parent);
    }

    @Test
    void renameToTheSameInodeDoesNothing() {
        Inode f = v.mkfile(ROOT, "f");
        v.ns.link(f.ino, ROOT, n("g"));
        v.ns.rename(ROOT, n("f"), ROOT, n("g"));
        assertEquals(f.ino, lookupIno(ROOT, "f"), "POSIX: both names stay");
        assertEquals(f.ino, lookupIno(ROOT, "g"));
        assertEquals(2, f.nlink());
        assertFalse(v.hasKey(Keys.orphan(f.ino)));
        v.ns.rename(ROOT, n("f"), ROOT, n("f"));
        assertEquals(f.ino, lookupIno(ROOT, "f"));
        Inode d = v.mkdir(ROOT, "d");
        v.ns.rename(ROOT, n("d"), ROOT, n("d"));
        assertEquals(3, v.inodes.get(ROOT).nlink());
        assertEquals(2, d.nlink());
    }

    @Test
    void renameAcrossDirectoriesUpdatesLinkCountsAndDotDot() {
        Inode d1 = v.mkdir(ROOT, "d1");
        Inode d2 = v.mkdir(ROOT, "d2");
        Inode sub = v.mkdir(d1.ino, "sub");
        Inode f = v.mkfile(d1.ino, "f");
        assertEquals(3, d1.nlink());
        assertEquals(2, d2.nlink());

        v.ns.rename(d1.ino, n("sub"), d2.ino, n("sub2"));
        assertEquals(2, d1.nlink());
        assertEquals(3, d2.nlink());
        assertEquals(2, v.stored(d1.ino).nlink, "both parents are committed with the rename");
        assertEquals(3, v.stored(d2.ino).nlink);
        assertEquals(4, v.inodes.get(ROOT).nlink(), "the grandparent is unchanged");
        List<DirEntry> entries = v.ns.list(sub.ino);
        assertEquals("..", new String(entries.get(1).name(), StandardCharsets.US_ASCII));
        assertEquals(d2.ino, entries.get(1).ino(), "'..' follows the move");
        assertEquals(d2.ino, v.stored(sub.ino).parent);
        assertSame(d2, v.ns.lookup(sub.ino, n("..")));
        assertFalse(names(d1.ino).containsKey("sub"));
        assertEquals(sub.ino, names(d2.ino).get("sub2"));

        // A file moves without changing any link count.
        v.ns.rename(d1.ino, n("f"), d2.ino, n("f"));
        assertEquals(2, d1.nlink());
        assertEquals(3, d2.nlink());
        assertEquals(1, f.nlink());
        assertEquals(f.ino, lookupIno(d2.ino, "f"));

        // A directory over an empty directory in another parent.
        Inode target = v.mkdir(d1.ino, "target");
        assertEquals(3, d1.nlink());
        v.ns.rename(d2.ino, n("sub2"), d1.ino, n("target"));
        assertEquals(3, d1.nlink(), "gained sub, lost target");
        assertEquals(2, d2.nlink());
        assertEquals(0, target.nlink());
        assertEquals(d1.ino, names(sub.ino).get(".."));
        assertEquals(3, v.stored(d1.ino).nlink);
        assertEquals(2, v.stored(d2.ino).nlink);
    }

    // ---------------------------------------------------------------- list

    @Test
    void listShowsDotDotDotAndEveryEntryWithItsType() {
        Inode d = v.mkdir(ROOT, "dir");
        Inode f = v.mkfile(ROOT, "file");
        Inode l = v.ns.create(ROOT, n("link"), FileMode.S_IFLNK | 0777, 0, n("file"), 0, 0);
        Inode fifo = v.ns.create(ROOT, n("pipe"), FileMode.S_IFIFO | 0600, 0, null, 0, 0);
        List<DirEntry> entries = v.ns.list(ROOT);
        assertEquals(6, entries.size());
        String[] names = entries.stream().map(e -> new String(e.name(), StandardCharsets.UTF_8)).toArray(String[]::new);
        assertArrayEquals(new String[] {".", "..", "dir", "file", "link", "pipe"}, names);
        assertEquals(ROOT, entries.get(0).ino());
        assertEquals(ROOT, entries.get(1).ino());
        assertEquals(DT_DIR, entries.get(0).type());
        assertEquals(d.ino, entries.get(2).ino());
        assertEquals(DT_DIR, entries.get(2).type());
        assertEquals(f.ino, entries.get(3).ino());
        assertEquals(DT_REG, entries.get(3).type());
        assertEquals(l.ino, entries.get(4).ino());
        assertEquals(DT_LNK, entries.get(4).type());
        assertEquals(fifo.ino, entries.get(5).ino());
        assertEquals(1, entries.get(5).type()); // DT_FIFO

        assertArrayEquals(n("file"), v.files.readlink(l));
        assertEquals(4, l.size(), "a symlink's size is its target's length");
        assertErrno(Errno.EINVAL, () -> v.files.readlink(f));
        assertErrno(Errno.ENOTDIR, () -> v.ns.list(f.ino));
        assertEquals(List.of(".", ".."), List.copyOf(names(d.ino).keySet()));
    }

    // ---------------------------------------------------------------- setattr

    @Test
    void droppingPrivilegesClearsSetUidAlwaysAndSetGidWithGroupExecuteOrForOutsiders() throws IOException {
        Inode f = v.mkfile(ROOT, "f");
        v.files.setattr(f, FileOps.SET_MODE, 0, 0, 0, 0, 0, 0);
        assertFalse(v.files.dropSetId(f, true), "nothing to drop: no change");

        v.files.setattr(f, FileOps.SET_MODE, 06775, 0, 0, 0, 0, 0);
        assertTrue(v.files.dropSetId(f, false));
        assertEquals(FileMode.S_IFREG | 0775, f.mode());
        assertEquals(FileMode.S_IFREG | 0775, v.stored(f.ino).mode, "the dropped bits are stored");

        v.files.setattr(f, FileOps.SET_MODE, 06745, 0, 0, 0, 0, 0);
        v.files.setattr(f, FileOps.SET_UID | FileOps.SET_DROP_SETID, 0, 5, 0, 0, 0, 0);
        assertEquals(FileMode.S_IFREG | 02745, f.mode(), "set-group-ID without group execute is a locking mark");
        assertEquals(5, TestVolume.attrs(f).uid);
        v.files.setattr(f, FileOps.SET_DROP_SETID | FileOps.SET_DROP_LOCK_MARK, 0, 0, 0, 0, 0, 0);
        assertEquals(FileMode.S_IFREG | 0745, f.mode(), "a caller outside the group drops the mark too");

        byte[] capability = "security.capability".getBytes(StandardCharsets.US_ASCII);
        v.xattrs.set(f, capability, new byte[20], 0);
        assertTrue(v.xattrs.dropCapabilities(f));
        assertErrno(Errno.ENODATA, () -> v.xattrs.get(f, capability));
        assertFalse(v.xattrs.dropCapabilities(f));
        // the answer is kept in memory: it must follow later changes
        v.xattrs.set(f, n("user.other"), n("v"), 0);
        assertFalse(v.xattrs.dropCapabilities(f), "another attribute is no capability");
        v.xattrs.set(f, capability, new byte[20], 0);
        assertTrue(v.xattrs.dropCapabilities(f), "capabilities set again go again");
        v.xattrs.remove(f, n("user.other"));
        v.xattrs.set(f, capability, new byte[20], 0);
        v.inodes.forget(f.ino, 1);
        Inode again = v.inodes.acquire(f.ino);
        assertTrue(v.xattrs.dropCapabilities(again), "a reloaded inode asks the store");
        v.inodes.forget(again.ino, 1);
    }

    @Test
    void timesOnAnOpenFileAndChangesToWhatItHasWaitForItsReleaseAModeChangeDoesNot() throws IOException {
        Inode f = v.mkfile(ROOT, "f");
        v.inodes.open(f);
        long storedMtime = v.stored(f.ino).mtimeNanos;
        v.files.setattr(f, FileOps.SET_MTIME, 0, 0, 0, 0, 0, 5L); // tar's utimens on the open file
        v.files.setattr(f, FileOps.SET_UID | FileOps.SET_GID, 0, f.uid, f.gid, 0, 0, 0); // chown to its owner
        assertEquals(5L, TestVolume.attrs(f).mtimeNanos, "the new time shows at once");
        assertEquals(storedMtime, v.stored(f.ino).mtimeNanos, "and waits for the release");

        v.files.setattr(f, FileOps.SET_MODE, 0640, 0, 0, 0, 0, 0);
        assertEquals(FileMode.S_IFREG | 0640, v.stored(f.ino).mode, "a chmod is committed at once");
        assertEquals(5L, v.stored(f.ino).mtimeNanos, "with the times kept until then");

        v.files.setattr(f, FileOps.SET_ATIME | FileOps.SET_MTIME, 0, 0, 0, 0, 7L, 8L);
        assertEquals(5L, v.stored(f.ino).mtimeNanos);
        v.inodes.persistIfDirty(f, false); // what the release does
        v.inodes.close(f);
        assertEquals(7L, v.stored(f.ino).atimeNanos);
        assertEquals(8L, v.stored(f.ino).mtimeNanos);

        v.files.setattr(f, FileOps.SET_MTIME, 0, 0, 0, 0, 0, 9L);
        assertEquals(9L, v.stored(f.ino).mtimeNanos, "a file nobody has open commits its new times at once");
        long storedCtime = v.stored(f.ino).ctimeNanos;
        v.files.setattr(f, FileOps.SET_MODE | FileOps.SET_UID, 0640, f.uid, 0, 0, 0, 0);
        assertTrue(TestVolume.attrs(f).ctimeNanos > storedCtime, "a chmod and chown to what it has moves ctime");
        assertEquals(storedCtime, v.stored(f.ino).ctimeNanos, "and nothing else: no commit for it");
        v.files.setattr(f, FileOps.SET_MODE, 0600, 0, 0, 0, 0, 0);
        assertEquals(FileMode.S_IFREG | 0600, v.stored(f.ino).mode, "a chmod that changes the mode is committed at once");
    }

    @Test
    void anInodeOutOfTheCacheOpensItsTableFromTheStoreThoughItWasMadeByThisMount() throws IOException {
        Inode first = v.mkfile(ROOT, "f");
        long ino = first.ino;
        v.inodes.forget(ino, 1); // evicted before any table was opened for it
        Inode loaded = v.inodes.acquire(ino);
        assertTrue(first != loaded, "loaded again as another object");
        v.write(loaded, 0, n("written through the loaded inode"));
        FileBlocks stale = v.inodes.blocksOf(first); // a caller that kept the first object
        try (NativeBuffer b = NativeBuffer.garbage(8)) {
            stale.read(0, b.address, 8);
            assertArrayEquals(n("written "), b.bytes(), "its bytes come from the store, not an empty table");
        } finally {
            stale.close();
        }
        v.inodes.forget(ino, 1);
    }

    @Test
    void setattrModeOwnersAndTimes() throws IOException {
        Inode f = v.mkfile(ROOT, "f");
        long before = TestVolume.attrs(f).ctimeNanos;
        // Type bits in the request are ignored: a file stays a file.
        v.files.setattr(f, FileOps.SET_MODE, FileMode.S_IFDIR | 04711, 0, 0, 0, 0, 0);
        assertEquals(FileMode.S_IFREG | 04711, f.mode());
        assertEquals(FileMode.S_IFREG | 04711, v.stored(f.ino).mode);

        v.files.setattr(f, FileOps.SET_UID | FileOps.SET_GID, 0, 1001, 2002, 0, 0, 0);
        Attributes a = TestVolume.attrs(f);
        assertEquals(1001, a.uid);
        assertEquals(2002, a.gid);
        assertEquals(FileMode.S_IFREG | 04711, a.mode, "chown alone leaves the mode");
        v.files.setattr(f, FileOps.SET_UID, 0, 7, 9999, 0, 0, 0);
        assertEquals(7, TestVolume.attrs(f).uid);
        assertEquals(2002, TestVolume.attrs(f).gid, "gid not asked for, not changed");

        long atime = 1_234_567_890_123_456_789L;
        long mtime = 987_654_321_000_000_001L;
        v.files.setattr(f, FileOps.SET_ATIME | FileOps.SET_MTIME, 0, 0, 0, 0, atime, mtime);
        a = TestVolume.attrs(f);
        assertEquals(atime, a.atimeNanos, "nanoseconds are kept");
        assertEquals(mtime, a.mtimeNanos);
        assertTrue(a.ctimeNanos >= before, "ctime moves on every change");
        assertEquals(atime, v.stored(f.ino).atimeNanos);
        assertEquals(mtime, v.stored(f.ino).mtimeNanos);

        v.files.setattr(f, FileOps.SET_MTIME, 0, 0, 0, 0, 0, 5L);
        assertEquals(atime, TestVolume.attrs(f).atimeNanos, "atime not asked for, not changed");
        assertEquals(5L, TestVolume.attrs(f).mtimeNanos);

        long now = NanoClock.now();
        v.files.setattr(f, FileOps.SET_ATIME_NOW | FileOps.SET_ATIME | FileOps.SET_MTIME_NOW, 0, 0, 0, 0, 1, 1);
        a = TestVolume.attrs(f);
        assertTrue(a.atimeNanos >= now && a.atimeNanos < now + 60_000_000_000L, "atime is now");
        assertTrue(a.mtimeNanos >= now && a.mtimeNanos < now + 60_000_000_000L, "mtime is now");

        Inode d = v.mkdir(ROOT, "d");
        v.files.setattr(d, FileOps.SET_MODE, 0700, 0, 0, 0, 0, 0);
        assertEquals(FileMode.S_IFDIR | 0700, d.mode(), "a directory stays a directory");
    }

    @Test
    void setattrSizeShrinksAndGrows() throws IOException {
        Inode f = v.mkfile(ROOT, "f");
        byte[] data = NativeBuffer.pattern(1, 3 * BS + 100);
        v.write(f, 0, data);
        assertEquals(data.length, f.size());
        assertEquals(4, v.countKeys(Keys.BLOCK, f.ino));
        assertEquals((3L * BS + 4096) / 512, TestVolume.attrs(f).blocks512,
            "st_blocks: four blocks held, reported no more than the size rounded up to 4 KiB");
        assertEquals(4L * BS, v.blocks.usedBytes(0));

        v.files.setattr(f, FileOps.SET_SIZE, 0, 0, 0, BS + 5, 0, 0);
        assertEquals(BS + 5, f.size());
        assertEquals(BS + 5, v.stored(f.ino).size);
        assertEquals(2, v.countKeys(Keys.BLOCK, f.ino), "blocks past the new end are freed");
        assertEquals(2, v.stored(f.ino).blockCount);
        assertEquals((BS + 4096L) / 512, TestVolume.attrs(f).blocks512);
        assertEquals(2L * BS, v.blocks.usedBytes(0));
        assertArrayEquals(Arrays.copyOf(data, BS + 5), v.readAll(f));

        v.files.setattr(f, FileOps.SET_SIZE, 0, 0, 0, 4L * BS, 0, 0);
        assertEquals(4L * BS, f.size());
        assertEquals(4L * BS, v.stored(f.ino).size);
        byte[] grown = v.readAll(f);
        assertArrayEquals(Arrays.copyOf(data, BS + 5), Arrays.copyOf(grown, BS + 5));
        for (int k = BS + 5; k < grown.length; k++) {
            assertEquals(0, grown[k], "byte " + k + " past the old end reads zero");
        }
        assertEquals(2, v.countKeys(Keys.BLOCK, f.ino), "growing allocates nothing");
        assertEquals(2L * BS / 512, TestVolume.attrs(f).blocks512, "a sparse file counts only its blocks");

        v.files.setattr(f, FileOps.SET_SIZE, 0, 0, 0, 0, 0, 0);
        assertEquals(0, f.size());
        assertEquals(0, v.countKeys(Keys.BLOCK, f.ino));
        assertEquals(0, TestVolume.attrs(f).blocks512);
        assertEquals(0, v.blocks.usedBytes(0));

        Inode d = v.mkdir(ROOT, "d");
        assertErrno(Errno.EISDIR, () -> v.files.setattr(d, FileOps.SET_SIZE, 0, 0, 0, 0, 0, 0));
        assertErrno(Errno.EINVAL, () -> v.files.setattr(f, FileOps.SET_SIZE, 0, 0, 0, -1, 0, 0));
    }

    @Test
    void fallocateReservesAndGrowsUnlessKeepSize() throws IOException {
        Inode f = v.mkfile(ROOT, "f");
        v.files.fallocate(f, 0, 0, 2L * BS + 1);
        assertEquals(2L * BS + 1, f.size());
        assertEquals(3, v.countKeys(Keys.BLOCK, f.ino));
        assertEquals((2L * BS + 4096) / 512, TestVolume.attrs(f).blocks512);
        v.files.fallocate(f, 1 /* KEEP_SIZE */, 3L * BS, 2L * BS);
        assertEquals(2L * BS + 1, f.size());
        assertEquals(5, v.countKeys(Keys.BLOCK, f.ino));
        assertEquals((4L * BS + 4096) / 512, TestVolume.attrs(f).blocks512,
            "st_blocks counts the reserved blocks past the end whole, as du shows them");
        Inode empty = v.mkfile(ROOT, "e");
        v.files.fallocate(empty, 1 /* KEEP_SIZE */, 0, 3L * BS);
        assertEquals(0, empty.size());
        assertEquals(3L * BS / 512, TestVolume.attrs(empty).blocks512);
        assertErrno(Errno.EINVAL, () -> v.files.fallocate(f, 0, 0, 0));
        assertErrno(Errno.EINVAL, () -> v.files.fallocate(f, 0, -1, 10));
    }

    /** The errors ext4 gives: punching needs KEEP_SIZE, punch and zero exclude each other, the rest is not offered. */
    @Test
    void fallocateModesTierfsDoesNotOfferFailAsOnExt4() {
        Inode f = v.mkfile(ROOT, "f");
        assertErrno(Errno.EOPNOTSUPP, () -> v.files.fallocate(f, LibC.FALLOC_FL_PUNCH_HOLE, 0, BS));
        assertErrno(Errno.EINVAL, () -> v.files.fallocate(f,
            LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_ZERO_RANGE | LibC.FALLOC_FL_KEEP_SIZE, 0, BS));
        for (int mode : new int[] {LibC.FALLOC_FL_COLLAPSE_RANGE, LibC.FALLOC_FL_INSERT_RANGE, LibC.FALLOC_FL_UNSHARE_RANGE}) {
            assertErrno(Errno.EOPNOTSUPP, () -> v.files.fallocate(f, mode, 0, BS));
        }
        assertErrno(Errno.EINVAL, () -> v.files.fallocate(f, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, 0, 0));
        assertErrno(Errno.EFBIG, () -> v.files.fallocate(f, LibC.FALLOC_FL_ZERO_RANGE, FileOps.MAX_FILE_SIZE, 1));
    }

    @Test
    void punchHoleFreesWholeBlocksKeepsTheSizeAndStampsTheTimes() throws IOException {
        Inode f = v.mkfile(ROOT, "f");
        byte[] data = NativeBuffer.pattern(5, 4 * BS);
        v.write(f, 0, data);
        long mtime = TestVolume.attrs(f).mtimeNanos;
        v.files.fallocate(f, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, BS / 2, 2L * BS);
        assertEquals(4L * BS, f.size());
        assertEquals(3, v.countKeys(Keys.BLOCK, f.ino), "block 1 is gone, 0 and 2 were only zeroed in part");
        assertEquals(3L * BS / 512, TestVolume.attrs(f).blocks512);
        Arrays.fill(data, BS / 2, BS / 2 + 2 * BS, (byte) 0);
        assertArrayEquals(data, v.readAll(f));
        assertTrue(TestVolume.attrs(f).mtimeNanos > mtime, "a punch changes the data, so mtime moves");
    }

    @Test
    void zeroRangeReadsZerosKeepsSpaceReservedAndGrowsUnlessKeepSize() throws IOException {
        Inode f = v.mkfile(ROOT, "f");
        byte[] data = NativeBuffer.pattern(6, 3 * BS);
        v.write(f, 0, data);
        v.files.fallocate(f, LibC.FALLOC_FL_ZERO_RANGE | LibC.FALLOC_FL_KEEP_SIZE, 100, 5L * BS);
        assertEquals(3L * BS, f.size(), "KEEP_SIZE");
        assertEquals(6, v.countKeys(Keys.BLOCK, f.ino), "every block of the range stays or becomes reserved");
        assertArrayEquals(Arrays.copyOf(Arrays.copyOf(data, 100), 3 * BS), v.readAll(f));
        v.files.fallocate(f, LibC.FALLOC_FL_ZERO_RANGE, 7L * BS, 10);
        assertEquals(7L * BS + 10, f.size(), "without KEEP_SIZE the file grows");
        assertEquals(7, v.countKeys(Keys.BLOCK, f.ino));
    }

    @Test
    void seekDataAndHoleFollowTheBlockMapAndFailPastTheEnd() throws IOException {
        Inode f = v.mkfile(ROOT, "f");
        v.write(f, 3L * BS, NativeBuffer.pattern(7, BS));
        v.write(f, 5L * BS, NativeBuffer.pattern(8, 10));
        long size = 5L * BS + 10;
        assertEquals(3L * BS, v.files.seek(f, 0, true));
        assertEquals(0, v.files.seek(f, 0, false));
        assertEquals(4L * BS, v.files.seek(f, 3L * BS + 5, false));
        assertEquals(5L * BS, v.files.seek(f, 4L * BS, true));
        assertEquals(size, v.files.seek(f, 5L * BS, false), "the end of the file is a hole");
        assertErrno(Errno.ENXIO, () -> v.files.seek(f, size, true));
        assertErrno(Errno.ENXIO, () -> v.files.seek(f, size, false));
        v.files.setattr(f, FileOps.SET_SIZE, 0, 0, 0, 8L * BS, 0, 0);
        assertErrno(Errno.ENXIO, () -> v.files.seek(f, 6L * BS, true));
        assertEquals(6L * BS, v.files.seek(f, 6L * BS, false));
    }

    // ---------------------------------------------------------------- xattrs

    /** 256 names of 255 bytes, each listed with its NUL, fill the 64 KiB listxattr can return. */
    @Test
    void replicasAreOneOrTwoInheritedFromTheDirectoryAndEachChangeOfAFilesIsTold() {
        v.xattrs.setTierAttributes(new io.tierfs.migration.FileTiers(v.blocks, null));
        byte[] replicas = n(TierAttributes.REPLICAS);
        Inode d = v.mkdir(ROOT, "d");
        assertErrno(Errno.EINVAL, () -> v.xattrs.set(d, replicas, n("3"), 0));
        assertErrno(Errno.EINVAL, () -> v.xattrs.set(d, replicas, n("two"), 0));
        v.xattrs.set(d, replicas, n("2\n"), 0);
        assertEquals("2", new String(v.xattrs.get(d, replicas), StandardCharsets.US_ASCII),
            "stored without echo's newline");
        assertNull(v.blocks.seals().pollFileChanged(), "a directory's replicas concern the files made in it later");
        Inode f = v.mkfile(d.ino, "f");
        Inode sub = v.mkdir(d.ino, "sub");
        assertEquals("2", new String(v.xattrs.get(f, replicas), StandardCharsets.US_ASCII), "inherited");
        assertEquals("2", new String(v.xattrs.get(sub, replicas), StandardCharsets.US_ASCII));
        assertTrue(new String(v.xattrs.list(f), StandardCharsets.US_ASCII).contains(TierAttributes.REPLICAS));
        v.xattrs.set(f, replicas, n("1"), 0);
        v.xattrs.remove(f, replicas);
        Seals.FileChange replicasSet = new Seals.FileChange(f.ino, false);
        assertEquals(replicasSet, v.blocks.seals().pollFileChanged(), "set on a file: the sealer is told");
        assertEquals(replicasSet, v.blocks.seals().pollFileChanged(), "and removed");
        v.xattrs.set(f, n(io.tierfs.codec.CompressionChoice.ATTRIBUTE), n("lz4"), 0);
        assertEquals(new Seals.FileChange(f.ino, true), v.blocks.seals().pollFileChanged(), "so is its compression");
        assertNull(v.blocks.seals().pollFileChanged());
    }

    @Test
    void xattrNamesStopAtWhatListxattrCanReturnAlsoAfterRemovesAndAReload() {
        Inode f = v.mkfile(ROOT, "f");
        java.util.function.IntFunction<byte[]> name = k -> n(String.format("user.%03d", k) + "n".repeat(247));
        for (int k = 0; k < 256; k++) {
            v.xattrs.set(f, name.apply(k), n("v"), 0);
        }
        assertEquals(65536, v.xattrs.list(f).length);
        assertErrno(Errno.ENOSPC, () -> v.xattrs.set(f, name.apply(256), n("v"), 0));
        v.xattrs.set(f, name.apply(3), n("replaced"), 0);  // a name already there takes no room
        v.xattrs.remove(f, name.apply(7));
        v.xattrs.set(f, name.apply(256), n("v"), 0);  // the room the removed name left
        assertErrno(Errno.ENOSPC, () -> v.xattrs.set(f, name.apply(257), n("v"), 0));
        v.inodes.forget(f.ino, 1);
        Inode again = v.inodes.acquire(f.ino);
        assertErrno(Errno.ENOSPC, () -> v.xattrs.set(again, name.apply(257), n("v"), 0));  // counted again from the store
        v.xattrs.remove(again, name.apply(0));
        v.xattrs.set(again, name.apply(257), n("v"), 0);
        assertEquals(65536, v.xattrs.list(again).length);
        v.inodes.forget(again.ino, 1);
    }

    @Test
    void xattrs() {
        Inode f = v.mkfile(ROOT, "f");
        assertArrayEquals(new byte[0], v.xattrs.list(f));
        assertErrno(Errno.ENODATA, () -> v.xattrs.get(f, n("user.a")));

        v.xattrs.set(f, n("user.b"), n("2"), 0);
        v.xattrs.set(f, n("user.a"), n("1"), Xattrs.XATTR_CREATE);
        v.xattrs.set(f, n("trusted.t"), new byte[0], 0);
        v.xattrs.set(f, n("security.capability"), new byte[] {1, 0, 0, 2}, 0);
        assertArrayEquals(n("1"), v.xattrs.get(f, n("user.a")));
        assertArrayEquals(new byte[0], v.xattrs.get(f, n("trusted.t")));
        assertArrayEquals(new byte[] {1, 0, 0, 2}, v.xattrs.get(f, n("security.capability")));
        assertArrayEquals(n("security.capability\0trusted.t\0user.a\0user.b\0"), v.xattrs.list(f),
            "names in order, each ended by a NUL");

        assertErrno(Errno.EEXIST, () -> v.xattrs.set(f, n("user.a"), n("x"), Xattrs.XATTR_CREATE));
        assertArrayEquals(n("1"), v.xattrs.get(f, n("user.a")));
        assertErrno(Errno.ENODATA, () -> v.xattrs.set(f, n("user.none"), n("x"), Xattrs.XATTR_REPLACE));
        assertErrno(Errno.ENODATA, () -> v.xattrs.get(f, n("user.none")));
        v.xattrs.set(f, n("user.a"), n("replaced"), Xattrs.XATTR_REPLACE);
        assertArrayEquals(n("replaced"), v.xattrs.get(f, n("user.a")));
        v.xattrs.set(f, n("user.a"), n("again"), 0);
        assertArrayEquals(n("again"), v.xattrs.get(f, n("user.a")));

        byte[] max = new byte[65536];
        Arrays.fill(max, (byte) 7);
        v.xattrs.set(f, n("user.big"), max, 0);
        assertArrayEquals(max, v.xattrs.get(f, n("user.big")));
        assertErrno(Errno.E2BIG, () -> v.xattrs.set(f, n("user.huge"), new byte[65537], 0));
        assertErrno(Errno.ENODATA, () -> v.xattrs.get(f, n("user.huge")));

        assertErrno(Errno.EOPNOTSUPP, () -> v.xattrs.set(f, n("system.posix_acl_access"), n("x"), 0));
        assertErrno(Errno.EOPNOTSUPP, () -> v.xattrs.set(f, n("os2.name"), n("x"), 0));
        assertErrno(Errno.EOPNOTSUPP, () -> v.xattrs.get(f, n("system.posix_acl_access")));
        assertErrno(Errno.EOPNOTSUPP, () -> v.xattrs.remove(f, n("user")));
        assertErrno(Errno.ERANGE, () -> v.xattrs.set(f, new byte[0], n("x"), 0));
        assertErrno(Errno.ERANGE, () -> v.xattrs.set(f, n("user." + "n".repeat(251)), n("x"), 0));
        v.xattrs.set(f, n("user." + "n".repeat(250)), n("x"), 0); // 255 bytes

        v.xattrs.remove(f, n("user.b"));
        assertErrno(Errno.ENODATA, () -> v.xattrs.get(f, n("user.b")));
        assertErrno(Errno.ENODATA, () -> v.xattrs.remove(f, n("user.b")));
        String listed = new String(v.xattrs.list(f), StandardCharsets.UTF_8);
        assertEquals(List.of("security.capability", "trusted.t", "user.a", "user.big", "user." + "n".repeat(250)),
            Arrays.asList(listed.split("\0")));

        // Another inode's attributes are its own.
        Inode g = v.mkfile(ROOT, "g");
        assertArrayEquals(new byte[0], v.xattrs.list(g));
        assertErrno(Errno.ENODATA, () -> v.xattrs.get(g, n("user.a")));
    }

    // ---------------------------------------------------------------- orphans

    @Test
    void anUnlinkedFileStillOpenLivesOnAsAnOrphanUntilTheLastReferenceGoes() throws Exception {
        Inode f = v.mkfile(ROOT, "f"); // lookups = 1
        byte[] data = NativeBuffer.pattern(5, 2 * BS + 10);
        FileBlocks handle = v.inodes.open(f);
        try (NativeBuffer b = NativeBuffer.of(data)) {
            handle.write(0, b.address, data.length);
            v.files.wrote(f, data.length);
        }
        v.xattrs.set(f, n("user.x"), n("y"), 0);
        long ino = f.ino;
        assertEquals(3, v.countKeys(Keys.BLOCK, ino));

        v.ns.unlink(ROOT, n("f"), false);
        assertErrno(Errno.ENOENT, () -> v.ns.lookup(ROOT, n("f")));
        assertTrue(v.hasKey(Keys.orphan(ino)), "an orphan record");
        assertNotNull(v.stored(ino), "the inode is kept");
        assertEquals(0, v.stored(ino).nlink);
        assertEquals(3, v.countKeys(Keys.BLOCK, ino), "and its blocks");
        assertSame(f, v.inodes.get(ino));
        try (NativeBuffer b = NativeBuffer.garbage(data.length)) {
            handle.read(0, b.address, data.length);
            assertArrayEquals(data, b.bytes(), "still readable through the open handle");
        }
        assertArrayEquals(n("y"), v.xattrs.get(f, n("user.x")));

        v.inodes.forget(ino, 1);
        assertTrue(v.hasKey(Keys.orphan(ino)), "still open");
        assertNotNull(v.stored(ino));

        v.inodes.close(f);
        assertNull(v.stored(ino), "the last close deletes the inode");
        assertEquals(0, v.countKeys(Keys.BLOCK, ino));
        assertEquals(0, v.countKeys(Keys.XATTR, ino));
        assertEquals(0, v.blocks.usedBytes(0), "its space is given back");
        assertErrno(Errno.ENOENT, () -> v.inodes.get(ino));
        awaitFreed(ino);
    }

    @Test
    void anUnlinkedFileWithoutReferencesIsDeletedAtOnce() throws Exception {
        Inode f = v.mkfile(ROOT, "f");
        v.write(f, 0, NativeBuffer.pattern(1, BS));
        long ino = f.ino;
        v.inodes.forget(ino, 1); // the kernel lets go
        v.ns.unlink(ROOT, n("f"), false);
        assertNull(v.stored(ino));
        assertEquals(0, v.countKeys(Keys.BLOCK, ino));
        awaitFreed(ino);
    }

    @Test
    void anUnopenedFileWithoutBlocksLosesItsRecordsWithItsLastNameAndLivesOnInMemoryOnly() throws Exception {
        Inode f = v.mkfile(ROOT, "f"); // the kernel holds it (lookups = 1)
        v.write(f, 0, n("small"));
        v.xattrs.set(f, n("user.x"), n("y"), 0);
        long ino = f.ino;
        assertTrue(v.hasKey(Keys.inline(ino)));

        v.ns.unlink(ROOT, n("f"), false);
        assertNull(v.stored(ino), "no inode record");
        assertFalse(v.hasKey(Keys.inline(ino)), "no inline bytes");
        assertEquals(0, v.countKeys(Keys.XATTR, ino), "no xattr");
        assertFalse(v.hasKey(Keys.orphan(ino)), "and no orphan record: nothing is left to free");
        assertSame(f, v.inodes.get(ino), "the kernel's reference still finds its attributes");
        assertEquals(0, f.nlink());
        assertErrno(Errno.ENOENT, () -> v.inodes.open(f)); // an open by a path looked up before the unlink
        assertErrno(Errno.ENOENT, () -> v.xattrs.set(f, n("user.z"), n("1"), 0));
        assertErrno(Errno.ENOENT, () -> v.files.setattr(f, FileOps.SET_SIZE, 0, 0, 0, 0, 0, 0));
        v.files.setattr(f, FileOps.SET_MODE, 0600, 0, 0, 0, 0, 0); // kept in memory, stored nowhere
        v.files.setattr(f, 0, 0, 0, 0, 0, 0, 0); // the kernel's ctime after an unlink (writeback cache)
        assertNull(v.stored(ino), "no record comes back");

        v.inodes.forget(ino, 1);
        assertErrno(Errno.ENOENT, () -> v.inodes.get(ino));
        v.close();
        v = TestVolume.open(dir, tiers);
        assertNull(v.stored(ino));
        assertFalse(v.hasKey(Keys.orphan(ino)));
    }

    @Test
    void aFileWithoutBlocksStillOpenAtItsUnlinkIsAnOrphanUntilItsLastClose() throws Exception {
        Inode f = v.mkfile(ROOT, "f");
        v.write(f, 0, n("small"));
        v.inodes.open(f);
        v.ns.unlink(ROOT, n("f"), false);
        assertTrue(v.hasKey(Keys.orphan(f.ino)));
        assertArrayEquals(n("small"), v.read(f, 0, 5), "its bytes are still there to read");
        v.inodes.forget(f.ino, 1);
        v.inodes.close(f);
        assertNull(v.stored(f.ino));
        assertFalse(v.hasKey(Keys.inline(f.ino)));
        assertFalse(v.hasKey(Keys.orphan(f.ino)));
    }

    @Test
    void emptyTierFilesOfAFileTruncatedToNothingGoWithItsLastName() throws Exception {
        Inode made = v.mkfile(ROOT, "made");
        Inode loaded = v.mkfile(ROOT, "loaded");
        for (Inode f : List.of(made, loaded)) {
            v.write(f, 0, NativeBuffer.pattern(4, BS));
            v.files.setattr(f, FileOps.SET_SIZE, 0, 0, 0, 0, 0, 0);
            assertEquals(0, v.countKeys(Keys.BLOCK, f.ino));
            assertTrue(hasTierFile(f.ino), "a truncate to nothing leaves the tier file");
        }
        v.ns.unlink(ROOT, n("made"), false); // made by this mount, which gave it a block
        assertNull(v.stored(made.ino));
        assertFalse(hasTierFile(made.ino));
        assertFalse(v.hasKey(Keys.orphan(made.ino)));

        v.close();
        v = TestVolume.open(dir, tiers);
        v.inodes.acquire(loaded.ino); // loaded from the store: whether it had blocks is asked there
        v.ns.unlink(ROOT, n("loaded"), false);
        assertNull(v.stored(loaded.ino));
        assertFalse(hasTierFile(loaded.ino));
        assertFalse(v.hasKey(Keys.orphan(loaded.ino)));
    }

    @Test
    void aRemovedDirectoryStillLookedUpIsAnOrphanUntilForgotten() throws Exception {
        Inode d = v.mkdir(ROOT, "d");
        v.ns.unlink(ROOT, n("d"), true);
        assertTrue(v.hasKey(Keys.orphan(d.ino)));
        assertErrno(Errno.ENOENT, () -> v.mkfile(d.ino, "x"));
        assertErrno(Errno.ENOENT, () -> v.ns.list(d.ino));
        v.inodes.forget(d.ino, 1);
        assertNull(v.stored(d.ino));
        awaitFreed(d.ino);
    }

    @Test
    void dataThatCouldNotBeFreedIsFreedOnARetry() throws Exception {
        FaultyTier ssd = reopenWithFaultySsd();
        Inode f = deleteFileWhileDeletesFail(ssd);
        assertNull(v.stored(f.ino), "its records go at once");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (ssd.failedDeletes() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(ssd.failedDeletes() > 0, "the reclaimer tried");
        assertTrue(v.hasKey(Keys.orphan(f.ino)), "the orphan record notes that its data is still to be freed");
        assertTrue(hasTierFile(f.ino));
        ssd.failDeletes(false);
        awaitFreed(f.ino);
    }

    @Test
    void dataStillNotFreedAtShutdownIsFreedByTheNextMount() throws Exception {
        FaultyTier ssd = reopenWithFaultySsd();
        Inode f = deleteFileWhileDeletesFail(ssd);
        v.close();
        assertTrue(ssd.failedDeletes() > 0, "the reclaimer tried before it stopped");
        assertTrue(v.closedClean, "a leftover orphan needs no unclean recovery");

        v = TestVolume.open(dir, tiers);
        assertTrue(v.hasKey(Keys.orphan(f.ino)));
        assertTrue(hasTierFile(f.ino));
        new Recovery(v.meta, v.blocks).run(false);
        assertFalse(v.hasKey(Keys.orphan(f.ino)));
        assertFalse(hasTierFile(f.ino));
    }

    /** A file with data, deleted (no name, no reference) while the ssd tier fails every delete. */
    private Inode deleteFileWhileDeletesFail(FaultyTier ssd) throws IOException {
        Inode f = v.mkfile(ROOT, "f");
        v.write(f, 0, NativeBuffer.pattern(3, BS));
        ssd.failDeletes(true);
        v.inodes.forget(f.ino, 1);
        v.ns.unlink(ROOT, n("f"), false);
        return f;
    }

    @Test
    void linkToAnOrphanIsEnoent() {
        Inode f = v.mkfile(ROOT, "f");
        v.ns.unlink(ROOT, n("f"), false);
        assertErrno(Errno.ENOENT, () -> v.ns.link(f.ino, ROOT, n("back")));
        assertFalse(names(ROOT).containsKey("back"));
    }

    /** Waits for the reclaimer to free a deleted inode's data and drop its orphan record. */
    private void awaitFreed(long ino) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            if (!v.hasKey(Keys.orphan(ino)) && !hasTierFile(ino)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the tier file or orphan record of deleted inode " + ino + " is still there");
            }
            Thread.sleep(20);
        }
    }

    private boolean hasTierFile(long ino) throws IOException {
        for (int t = 0; t < v.blocks.tierCount(); t++) {
            if (Arrays.stream(v.blocks.tier(t).storedInodes()).anyMatch(i -> i == ino)) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- persistence

    @Test
    void everythingSurvivesCloseAndReopen() throws IOException {
        Inode a = v.mkdir(ROOT, "a");
        Inode b = v.mkfile(a.ino, "b");
        byte[] bData = NativeBuffer.pattern(1, 3 * BS + 77);
        v.write(b, 0, bData);
        Inode c = v.mkdir(a.ino, "c");
        Inode f = v.ns.create(ROOT, n("f"), FileMode.S_IFREG | 0600, 0, null, 1000, 1000);
        v.write(f, 5L * BS, n("sparse tail"));
        v.xattrs.set(f, n("user.color"), n("blue"), 0);
        v.xattrs.set(f, n("trusted.x"), new byte[] {0, 1, 2}, 0);
        v.ns.link(f.ino, a.ino, n("hl"));
        Inode s = v.ns.create(c.ino, n("s"), FileMode.S_IFLNK | 0777, 0, n("../b"), 0, 0);
        Inode gone = v.mkfile(ROOT, "gone");
        v.ns.unlink(ROOT, n("gone"), false);
        v.inodes.forget(gone.ino, 1);
        v.files.setattr(b, FileOps.SET_ATIME | FileOps.SET_MTIME, 0, 0, 0, 0, 111_222_333_444L, 555_666_777_888L);
        v.files.setattr(b, FileOps.SET_SIZE, 0, 0, 0, 2L * BS + 3, 0, 0);
        byte[] bExpected = Arrays.copyOf(bData, 2 * BS + 3);

        Map<Long, Attributes> before = new LinkedHashMap<>();
        for (Inode i : new Inode[] {v.inodes.get(ROOT), a, b, c, f, s}) {
            before.put(i.ino, TestVolume.attrs(i));
        }
        Map<Long, String> listings = new LinkedHashMap<>();
        for (long d : new long[] {ROOT, a.ino, c.ino}) {
            listings.put(d, listing(d));
        }
        long lastIno = gone.ino;

        v.close();
        v = TestVolume.open(dir, tiers);

        assertEquals(a.ino, lookupIno(ROOT, "a"));
        assertEquals(b.ino, lookupIno(a.ino, "b"));
        assertEquals(c.ino, lookupIno(a.ino, "c"));
        assertEquals(f.ino, lookupIno(ROOT, "f"));
        assertEquals(f.ino, lookupIno(a.ino, "hl"));
        assertEquals(s.ino, lookupIno(c.ino, "s"));
        assertErrno(Errno.ENOENT, () -> v.ns.lookup(ROOT, n("gone")));
        assertNull(v.stored(gone.ino));
        for (Map.Entry<Long, Attributes> e : before.entrySet()) {
            assertAttributesEqual(e.getValue(), TestVolume.attrs(v.inodes.get(e.getKey())));
        }
        for (Map.Entry<Long, String> e : listings.entrySet()) {
            assertEquals(e.getValue(), listing(e.getKey()));
        }
        assertArrayEquals(bExpected, v.readAll(v.inodes.get(b.ino)));
        byte[] fData = v.readAll(v.inodes.get(f.ino));
        assertEquals(5 * BS + 11, fData.length);
        assertArrayEquals(new byte[5 * BS], Arrays.copyOf(fData, 5 * BS));
        assertArrayEquals(n("sparse tail"), Arrays.copyOfRange(fData, 5 * BS, fData.length));
        Inode f2 = v.inodes.get(f.ino);
        assertArrayEquals(n("blue"), v.xattrs.get(f2, n("user.color")));
        assertArrayEquals(new byte[] {0, 1, 2}, v.xattrs.get(f2, n("trusted.x")));
        assertArrayEquals(n("trusted.x\0user.color\0"), v.xattrs.list(f2));
        assertArrayEquals(n("../b"), v.files.readlink(v.inodes.get(s.ino)));
        assertEquals(c.ino, names(c.ino).get("."));
        assertEquals(a.ino, names(c.ino).get(".."));

        // Inode numbers are never reused (the rest of the reserved ones are skipped).
        Inode fresh = v.mkfile(ROOT, "fresh");
        assertEquals(ROOT + 1 + Inodes.INO_RESERVATION, fresh.ino);
        assertTrue(fresh.ino > lastIno);
        // And the reopened volume takes changes as before.
        v.ns.rename(a.ino, n("c"), ROOT, n("c"));
        assertEquals(ROOT, names(c.ino).get(".."));
        assertEquals(4, v.inodes.get(ROOT).nlink());
    }

    @Test
    void unreleasedOrphansSurviveAShutdownAsOrphanRecords() throws IOException {
        Inode f = v.mkfile(ROOT, "f");
        v.write(f, 0, NativeBuffer.pattern(6, BS));
        v.ns.unlink(ROOT, n("f"), false); // the kernel still holds its reference at shutdown
        v.close();
        v = TestVolume.open(dir, tiers);
        assertTrue(v.hasKey(Keys.orphan(f.ino)), "recovery at the next mount will delete it");
        assertNotNull(v.stored(f.ino));
        assertEquals(0, v.stored(f.ino).nlink);
    }

    private String listing(long dirIno) {
        return v.ns.list(dirIno).stream()
            .map(e -> new String(e.name(), StandardCharsets.UTF_8) + "=" + e.ino() + "/" + e.type())
            .collect(Collectors.joining(","));
    }

    private static void assertAttributesEqual(Attributes x, Attributes y) {
        String what = "inode " + x.ino;
        assertEquals(x.ino, y.ino, what);
        assertEquals(x.mode, y.mode, what + " mode");
        assertEquals(x.uid, y.uid, what + " uid");
        assertEquals(x.gid, y.gid, what + " gid");
        assertEquals(x.nlink, y.nlink, what + " nlink");
        assertEquals(x.rdev, y.rdev, what + " rdev");
        assertEquals(x.size, y.size, what + " size");
        assertEquals(x.blocks512, y.blocks512, what + " blocks");
        assertEquals(x.atimeNanos, y.atimeNanos, what + " atime");
        assertEquals(x.mtimeNanos, y.mtimeNanos, what + " mtime");
        assertEquals(x.ctimeNanos, y.ctimeNanos, what + " ctime");
    }

    // ---------------------------------------------------------------- durability across eviction

    @Test
    void fsyncAfterTheKernelDroppedTheInodeStillSyncsEarlierWrites() throws IOException {
        Inode f = v.ns.create(ROOT, n("f"), TestVolume.FILE, 0, null, 0, 0);
        FileBlocks blocks = v.inodes.open(f);
        try (NativeBuffer b = NativeBuffer.of(NativeBuffer.pattern(7, 1000))) {
            blocks.write(0, b.address, 1000);
        }
        v.files.wrote(f, 1000);
        v.inodes.close(f);
        v.inodes.forget(f.ino, 1);   // the kernel drops it: the block table with its unsynced state goes

        Inode again = v.inodes.acquire(f.ino);
        assertTrue(again != f, "reloaded from the store");
        FileBlocks fresh = v.inodes.open(again);
        assertTrue(fresh.sync() >= 0, "the new table must report the unsynced block map, so fsync syncs the metadata");
        v.files.fsync(again, true);
        assertEquals(-1, fresh.sync(), "and fsync makes it durable once");
        v.inodes.close(again);
        v.inodes.forget(again.ino, 1);
    }

    @Test
    void aFailedSyncStillFailsAfterTheKernelDroppedTheInode() throws IOException {
        FaultyTier ssd = reopenWithFaultySsd();
        Inode f = v.mkfile(ROOT, "f");
        v.write(f, 0, NativeBuffer.pattern(8, 1000));
        ssd.failNextSync();
        assertEquals(Errno.EIO, assertThrows(NativeIOException.class, () -> v.files.fsync(f, true)).errno());
        assertTrue(ssd.failureDelivered());
        v.inodes.forget(f.ino, 1);   // the kernel drops it, and with it the block table that saw the failure

        Inode again = v.inodes.acquire(f.ino);
        assertTrue(again != f, "reloaded from the store");
        v.inodes.open(again);
        assertEquals(Errno.EIO, assertThrows(NativeIOException.class, () -> v.files.fsync(again, true)).errno(),
            "the tier would now report success for data it may have dropped");
        v.inodes.close(again);
        v.inodes.forget(again.ino, 1);
        v.close();
        assertFalse(v.closedClean, "a volume that lost a sync must not be marked clean");
    }

    /** Replaces the volume with a new one whose ssd tier fails on request. */
    private FaultyTier reopenWithFaultySsd() throws IOException {
        v.close();
        FaultyTier[] ssd = new FaultyTier[1];
        v = TestVolume.create(dir, tiers, tier -> (ssd[0] = new FaultyTier(tier)).tier());
        return ssd[0];
    }
}
