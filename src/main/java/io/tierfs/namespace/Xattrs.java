package io.tierfs.namespace;

import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.nativeio.Errno;
import java.io.ByteArrayOutputStream;

/**
 * Extended attributes in the user, trusted and security namespaces, stored beside the inode. Most
 * files have none, and the kernel asks for security.capability before every write, so whether an
 * inode has any is remembered in memory and that question is answered without the store.
 */
public final class Xattrs {
    public static final int XATTR_CREATE = 1, XATTR_REPLACE = 2;
    private static final int NAME_MAX = 255;
    private static final int VALUE_MAX = 65536;

    private final MetadataStore meta;

    public Xattrs(Inodes inodes) {
        this.meta = inodes.meta();
    }

    public void set(Inode i, byte[] name, byte[] value, int flags) {
        checkName(name);
        if (value.length > VALUE_MAX) {
            throw new FsException(Errno.E2BIG, "xattr value over 64 KiB");
        }
        synchronized (i) {
            byte[] key = Keys.xattr(i.ino, name);
            boolean exists = meta.get(key) != null;
            if ((flags & XATTR_CREATE) != 0 && exists) {
                throw new FsException(Errno.EEXIST, "xattr exists");
            }
            if ((flags & XATTR_REPLACE) != 0 && !exists) {
                throw new FsException(Errno.ENODATA, "no such xattr");
            }
            i.ctimeNanos = NanoClock.now();
            i.attributesDirty = true;
            try (MetadataStore.Batch b = meta.newBatch()) {
                b.put(key, value);
                b.put(Keys.inode(i.ino), InodeCodec.encode(i));
                i.attributesDirty = false;
                meta.commit(b, false);
            }
            i.mayHaveXattrs = Boolean.TRUE;
        }
    }

    /** The value, or ENODATA. */
    public byte[] get(Inode i, byte[] name) {
        checkName(name);
        if (!mayHave(i)) {
            throw new FsException(Errno.ENODATA, "no such xattr");
        }
        byte[] v = meta.get(Keys.xattr(i.ino, name));
        if (v == null) {
            throw new FsException(Errno.ENODATA, "no such xattr");
        }
        return v;
    }

    /** The names, each followed by a NUL, as listxattr returns them. */
    public byte[] list(Inode i) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (mayHave(i)) {
            meta.scan(Keys.first(Keys.XATTR, i.ino), Keys.after(Keys.XATTR, i.ino), (k, v) -> {
                out.write(k, 9, k.length - 9);
                out.write(0);
                return true;
            });
        }
        return out.toByteArray();
    }

    public void remove(Inode i, byte[] name) {
        checkName(name);
        synchronized (i) {
            byte[] key = Keys.xattr(i.ino, name);
            if (!mayHave(i) || meta.get(key) == null) {
                throw new FsException(Errno.ENODATA, "no such xattr");
            }
            i.ctimeNanos = NanoClock.now();
            try (MetadataStore.Batch b = meta.newBatch()) {
                b.delete(key);
                b.put(Keys.inode(i.ino), InodeCodec.encode(i));
                i.attributesDirty = false;
                meta.commit(b, false);
            }
            i.mayHaveXattrs = null;
        }
    }

    private boolean mayHave(Inode i) {
        synchronized (i) {
            if (i.mayHaveXattrs == null) {
                boolean[] any = {false};
                meta.scan(Keys.first(Keys.XATTR, i.ino), Keys.after(Keys.XATTR, i.ino), (k, v) -> {
                    any[0] = true;
                    return false;
                });
                i.mayHaveXattrs = any[0];
            }
            return i.mayHaveXattrs;
        }
    }

    private static void checkName(byte[] name) {
        if (name.length == 0 || name.length > NAME_MAX) {
            throw new FsException(Errno.ERANGE, "bad xattr name length");
        }
        String s = new String(name, 0, Math.min(name.length, 9), java.nio.charset.StandardCharsets.US_ASCII);
        if (!(s.startsWith("user.") || s.startsWith("trusted.") || s.startsWith("security."))) {
            throw new FsException(Errno.EOPNOTSUPP, "xattr namespace not supported");
        }
    }
}
