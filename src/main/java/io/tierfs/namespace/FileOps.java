package io.tierfs.namespace;

import io.tierfs.block.FileBlocks;
import io.tierfs.meta.MetadataStore;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.LibC;
import java.io.IOException;

/**
 * Operations on one inode's attributes and contents: setattr (chmod, chown, utimens, truncate),
 * fallocate, and the durability calls. Reads and writes go straight to {@link FileBlocks}; this
 * class keeps the inode's size and times in step with them.
 */
public final class FileOps {
    public static final int SET_MODE = 1, SET_UID = 2, SET_GID = 4, SET_SIZE = 8, SET_ATIME = 16,
        SET_MTIME = 32, SET_ATIME_NOW = 128, SET_MTIME_NOW = 256;
    /**
     * The change drops set-user-ID and set-group-ID ({@link FileMode#withoutSetId}); with
     * SET_DROP_LOCK_MARK, also a set-group-ID without group execute.
     */
    public static final int SET_DROP_SETID = 1 << 16, SET_DROP_LOCK_MARK = 1 << 17;
    /**
     * The largest file: 16 TiB less 1 MiB, inside what ext4 (the usual tier filesystem) allows a
     * tier file, and far inside what the block table addresses. Beyond it: EFBIG, as on ext4.
     */
    public static final long MAX_FILE_SIZE = (1L << 44) - (1L << 20);

    private final Inodes inodes;
    private final MetadataStore meta;

    public FileOps(Inodes inodes) {
        this.inodes = inodes;
        this.meta = inodes.meta();
    }

    public void setattr(Inode i, int toSet, int mode, int uid, int gid, long size, long atime, long mtime)
        throws IOException {
        long now = NanoClock.now();
        if (keptUntilRelease(i, toSet, mode, uid, gid, mtime)) {
            // Times are kept like the times a write changes, until the file's release, its fsync
            // or its eviction, rather than committed now (a kill -9 may lose them, no more): with
            // the writeback cache the kernel sends its times after each rename and unlink (mtime
            // unchanged) and before a utimens (its own mtime), and tar sets the times and the
            // owner it already has on each file it unpacks, while the file is open: one commit
            // for the file instead of four.
            synchronized (i) {
                setTimes(i, toSet, atime, mtime, now);
                i.ctimeNanos = now;
                i.attributesDirty = true;
            }
            return;
        }
        if ((toSet & SET_SIZE) != 0) {
            truncate(i, size, now);
        }
        synchronized (i) {
            if ((toSet & SET_MODE) != 0) {
                i.mode = (i.mode & FileMode.S_IFMT) | (mode & FileMode.PERMISSION_BITS);
            }
            if ((toSet & SET_UID) != 0) {
                i.uid = uid;
            }
            if ((toSet & SET_GID) != 0) {
                i.gid = gid;
            }
            setTimes(i, toSet, atime, mtime, now);
            if ((toSet & SET_DROP_SETID) != 0) {
                i.mode = FileMode.withoutSetId(i.mode, (toSet & SET_DROP_LOCK_MARK) != 0);
            }
            i.ctimeNanos = now;
            i.attributesDirty = true;
        }
        inodes.persistIfDirty(i, false);
    }

    /**
     * Whether the change is one of times alone, on an open file (its release commits them), or
     * leaves everything but ctime as it is (a chmod or chown to what the file has already; the
     * kernel's times after a rename). A change of mode, owner or size is committed at once.
     */
    private boolean keptUntilRelease(Inode i, int toSet, int mode, int uid, int gid, long mtime) {
        if ((toSet & (SET_SIZE | SET_DROP_SETID)) != 0) {
            return false;
        }
        boolean timesOnly = (toSet & ~(SET_ATIME | SET_MTIME | SET_ATIME_NOW | SET_MTIME_NOW)) == 0;
        if (timesOnly && inodes.isOpen(i)) {
            return true;
        }
        synchronized (i) {
            return (toSet & (SET_ATIME | SET_ATIME_NOW | SET_MTIME_NOW)) == 0
                && ((toSet & SET_MTIME) == 0 || mtime == i.mtimeNanos)
                && ((toSet & SET_MODE) == 0 || (mode & FileMode.PERMISSION_BITS) == (i.mode & FileMode.PERMISSION_BITS))
                && ((toSet & SET_UID) == 0 || uid == i.uid)
                && ((toSet & SET_GID) == 0 || gid == i.gid);
        }
    }

