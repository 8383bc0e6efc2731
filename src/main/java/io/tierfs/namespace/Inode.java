package io.tierfs.namespace;

import io.tierfs.block.FileBlocks;
import io.tierfs.nativeio.Errno;

/**
 * One file, directory or link: its persisted attributes, plus in-memory state (kernel lookup count,
 * open handles, the block table of an open file). Attributes are read and changed under the
 * inode's monitor; the inode number is never reused, so it is stable for the life of the file.
 */
public final class Inode {
    public final long ino;
    int mode;
    int uid;
    int gid;
    long nlink;
    /** Volatile so that every FUSE read can clamp to it without taking the inode's monitor. */
    volatile long size;
    long rdev;
    long atimeNanos;
    long mtimeNanos;
    long ctimeNanos;
    /** The parent directory, kept for directories only: it answers ".." and guards rename loops. */
    long parent;
    /** Blocks that hold data; st_blocks is derived from it. */
    long blockCount;
    byte[] symlinkTarget;

    // In memory only.
    /** st_blocks at the last {@link #blocksChangedSinceAsked}. */
    private long blocks512Asked;
    long lookups;
    int opens;
    /**
     * Whether the file was fsynced while loaded: a program that syncs a file and then deletes it
     * may make the deletion its commit point (SQLite's rollback journal), so that unlink is synced.
     */
    boolean fsynced;
    /**
     * Made by this mount and never given a block (known when its block table closes): its
     * deletion has no block record, tier file or hot copy to look for. Guarded by Inodes.
     */
    boolean withoutBlocks;
    /**
     * Made by this mount and its block table never opened: it has neither block records nor
     * inline bytes, so its table opens without asking the store. Guarded by Inodes.
     */
    boolean fresh;
    /**
     * Its last name went while nothing held it open and it had no block, and its records went with
     * the name ({@link Inodes#retireIfUnused}): it lives on in memory only, for the kernel's
     * remaining references, and no record of it may be written again. Guarded by this.
     */
    boolean retired;
    /** Attributes changed by the data path that are not yet in the metadata store. */
    boolean attributesDirty;
    /**
     * Counts size changes; fdatasync must sync the metadata too while some are not yet synced. A
     * count, not a flag, so that a change made while an fsync runs is not marked synced with it.
     */
    long sizeChanges;
    long sizeChangesSynced;
    /** Whether this inode may have extended attributes; lets the frequent security.capability query skip the store. */
    Boolean mayHaveXattrs;
    /** Whether it has security.capability, once known: null until then (see Xattrs#dropCapabilities). */
    Boolean hasCapability;
    /** The length of its listxattr answer, once known: -1 until then (see Xattrs#set). */
    int xattrListBytes = -1;
    FileBlocks blocks;

    Inode(long ino) {
        this.ino = ino;
    }

    public synchronized int mode() {
        return mode;
    }

    public synchronized int gid() {
        return gid;
    }

    public long size() {
        return size;
    }

    public synchronized long nlink() {
        return nlink;
    }

    public synchronized void copyTo(Attributes a, int blockSize) {
        a.ino = ino;
        a.mode = mode;
        a.uid = uid;
        a.gid = gid;
        a.nlink = nlink;
        a.rdev = rdev;
        a.size = size;
        a.blocks512 = blocks512(blockSize);
        a.atimeNanos = atimeNanos;
        a.mtimeNanos = mtimeNanos;
        a.ctimeNanos = ctimeNanos;
    }

    /**
     * st_blocks. The blocks that hold the data count no more than the size rounded up to a page:
     * their tier slots are sparse past what was written. Blocks wholly past the end (fallocate
     * KEEP_SIZE) count whole; at least this many of them lie there.
     */
    private long blocks512(int blockSize) {
        long covering = (size + blockSize - 1) / blockSize;
        long pastEnd = Math.max(0, blockCount - covering);
        long stored = Math.min((blockCount - pastEnd) * blockSize, (size + 4095) & ~4095L) + pastEnd * blockSize;
        return stored / 512;
    }

    /** Whether st_blocks changed since the last call (a sync asks: see the FUSE adapter's fsync). */
    public synchronized boolean blocksChangedSinceAsked(int blockSize) {
        long now = blocks512(blockSize);
        boolean changed = now != blocks512Asked;
        blocks512Asked = now;
        return changed;
    }

    /** Refuses a change to be stored for a retired inode (a change by path racing its unlink). Call holding this. */
    void checkNotRetired() {
        if (retired) {
            throw new FsException(Errno.ENOENT, "file was deleted");
        }
    }

    /** Called by the data path after a write: grows the size, stamps the times. */
    public synchronized void wrote(long end, long nowNanos, boolean mtime) {
        if (end > size) {
            size = end;
            sizeChanges++;
        }
        if (mtime) {
            mtimeNanos = nowNanos;
        }
        ctimeNanos = nowNanos;
        attributesDirty = true;
    }

    /** The size changed since the last metadata sync. Call holding this inode's monitor. */
    boolean sizeUnsynced() {
        return sizeChanges != sizeChangesSynced;
    }

    public synchronized void blocksAdded(long n) {
        blockCount += n;
        attributesDirty = true;
    }
}
