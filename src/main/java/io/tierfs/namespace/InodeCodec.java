package io.tierfs.namespace;

import java.nio.ByteBuffer;

/** The inode record (format version 1): fixed fields, then a symlink's target. */
final class InodeCodec {
    private static final byte VERSION = 1;
    private static final int FIXED = 1 + 4 * 3 + 8 * 8;

    private InodeCodec() {
    }

    /** Call under the inode's monitor. */
    static byte[] encode(Inode i) {
        byte[] target = i.symlinkTarget == null ? new byte[0] : i.symlinkTarget;
        return ByteBuffer.allocate(FIXED + target.length).put(VERSION)
            .putInt(i.mode).putInt(i.uid).putInt(i.gid)
            .putLong(i.nlink).putLong(i.size).putLong(i.rdev)
            .putLong(i.atimeNanos).putLong(i.mtimeNanos).putLong(i.ctimeNanos)
            .putLong(i.parent).putLong(i.blockCount)
            .put(target).array();
    }

    static Inode decode(long ino, byte[] value) {
        ByteBuffer b = ByteBuffer.wrap(value);
        byte version = b.get();
        if (version != VERSION) {
            throw new IllegalStateException("inode " + ino + " has unknown format version " + version);
        }
        Inode i = new Inode(ino);
        i.mode = b.getInt();
        i.uid = b.getInt();
        i.gid = b.getInt();
        i.nlink = b.getLong();
        i.size = b.getLong();
        i.rdev = b.getLong();
        i.atimeNanos = b.getLong();
        i.mtimeNanos = b.getLong();
        i.ctimeNanos = b.getLong();
        i.parent = b.getLong();
        i.blockCount = b.getLong();
        if (b.hasRemaining()) {
            i.symlinkTarget = new byte[b.remaining()];
            b.get(i.symlinkTarget);
        }
        return i;
    }
}
