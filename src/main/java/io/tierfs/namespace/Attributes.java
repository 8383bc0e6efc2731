package io.tierfs.namespace;

/**
 * A reusable snapshot of an inode's attributes, filled under the inode's lock and then written into a
 * FUSE reply. Each FUSE worker owns one, so answering getattr allocates nothing.
 */
public final class Attributes {
    public long ino;
    public int mode;
    public int uid;
    public int gid;
    public long nlink;
    public long rdev;
    public long size;
    public long blocks512;
    public long atimeNanos;
    public long mtimeNanos;
    public long ctimeNanos;
}
