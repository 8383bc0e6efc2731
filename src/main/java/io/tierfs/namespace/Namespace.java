package io.tierfs.namespace;

import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.nativeio.Errno;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The directory tree: names, links, renames. Each change is one atomic metadata commit, so after a
 * crash a rename has happened or not, and a name never points at a missing inode. Changes to the
 * tree are serialised by one lock (they are short, and the kernel already serialises most of them
 * per directory); lookups and listings share it.
 */
public final class Namespace {
    public static final int NAME_MAX = 255;

    private final Inodes inodes;
    private final Xattrs xattrs;
    private final MetadataStore meta;
    private final DirectoryNames names;
    private final ReentrantReadWriteLock tree = new ReentrantReadWriteLock();

    public Namespace(Inodes inodes, Xattrs xattrs) {
        this.inodes = inodes;
        this.xattrs = xattrs;
        this.meta = inodes.meta();
        this.names = inodes.names();
    }

    public Inode lookup(long parent, byte[] name) {
        checkName(name);
        tree.readLock().lock();
        try {
            Inode dir = directory(parent);
            if (isDot(name)) {
                return inodes.acquire(dir.ino);
            }
            if (isDotDot(name)) {
                return inodes.acquire(dir.parent);
            }
            long child = childOf(parent, name);
            if (child == 0) {
                throw new FsException(Errno.ENOENT, "no such name");
            }
            return inodes.acquire(child);
        } finally {
            tree.readLock().unlock();
        }
    }

    /** Creates a file, device, fifo, socket, directory or symlink, and takes the kernel's reference to it. */
    public Inode create(long parent, byte[] name, int mode, long rdev, byte[] symlinkTarget, int uid, int gid) {
        checkName(name);
        tree.writeLock().lock();
        try {
            Inode dir = directory(parent);
            if (childOf(parent, name) != 0) {
                throw new FsException(Errno.EEXIST, "name exists");
            }
            long now = NanoClock.now();
            boolean isDir = FileMode.isDirectory(mode);
            synchronized (dir) {
                if ((dir.mode & FileMode.S_ISGID) != 0) {
                    gid = dir.gid;
                    if (isDir) {
                        mode |= FileMode.S_ISGID;
                    }
                }
            }
            Inode child = inodes.allocate(mode, uid, gid, now);
            child.nlink = isDir ? 2 : 1;
            child.parent = isDir ? parent : 0;
            child.rdev = rdev;
            if (symlinkTarget != null) {
                child.symlinkTarget = symlinkTarget;
                child.size = symlinkTarget.length;
            }
            synchronized (dir) {
                dir.mtimeNanos = dir.ctimeNanos = now;
                if (isDir) {
                    dir.nlink++;
                }
            }
            List<byte[][]> inherited = xattrs.inheritedFrom(dir);
            try (MetadataStore.Batch b = meta.newBatch()) {
                inodes.put(b, child);
                inodes.putNextIno(b);
                b.put(Keys.dirent(parent, name), direntValue(child.ino, mode));
                inodes.put(b, dir);
                if (!inherited.isEmpty()) {
                    xattrs.inherit(b, child, inherited);
                }
                meta.commit(b, false);
            }
            inodes.created(child);
            names.added(parent, name, child.ino);
            if (isDir) {
                names.born(child.ino);
            }
            xattrs.inherited(child, inherited);
            return child;
        } finally {
            tree.writeLock().unlock();
        }
    }

    public Inode link(long ino, long newParent, byte[] newName) {
        checkName(newName);
        tree.writeLock().lock();
        try {
            Inode target = inodes.get(ino);
            if (FileMode.isDirectory(target.mode())) {
                throw new FsException(Errno.EPERM, "hard link to a directory");
            }
            Inode dir = directory(newParent);
            if (childOf(newParent, newName) != 0) {
                throw new FsException(Errno.EEXIST, "name exists");
            }
            long now = NanoClock.now();
            synchronized (target) {
                if (target.nlink == 0) {
                    throw new FsException(Errno.ENOENT, "file was deleted");
                }
                target.nlink++;
                target.ctimeNanos = now;
            }
            touch(dir, now);
            try (MetadataStore.Batch b = meta.newBatch()) {
                b.put(Keys.dirent(newParent, newName), direntValue(target.ino, target.mode()));
                inodes.put(b, target);
                inodes.put(b, dir);
                meta.commit(b, false);
            }
            names.added(newParent, newName, target.ino);
            return inodes.acquire(target.ino);
        } finally {
            tree.writeLock().unlock();
        }
    }

