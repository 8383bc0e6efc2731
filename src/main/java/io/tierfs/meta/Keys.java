package io.tierfs.meta;

import java.nio.ByteBuffer;

/**
 * The key layout of the metadata store (format version 1). Numbers are big-endian so that keys of
 * one inode sort together and in order:
 * <pre>
 *   'S' name                 volume-wide values (next inode number, clean-shutdown mark)
 *   'I' ino                  inode record
 *   'D' parent-ino name      directory entry -> child ino, type
 *   'X' ino name             extended attribute value
 *   'B' ino block-index      block reference
 *   'O' ino                  orphan: unlinked while open, to be deleted at last close or at mount
 *   'W' ino block-index      a compressed block being rewritten raw in place: its raw bytes
 *   'N' ino                  a small file's bytes, kept here instead of in a block (format 5)
 * </pre>
 */
public final class Keys {
    public static final byte SUPER = 'S', INODE = 'I', DIRENT = 'D', XATTR = 'X', BLOCK = 'B', ORPHAN = 'O',
        REWRITE = 'W', INLINE = 'N';

    public static final byte[] NEXT_INODE = superKey("next-inode");
    public static final byte[] CLEAN_SHUTDOWN = superKey("clean-shutdown");

    private Keys() {
    }

    public static byte[] superKey(String name) {
        byte[] n = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(1 + n.length).put(SUPER).put(n).array();
    }

    public static byte[] inode(long ino) {
        return ByteBuffer.allocate(9).put(INODE).putLong(ino).array();
    }

    public static byte[] orphan(long ino) {
        return ByteBuffer.allocate(9).put(ORPHAN).putLong(ino).array();
    }

    public static byte[] inline(long ino) {
        return ByteBuffer.allocate(9).put(INLINE).putLong(ino).array();
    }

    public static byte[] dirent(long parent, byte[] name) {
        return ByteBuffer.allocate(9 + name.length).put(DIRENT).putLong(parent).put(name).array();
    }

    public static byte[] xattr(long ino, byte[] name) {
        return ByteBuffer.allocate(9 + name.length).put(XATTR).putLong(ino).put(name).array();
    }

    public static byte[] block(long ino, long index) {
        return ofBlock(BLOCK, ino, index);
    }

    /** A block being rewritten in place, raw, over its compressed bytes: the raw bytes, until they are durable in the slot. */
    public static byte[] rewrite(long ino, long index) {
        return ofBlock(REWRITE, ino, index);
    }

    private static byte[] ofBlock(byte kind, long ino, long index) {
        return ByteBuffer.allocate(17).put(kind).putLong(ino).putLong(index).array();
    }

    /** The first key of {@code kind} for {@code ino}: with {@link #after} it bounds a scan of that inode's keys. */
    public static byte[] first(byte kind, long ino) {
        return ByteBuffer.allocate(9).put(kind).putLong(ino).array();
    }

    /** The first key past every key of {@code kind} for {@code ino}. */
    public static byte[] after(byte kind, long ino) {
        return first(kind, ino + 1);
    }

    public static byte[] all(byte kind) {
        return new byte[] {kind};
    }

    public static byte[] allEnd(byte kind) {
        return new byte[] {(byte) (kind + 1)};
    }

    public static long inoOf(byte[] key) {
        return ByteBuffer.wrap(key, 1, 8).getLong();
    }

    public static long blockIndexOf(byte[] key) {
        return ByteBuffer.wrap(key, 9, 8).getLong();
    }

    /** The name part of a directory-entry or xattr key. */
    public static byte[] nameOf(byte[] key) {
        return java.util.Arrays.copyOfRange(key, 9, key.length);
    }
}
