package io.tierfs.namespace;

import io.tierfs.codec.CompressionChoice;
import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.Memory;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Extended attributes in the user, trusted and security namespaces, stored beside the inode. Most
 * files have none, and the kernel asks for security.capability before every write, so whether an
 * inode has any is remembered in memory and that question is answered without the store.
 */
public final class Xattrs {
    public static final int XATTR_CREATE = 1, XATTR_REPLACE = 2;
    private static final int NAME_MAX = 255;
    private static final int VALUE_MAX = 65536;
    /** The kernel cannot list more than 64 KiB of names (XATTR_LIST_MAX): refuse to store more. */
    private static final int LIST_MAX = 65536;

    private static final Set<String> PIN_VALUES = Set.of("hot", "ssd", "hdd", "none");

    private final MetadataStore meta;
    private volatile TierAttributes tierAttributes = TierAttributes.NONE;

    public Xattrs(Inodes inodes) {
        this.meta = inodes.meta();
    }

    /** Where user.tierfs.pin goes and user.tierfs.tiers and .blocks come from (placement). */
    public void setTierAttributes(TierAttributes tierAttributes) {
        this.tierAttributes = tierAttributes;
    }

    public void set(Inode i, byte[] name, byte[] value, int flags) {
        checkName(name);
        if (value.length > VALUE_MAX) {
            throw new FsException(Errno.E2BIG, "xattr value over 64 KiB");
        }
        if (isTierfs(name)) {
            value = checkTierfs(i, new String(name, StandardCharsets.US_ASCII), value);
        }
        synchronized (i) {
            i.checkNotRetired();
            byte[] key = Keys.xattr(i.ino, name);
            boolean exists = meta.get(key) != null;
            if ((flags & XATTR_CREATE) != 0 && exists) {
                throw new FsException(Errno.EEXIST, "xattr exists");
            }
            if ((flags & XATTR_REPLACE) != 0 && !exists) {
                throw new FsException(Errno.ENODATA, "no such xattr");
            }
            int listBytes = exists ? 0 : listBytes(i) + name.length + 1;
            if (listBytes > LIST_MAX) {
                throw new FsException(Errno.ENOSPC, "no room for another xattr name on this file");
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
            if (!exists) {
                i.xattrListBytes = listBytes;
            }
            if (Arrays.equals(name, CAPABILITY)) {
                i.hasCapability = Boolean.TRUE;
            }
        }
        storageChanged(i, name);
    }

    /** Tells the tiers of a regular file's replica count or compression choice, set or removed. */
    private void storageChanged(Inode i, byte[] name) {
        if (FileMode.isRegular(i.mode()) && Arrays.equals(name, REPLICAS)) {
            tierAttributes.replicasChanged(i);
        } else if (FileMode.isRegular(i.mode()) && Arrays.equals(name, COMPRESS)) {
            tierAttributes.compressionChanged(i);
        }
    }

    /**
     * A user.tierfs. attribute may be set only as the pin, to a tier name (hot, ssd, hdd, none),
     * which must fit, as the replicas, 1 or 2, or as the compression ({@link CompressionChoice});
     * a trailing newline, as echo leaves it, is dropped. Returns the value to store.
     */
    private byte[] checkTierfs(Inode i, String name, byte[] value) {
        if (name.equals(TierAttributes.TIERS) || name.equals(TierAttributes.BLOCKS)) {
            throw new FsException(Errno.EPERM, name + " is read-only");
        }
        String stripped = new String(value, StandardCharsets.UTF_8).strip();
        boolean inheritable = name.equals(CompressionChoice.ATTRIBUTE) || name.equals(TierAttributes.REPLICAS);
        if (inheritable && !FileMode.isRegular(i.mode()) && !FileMode.isDirectory(i.mode())) {
            throw new FsException(Errno.EINVAL, name + " is for files and directories only");
        }
        if (name.equals(CompressionChoice.ATTRIBUTE)) {
            try {
                return CompressionChoice.parse(stripped).toString().getBytes(StandardCharsets.US_ASCII);
            } catch (IllegalArgumentException e) {
                throw new FsException(Errno.EINVAL, e.getMessage());
            }
        }
        if (name.equals(TierAttributes.REPLICAS)) {
            if (!stripped.equals("1") && !stripped.equals("2")) {
                throw new FsException(Errno.EINVAL, "user.tierfs.replicas is 1 or 2");
            }
            return stripped.getBytes(StandardCharsets.US_ASCII);
        }
        if (!name.equals(TierAttributes.PIN)) {
            throw new FsException(Errno.EINVAL, "user.tierfs. holds only pin, replicas, compress, tiers and blocks");
        }
        String tier = stripped;
        if (!PIN_VALUES.contains(tier)) {
            throw new FsException(Errno.EINVAL, "user.tierfs.pin is one of hot, ssd, hdd, none");
        }
        if (FileMode.isRegular(i.mode())) {
            tierAttributes.pin(i, tier);
        }
        return tier.getBytes(StandardCharsets.US_ASCII);
    }

    private static boolean isTierfs(byte[] name) {
        return Arrays.equals(name, 0, Math.min(TIERFS.length, name.length), TIERFS, 0, TIERFS.length);
    }

    private static final byte[] TIERFS = TierAttributes.PREFIX.getBytes(StandardCharsets.US_ASCII);

    private static final byte[] PIN = TierAttributes.PIN.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REPLICAS = TierAttributes.REPLICAS.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COMPRESS = CompressionChoice.ATTRIBUTE.getBytes(StandardCharsets.US_ASCII);
    /** What files and directories made in a directory take from it. */
    private static final byte[][] INHERITED = {PIN, REPLICAS, COMPRESS};

    /** The attributes a file created in {@code dir} inherits, as {name, value} pairs; empty for none. */
    List<byte[][]> inheritedFrom(Inode dir) {
        List<byte[][]> out = new ArrayList<>();
        if (mayHave(dir)) {
            for (byte[] name : INHERITED) {
                byte[] value = meta.get(Keys.xattr(dir.ino, name));
                if (value != null) {
                    out.add(new byte[][] {name, value});
                }
            }
        }
        return out;
    }

    /** Adds what {@code child} inherits to the batch that creates it. */
    void inherit(MetadataStore.Batch batch, Inode child, List<byte[][]> inherited) {
        int listBytes = 0;
        for (byte[][] attribute : inherited) {
            batch.put(Keys.xattr(child.ino, attribute[0]), attribute[1]);
            listBytes += attribute[0].length + 1;
        }
        synchronized (child) {
            child.mayHaveXattrs = Boolean.TRUE;
            child.xattrListBytes = listBytes;
        }
    }

    /**
     * Once the child that inherited a pin exists: placement keeps it there (a new file fits
     * anywhere). Inherited replicas and compression need nothing: the file has no sealed block yet.
     */
    void inherited(Inode child, List<byte[][]> inherited) {
        for (byte[][] attribute : inherited) {
            if (Arrays.equals(attribute[0], PIN) && FileMode.isRegular(child.mode())) {
                tierAttributes.pin(child, new String(attribute[1], StandardCharsets.US_ASCII));
            }
        }
    }

    /** The value, or ENODATA. */
    public byte[] get(Inode i, byte[] name) {
        checkName(name);
        if (isTierfs(name) && FileMode.isRegular(i.mode())) {
            String n = new String(name, StandardCharsets.US_ASCII);
            if (n.equals(TierAttributes.TIERS) || n.equals(TierAttributes.BLOCKS)) {
                return tierAttributes.describe(i, n);
            }
        }
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

    /**
     * The length of the file's names as listxattr returns them, kept on the inode after one scan
     * and followed by set and remove: counting them again before each new name made adding n
     * names cost n squared.
     */
    private int listBytes(Inode i) {
        if (i.xattrListBytes < 0) {
            i.xattrListBytes = list(i).length;
        }
        return i.xattrListBytes;
    }

    public void remove(Inode i, byte[] name) {
        checkName(name);
        if (isTierfs(name)) {
            String n = new String(name, StandardCharsets.US_ASCII);
            if (n.equals(TierAttributes.TIERS) || n.equals(TierAttributes.BLOCKS)) {
                throw new FsException(Errno.EPERM, n + " is read-only");
            }
            if (n.equals(TierAttributes.PIN) && FileMode.isRegular(i.mode()) && mayHave(i)
                && meta.get(Keys.xattr(i.ino, name)) != null) {
                tierAttributes.pin(i, "none");
            }
        }
        synchronized (i) {
            i.checkNotRetired();
            byte[] key = Keys.xattr(i.ino, name);
            if (!mayHave(i) || meta.get(key) == null) {
                throw new FsException(Errno.ENODATA, "no such xattr");
            }
            int listBytes = listBytes(i) - name.length - 1;
            i.ctimeNanos = NanoClock.now();
            try (MetadataStore.Batch b = meta.newBatch()) {
                b.delete(key);
                b.put(Keys.inode(i.ino), InodeCodec.encode(i));
                i.attributesDirty = false;
                meta.commit(b, false);
            }
            // known from the count: asking the store would scan the tombstones of every name
            // removed before, making the removal of n names cost n squared
            i.xattrListBytes = listBytes;
            i.mayHaveXattrs = listBytes > 0;
            i.hasCapability = Arrays.equals(name, CAPABILITY) ? Boolean.FALSE : i.hasCapability;
        }
        storageChanged(i, name); // back to one replica, or to the classifier's choice
    }

    /**
     * Drops the file's capabilities (security.capability), as a write, truncate or chown by an
     * unprivileged caller does on a local filesystem; answered from memory after the first call.
     *
     * @return whether the file had capabilities
     */
    public boolean dropCapabilities(Inode i) {
        // every O_DIRECT write asks: answered from memory after the first time, not by a lookup
        synchronized (i) {
            if (i.hasCapability == null) {
                i.hasCapability = mayHave(i) && meta.get(Keys.xattr(i.ino, CAPABILITY)) != null;
            }
            if (!i.hasCapability) {
                return false;
            }
        }
        try {
            remove(i, CAPABILITY);
            return true;
        } catch (FsException e) {
            if (e.errno() != Errno.ENODATA) {
                throw e;
            }
            return false;
        }
    }

    private static final byte[] CAPABILITY = "security.capability".getBytes(StandardCharsets.US_ASCII);

    /** Whether the inode may have any extended attribute; answered from memory after the first call. */
    public boolean mayHave(Inode i) {
        synchronized (i) {
            if (i.mayHaveXattrs == null) {
                i.mayHaveXattrs = meta.anyOf(Keys.XATTR, i.ino);
            }
            return i.mayHaveXattrs;
        }
    }

    private static final byte[][] NAMESPACES = {
        "user.".getBytes(StandardCharsets.US_ASCII),
        "trusted.".getBytes(StandardCharsets.US_ASCII),
        "security.".getBytes(StandardCharsets.US_ASCII),
    };

    private static void checkName(byte[] name) {
        if (name.length == 0 || name.length > NAME_MAX) {
            throw new FsException(Errno.ERANGE, "bad xattr name length");
        }
        for (byte[] ns : NAMESPACES) {
            if (Arrays.equals(name, 0, Math.min(ns.length, name.length), ns, 0, ns.length)) {
                return;
            }
        }
        throw new FsException(Errno.EOPNOTSUPP, "xattr namespace not supported");
    }

    /** Whether the C string in native memory starts with user.tierfs. (answered by placement, not the store). */
    public static boolean tierfsName(long cName) {
        for (int k = 0; k < TIERFS.length; k++) {
            if (Memory.IO.getByte(cName + k) != TIERFS[k]) {
                return false;
            }
        }
        return true;
    }

    /** {@link #checkName}'s namespace rule on a C string in native memory, without copying it. */
    public static boolean supportedNamespace(long cName) {
        next:
        for (byte[] ns : NAMESPACES) {
            for (int k = 0; k < ns.length; k++) {
                if (Memory.IO.getByte(cName + k) != ns[k]) {
                    continue next;
                }
            }
            return true;
        }
        return false;
    }
}