    public void unlink(long parent, byte[] name, boolean directory) {
        boolean commitPoint;
        boolean tierFiles;
        long childIno;
        tree.writeLock().lock();
        try {
            Inode dir = directory(parent);
            childIno = childOf(parent, name);
            if (childIno == 0) {
                throw new FsException(Errno.ENOENT, "no such name");
            }
            Inode child = inodes.get(childIno);
            boolean isDir = FileMode.isDirectory(child.mode());
            if (directory && !isDir) {
                throw new FsException(Errno.ENOTDIR, "not a directory");
            }
            if (!directory && isDir) {
                throw new FsException(Errno.EISDIR, "is a directory");
            }
            if (isDir && !isEmpty(childIno)) {
                throw new FsException(Errno.ENOTEMPTY, "directory not empty");
            }
            long now = NanoClock.now();
            try (MetadataStore.Batch b = meta.newBatch()) {
                b.delete(Keys.dirent(parent, name));
                dropLink(b, child, dir, now, true);
                touch(dir, now);
                inodes.put(b, dir);
                meta.commit(b, false);
            }
            names.removed(parent, name);
            if (isDir) {
                names.forget(childIno);
            }
            synchronized (child) {
                commitPoint = child.fsynced;
            }
            tierFiles = inodes.unlinked(child);
        } finally {
            tree.writeLock().unlock();
        }
        if (tierFiles) {
            inodes.deleteTierFiles(childIno); // not under the tree's lock: file system calls
        }
        if (commitPoint) {
            // durable before the answer: SQLite's rollback journal (synchronous=FULL) commits a
            // transaction by deleting its synced journal, and a power cut must not bring it back
            // (ext4 promises that only after an fsync of the directory). Synced after the tree's
            // lock is let go; the log is ordered, so this syncs the deletion and all before it.
            meta.sync();
        }
    }

    /** POSIX rename: replaces an existing target atomically, with the rules for files and directories. */
    public void rename(long parent, byte[] name, long newParent, byte[] newName) {
        checkName(newName);
        tree.writeLock().lock();
        try {
            Inode fromDir = directory(parent);
            Inode toDir = directory(newParent);
            long srcIno = childOf(parent, name);
            if (srcIno == 0) {
                throw new FsException(Errno.ENOENT, "no such name");
            }
            Inode src = inodes.get(srcIno);
            boolean srcIsDir = FileMode.isDirectory(src.mode());
            long dstIno = childOf(newParent, newName);
            if (dstIno == srcIno) {
                return;
            }
            if (srcIsDir && isAncestorOrSelf(srcIno, newParent)) {
                throw new FsException(Errno.EINVAL, "cannot move a directory into itself");
            }
            Inode dst = dstIno == 0 ? null : inodes.get(dstIno);
            if (dst != null) {
                boolean dstIsDir = FileMode.isDirectory(dst.mode());
                if (srcIsDir && !dstIsDir) {
                    throw new FsException(Errno.ENOTDIR, "target is not a directory");
                }
                if (!srcIsDir && dstIsDir) {
                    throw new FsException(Errno.EISDIR, "target is a directory");
                }
                if (dstIsDir && !isEmpty(dstIno)) {
                    throw new FsException(Errno.ENOTEMPTY, "target directory not empty");
                }
            }
            long now = NanoClock.now();
            try (MetadataStore.Batch b = meta.newBatch()) {
                b.delete(Keys.dirent(parent, name));
                b.put(Keys.dirent(newParent, newName), direntValue(srcIno, src.mode()));
                if (dst != null) {
                    dropLink(b, dst, toDir, now, false);
                }
                synchronized (src) {
                    src.ctimeNanos = now;
                    if (srcIsDir) {
                        src.parent = newParent;
                    } else {
                        // a file's new ctime is kept like the times a write changes (committed at
                        // its release, fsync or eviction): POSIX lets a rename leave it as it was,
                        // and a record fewer is a fifth of the commit
                        src.attributesDirty = true;
                    }
                }
                if (srcIsDir && fromDir != toDir) {
                    synchronized (fromDir) {
                        fromDir.nlink--;
                    }
                    synchronized (toDir) {
                        toDir.nlink++;
                    }
                }
                touch(fromDir, now);
                touch(toDir, now);
                if (srcIsDir) {
                    inodes.put(b, src);
                }
                inodes.put(b, fromDir);
                if (toDir != fromDir) {
                    inodes.put(b, toDir);
                }
                meta.commit(b, false);
            }
            names.removed(parent, name);
            names.added(newParent, newName, srcIno);
            if (dst != null && FileMode.isDirectory(dst.mode())) {
                names.forget(dstIno);
            }
            if (dst != null) {
                inodes.unlinked(dst); // a replaced file is never retired (dropLink): no tier files to remove here
            }
        } finally {
            tree.writeLock().unlock();
        }
    }