    private static void setTimes(Inode i, int toSet, long atime, long mtime, long now) {
        if ((toSet & SET_ATIME_NOW) != 0) {
            i.atimeNanos = now;
        } else if ((toSet & SET_ATIME) != 0) {
            i.atimeNanos = atime;
        }
        if ((toSet & SET_MTIME_NOW) != 0) {
            i.mtimeNanos = now;
        } else if ((toSet & SET_MTIME) != 0) {
            i.mtimeNanos = mtime;
        }
    }

    /**
     * Drops set-user-ID and set-group-ID (see {@link FileMode#withoutSetId}), as a write by an
     * unprivileged caller does on a local filesystem. Costs one read of the mode when there is
     * nothing to drop.
     *
     * @return whether the mode changed
     */
    public boolean dropSetId(Inode i, boolean alsoLockMark) {
        int mode = i.mode();
        if (FileMode.withoutSetId(mode, alsoLockMark) == mode) {
            return false;
        }
        synchronized (i) {
            i.mode = FileMode.withoutSetId(i.mode, alsoLockMark);
            i.ctimeNanos = NanoClock.now();
            i.attributesDirty = true;
        }
        inodes.persistIfDirty(i, false);
        return true;
    }

    private void truncate(Inode i, long size, long now) throws IOException {
        int mode = i.mode();
        if (FileMode.isDirectory(mode)) {
            throw new FsException(Errno.EISDIR, "truncate of a directory");
        }
        if (!FileMode.isRegular(mode)) {
            throw new FsException(Errno.EINVAL, "truncate of a special file");
        }
        if (size < 0) {
            throw new FsException(Errno.EINVAL, "negative size");
        }
        if (size > MAX_FILE_SIZE) {
            throw new FsException(Errno.EFBIG, "file size over the maximum");
        }
        if (size < i.size()) {
            inodes.blocksOf(i).shrink(size, batch -> {
                synchronized (i) {
                    i.size = size;
                    i.mtimeNanos = i.ctimeNanos = now;
                    i.sizeChanges++;
                }
                inodes.put(batch, i);
            });
        } else {
            synchronized (i) {
                i.size = size;
                i.mtimeNanos = i.ctimeNanos = now;
                i.sizeChanges++;
                i.attributesDirty = true;
            }
        }
    }

    /** Refuses a write that would reach past the largest file. */
    public static void checkWriteRange(long offset, long length) {
        if (offset < 0 || offset > MAX_FILE_SIZE - length) {
            throw new FsException(Errno.EFBIG, "write past the maximum file size");
        }
    }

    /** After a write of [offset, end): the size grows, the times move. */
    public void wrote(Inode i, long end) {
        i.wrote(end, NanoClock.now(), true);
    }

    /**
     * The kernel wrote back its cached pages of {@code i} up to {@code end} (the writeback cache):
     * the kernel owns mtime then, and sends the time of the write(2) in a setattr of its own,
     * which a write-back that comes after it must not overwrite with a later time.
     */
    public void wroteBack(Inode i, long end) {
        i.wrote(end, NanoClock.now(), false);
    }