    /** The entries of a directory, with "." and "..", as they are now. */
    public List<DirEntry> list(long ino) {
        tree.readLock().lock();
        try {
            Inode dir = directory(ino);
            List<DirEntry> entries = new ArrayList<>();
            entries.add(new DirEntry(new byte[] {'.'}, dir.ino, FileMode.direntType(FileMode.S_IFDIR)));
            entries.add(new DirEntry(new byte[] {'.', '.'}, dir.parent, FileMode.direntType(FileMode.S_IFDIR)));
            meta.scan(Keys.first(Keys.DIRENT, ino), Keys.after(Keys.DIRENT, ino), (k, v) -> {
                ByteBuffer value = ByteBuffer.wrap(v);
                entries.add(new DirEntry(Keys.nameOf(k), value.getLong(), value.get()));
                return true;
            });
            return entries;
        } finally {
            tree.readLock().unlock();
        }
    }

    /**
     * Drops one name of {@code child}, which lived in {@code dir}; an inode left without names
     * becomes an orphan, or, with {@code retire}, unused and without blocks, is deleted in the same
     * batch. Not for the file a rename replaces: its name never stops existing, so an open of it
     * that raced the rename (looked up before, sent after) must find the old file, not ENOENT.
     */
    private void dropLink(MetadataStore.Batch b, Inode child, Inode dir, long now, boolean retire) {
        boolean isDir = FileMode.isDirectory(child.mode());
        synchronized (child) {
            child.nlink = isDir ? 0 : child.nlink - 1;
            child.ctimeNanos = now;
        }
        if (isDir) {
            synchronized (dir) {
                dir.nlink--;
            }
        }
        if (child.nlink() > 0) {
            inodes.put(b, child);
        } else if (!retire || !inodes.retireIfUnused(b, child)) {
            inodes.put(b, child);
            b.put(Keys.orphan(child.ino), new byte[0]);
        }
    }

    private boolean isAncestorOrSelf(long ancestor, long dirIno) {
        long cur = dirIno;
        while (true) {
            if (cur == ancestor) {
                return true;
            }
            if (cur == Inodes.ROOT) {
                return false;
            }
            cur = inodes.get(cur).parent;
        }
    }

    private boolean isEmpty(long dirIno) {
        Boolean known = names.isEmpty(dirIno);
        if (known != null) {
            return known;
        }
        return !meta.any(Keys.first(Keys.DIRENT, dirIno), Keys.after(Keys.DIRENT, dirIno));
    }

    private Inode directory(long ino) {
        Inode dir = inodes.get(ino);
        if (!FileMode.isDirectory(dir.mode())) {
            throw new FsException(Errno.ENOTDIR, "not a directory");
        }
        if (dir.nlink() == 0) {
            throw new FsException(Errno.ENOENT, "directory was removed");
        }
        return dir;
    }

    /**
     * A path of {@code ino} from the mount's root ("/a/b"), for messages about a file known by its
     * inode alone (a checksum failure); null if it has no name. A scan of the directory entries per
     * level: only for what is rare.
     */
    public static String pathOf(MetadataStore meta, long ino) {
        StringBuilder path = new StringBuilder();
        for (long at = ino; at != Inodes.ROOT; ) {
            long child = at;
            byte[][] found = {null};
            meta.scan(Keys.all(Keys.DIRENT), Keys.allEnd(Keys.DIRENT), (k, v) -> {
                if (ByteBuffer.wrap(v).getLong() == child) {
                    found[0] = k;
                }
                return found[0] == null;
            });
            if (found[0] == null || path.length() > 4096) {
                return null;
            }
            path.insert(0, "/" + new String(Keys.nameOf(found[0]), java.nio.charset.StandardCharsets.UTF_8));
            at = Keys.inoOf(found[0]);
        }
        return path.length() == 0 ? "/" : path.toString();
    }

    private long childOf(long parent, byte[] name) {
        long known = names.find(parent, name);
        if (known != DirectoryNames.UNKNOWN) {
            return known;
        }
        byte[] v = meta.get(Keys.dirent(parent, name));
        return v == null ? 0 : ByteBuffer.wrap(v).getLong();
    }

    private static byte[] direntValue(long ino, int mode) {
        return ByteBuffer.allocate(9).putLong(ino).put((byte) FileMode.direntType(mode)).array();
    }

    private static void touch(Inode dir, long now) {
        synchronized (dir) {
            dir.mtimeNanos = dir.ctimeNanos = now;
        }
    }

    private static void checkName(byte[] name) {
        if (name.length > NAME_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, "name longer than 255 bytes");
        }
    }

    private static boolean isDot(byte[] n) {
        return n.length == 1 && n[0] == '.';
    }

    private static boolean isDotDot(byte[] n) {
        return n.length == 2 && n[0] == '.' && n[1] == '.';
    }
}