    /**
     * fallocate, with the errors ext4 gives: mode 0 reserves space (the size grows), KEEP_SIZE
     * reserves without growing; PUNCH_HOLE (always with KEEP_SIZE) frees whole blocks and zeroes
     * partial ones; ZERO_RANGE leaves the range reading zeros with its space reserved, as ext4's
     * unwritten extents do. Collapse, insert and unshare are not offered (EOPNOTSUPP, as on ext4
     * files without extents).
     */
    public void fallocate(Inode i, int mode, long offset, long length) throws IOException {
        if ((mode & ~(LibC.FALLOC_FL_KEEP_SIZE | LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_ZERO_RANGE)) != 0) {
            throw new FsException(Errno.EOPNOTSUPP, "fallocate mode " + mode);
        }
        boolean punch = (mode & LibC.FALLOC_FL_PUNCH_HOLE) != 0;
        boolean zero = (mode & LibC.FALLOC_FL_ZERO_RANGE) != 0;
        boolean keepSize = (mode & LibC.FALLOC_FL_KEEP_SIZE) != 0;
        if (offset < 0 || length <= 0 || (punch && zero)) {
            throw new FsException(Errno.EINVAL, "bad range or mode");
        }
        if (punch && !keepSize) {
            throw new FsException(Errno.EOPNOTSUPP, "punching a hole needs FALLOC_FL_KEEP_SIZE");
        }
        if (offset > MAX_FILE_SIZE - length) {
            throw new FsException(Errno.EFBIG, "range past the maximum file size");
        }
        FileBlocks blocks = inodes.blocksOf(i);
        if (punch || zero) {
            blocks.punch(offset, offset + length, i.size());
        }
        if (!punch) {
            blocks.reserve(offset, length);
        }
        long now = NanoClock.now();
        synchronized (i) {
            if (!keepSize && offset + length > i.size) {
                i.size = offset + length;
                i.sizeChanges++;
            }
            if (punch || zero) {
                i.mtimeNanos = now;
            }
            i.ctimeNanos = now;
            i.attributesDirty = true;
        }
    }

    /**
     * lseek's SEEK_DATA or SEEK_HOLE from {@code offset}: ENXIO at or past the end of the file, and
     * a hole always at the end.
     */
    public long seek(Inode i, long offset, boolean data) throws IOException {
        long size = i.size();
        if (offset < 0 || offset >= size) {
            throw new FsException(Errno.ENXIO, "seek past the end of the file");
        }
        FileBlocks blocks = inodes.blocksOf(i);
        long found = data ? blocks.nextData(offset, size) : blocks.nextHole(offset, size);
        if (found >= size) {
            if (data) {
                throw new FsException(Errno.ENXIO, "no data past the offset");
            }
            return size;
        }
        return found;
    }

    /**
     * fsync and fdatasync: the file's blocks reach the disk first, then the metadata that finds them
     * (block map, size) is synced. fdatasync skips the metadata sync when only times changed.
     */
    public void fsync(Inode i, boolean datasync) throws IOException {
        synchronized (i) {
            i.fsynced = true;
        }
        FileBlocks blocks = inodes.blocksOf(i);
        long mapChanges = blocks.sync();
        boolean needMeta;
        long sizeChanges;
        synchronized (i) {
            sizeChanges = i.sizeChanges;
            needMeta = mapChanges >= 0 || i.sizeUnsynced() || (!datasync && i.attributesDirty);
        }
        if (needMeta) {
            inodes.persistIfDirty(i, true);
            // Marked synced only now, and only up to what was seen before the commit: had the sync
            // failed, or the size changed meanwhile, the next fsync syncs again.
            synchronized (i) {
                i.sizeChangesSynced = Math.max(i.sizeChangesSynced, sizeChanges);
            }
            if (mapChanges >= 0) {
                blocks.mapSynced(mapChanges);
            }
        }
        if (!datasync) {
            // chmod, chown, xattrs and new names are committed without a sync when they happen;
            // fsync makes them durable too (free when nothing is waiting for a sync)
            meta.sync();
        }
    }

    /** fsync of a directory: every name created or removed so far becomes durable. */
    public void fsyncDirectory() {
        meta.sync();
    }

    public byte[] readlink(Inode i) {
        synchronized (i) {
            if (i.symlinkTarget == null) {
                throw new FsException(Errno.EINVAL, "not a symlink");
            }
            return i.symlinkTarget;
        }
    }
}
