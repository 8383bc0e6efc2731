package io.tierfs.tier;

import io.tierfs.nativeio.Durable;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.LibC;
import io.tierfs.nativeio.Memory;
import io.tierfs.nativeio.NativeIOException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.logging.Logger;

/**
 * A tier in a directory of a local filesystem (the ssd and hdd tiers). Each file's blocks on this
 * tier live in one sparse file, {@code ROOT/xx/INO}, block {@code i} at offset {@code i * blockSize}:
 * one descriptor per open file, holes for absent blocks, and a block freed by punching a hole.
 * What the filesystem can do is probed when the tier opens ({@link TierProbe}); what it cannot,
 * the tier files make up for ({@link TierFeatures}). The tier watches its directory: removed,
 * replaced (its filesystem unmounted) or turned read-only, it refuses I/O with EIO or EROFS
 * rather than writing where nothing can find the data again.
 */
public final class DirectoryTier implements Tier {
    private static final Logger LOG = Logger.getLogger(DirectoryTier.class.getName());
    private static final int SHARDS = 256;
    /** The shard directories' names, "00" to "ff", made once: a path is built for every tier file opened. */
    private static final String[] SHARD_NAMES = java.util.stream.IntStream.range(0, SHARDS)
        .mapToObj(i -> String.format("%02x", i)).toArray(String[]::new);

    private final String name;
    private final Path root;
    /** The first shard directory, whose presence each sync checks (made once: syncs are frequent). */
    private final Path firstShard;
    private final int blockSize;
    private final long limitBytes;
    private final FileStore store;
    private final TierFeatures features;
    /** The directory's device and inode at open: a different pair means it is not the same directory. */
    private final Object identity;
    /** Why the tier's directory cannot be used, or null; reads fail too while it is gone. */
    private volatile String gone;
    private volatile boolean readOnly;
    private volatile long zeros;
    private volatile boolean uncachedReads;
    /** Shards a file was deleted from since the last {@link #syncDeletes}. Guarded by itself. */
    private final BitSet unsyncedDeletes = new BitSet(SHARDS);
    private final SpareFiles spares;

    /**
     * Opens the tier in {@code root}, creating its directories if need be.
     *
     * @param limitBytes the most this tier may hold, or 0 for as much as its filesystem has (which
     *                   must then report a size)
     * @throws TierUnusableException if its filesystem lacks what tierfs cannot do without
     */
    public DirectoryTier(String name, Path root, int blockSize, long limitBytes) throws IOException {
        this(name, root, blockSize, limitBytes, UnaryOperator.identity());
    }

    /**
     * Reads of this tier leave nothing in the host's page cache (the slowest tier's: a scan of
     * cold data must not push warm pages out, nor the page cache pass for a fast tier).
     */
    public DirectoryTier uncachedReads() {
        this.uncachedReads = true;
        return this;
    }

    boolean readsUncached() {
        return uncachedReads;
    }

    /** For tests of the fallbacks: a tier that uses only what {@code restrict} leaves of what it probed. */
    static DirectoryTier restricted(String name, Path root, int blockSize, long limitBytes,
                                    UnaryOperator<TierFeatures> restrict) throws IOException {
        return new DirectoryTier(name, root, blockSize, limitBytes, restrict);
    }

    private DirectoryTier(String name, Path root, int blockSize, long limitBytes, UnaryOperator<TierFeatures> restrict)
        throws IOException {
        this.name = name;
        this.root = root;
        this.firstShard = root.resolve(SHARD_NAMES[0]);
        this.blockSize = blockSize;
        this.limitBytes = limitBytes;
        Durable.createDirectories(root);
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
        for (int i = 0; i < SHARDS; i++) {
            Path shard = root.resolve(SHARD_NAMES[i]);
            if (!Files.isDirectory(shard)) {
                Files.createDirectory(shard, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        }
        Durable.syncDirectory(root);
        this.store = Files.getFileStore(root);
        this.features = restrict.apply(TierProbe.probe(name, root, limitBytes, "--" + name + "-capacity"));
        this.identity = identityOf(root);
        this.spares = new SpareFiles(root.toString(), name);
    }

    /**
     * The directory's device, and its inode number where that is stable: a FUSE filesystem
     * without its own inode numbers (libfuse's high-level API, as LazyFS) numbers a directory
     * anew when the kernel forgets it. There the device and the shard directories tell.
     */
    private Object identityOf(Path dir) throws IOException {
        Map<String, Object> a = Files.readAttributes(dir, "unix:dev,ino");
        return features.filesystem().startsWith("fuse") ? a.get("dev") : a.get("dev") + ":" + a.get("ino");
    }


    /** Makes {@code path} a new, empty tier file from a spare one: its descriptor, or -1 if the caller must create it. */
    int takeSpare(String path) {
        return spares.takeInto(path);
    }

    /** Its spare files (for tests). */
    SpareFiles spares() {
        return spares;
    }

    Path pathOf(long ino) {
        return root.resolve(SHARD_NAMES[shardOf(ino)]).resolve(Long.toString(ino));
    }

    private static int shardOf(long ino) {
        return (int) (ino & (SHARDS - 1));
    }

    int blockSize() {
        return blockSize;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public TierFile open(long ino) {
        return new DirectoryTierFile(this, ino);
    }

    @Override
    public void delete(long ino) throws IOException {
        // unlink(2) itself: Files.deleteIfExists builds an exception for every missing file, and
        // most deleted files (small ones) never had a tier file
        String path = pathOf(ino).toString();
        if (LibC.INSTANCE.unlink(path) != 0) {
            int errno = LibC.errno();
            if (errno == Errno.ENOENT) {
                return;
            }
            throw new NativeIOException("deleting " + path, errno);
        }
        synchronized (unsyncedDeletes) {
            unsyncedDeletes.set(shardOf(ino));
        }
    }

    @Override
    public void syncDeletes() throws IOException {
        BitSet shards;
        synchronized (unsyncedDeletes) {
            shards = (BitSet) unsyncedDeletes.clone();
            unsyncedDeletes.clear();
        }
        for (int i = shards.nextSetBit(0); i >= 0; i = shards.nextSetBit(i + 1)) {
            try {
                Durable.syncDirectory(root.resolve(SHARD_NAMES[i]));
            } catch (IOException e) {
                shards.clear(0, i); // those are durable; this one and the rest are not
                synchronized (unsyncedDeletes) {
                    unsyncedDeletes.or(shards);
                }
                throw e;
            }
        }
    }

    @Override
    public long[] storedInodes() throws IOException {
        long[] inodes = new long[64];
        int n = 0;
        for (int i = 0; i < SHARDS; i++) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(root.resolve(SHARD_NAMES[i]))) {
                for (Path f : files) {
                    if (n == inodes.length) {
                        inodes = Arrays.copyOf(inodes, n * 2);
                    }
                    inodes[n++] = Long.parseLong(f.getFileName().toString());
                }
            }
        }
        return Arrays.copyOf(inodes, n);
    }

    /**
     * The configured limit, bounded by the filesystem's size where it reports one; a filesystem
     * that reports none (some FUSE and network ones) is trusted with the configured capacity.
     */
    @Override
    public long capacityBytes() throws IOException {
        if (limitBytes == 0) {
            return store.getTotalSpace();
        }
        return features.reportsSize() ? Math.min(limitBytes, store.getTotalSpace()) : limitBytes;
    }

    @Override
    public long freeBytes(long usedBytes) throws IOException {
        if (gone != null || readOnly) {
            return 0;
        }
        if (limitBytes == 0) {
            return store.getUsableSpace();
        }
        long left = Math.max(0, limitBytes - usedBytes);
        return features.reportsSize() ? Math.min(left, store.getUsableSpace()) : left;
    }

    @Override
    public TierFeatures features() {
        return features;
    }

    @Override
    public String unavailableReason() {
        String g = gone;
        return g != null ? g : readOnly ? READ_ONLY : null;
    }

    /**
     * Looks at the tier's directory: gone (removed, or another filesystem where it was: its own
     * was unmounted), read-only, or fine again. A change is logged once, naming the tier.
     */
    @Override
    public synchronized void checkHealth() {
        String nowGone = null;
        boolean nowReadOnly = false;
        try {
            if (!identity.equals(identityOf(root)) || !Files.isDirectory(firstShard)) {
                nowGone = "its directory " + root + " is not the one tierfs opened (removed and made again,"
                    + " or its filesystem unmounted)";
            } else {
                // mounted read-only, or read-only since a write failed with EROFS (a filesystem that
                // turned read-only after an error keeps its rw mount flag) until a write succeeds
                nowReadOnly = Files.getFileStore(root).isReadOnly() || (readOnly && !writable());
            }
        } catch (IOException e) {
            nowGone = "its directory " + root + " is gone (removed, or its filesystem unmounted)";
        }
        if (nowGone != null && gone == null) {
            LOG.severe(this + " is unavailable: " + nowGone + "; reads of its blocks fail with EIO,"
                + " new blocks go to the other tiers");
        } else if (nowGone == null && nowReadOnly && !readOnly) {
            LOG.severe(this + " is read-only: writes to its blocks fail with EROFS; they stay readable,"
                + " new blocks go to the other tiers");
        } else if (nowGone == null && !nowReadOnly && (gone != null || readOnly)) {
            LOG.warning(this + " is available again");
        }
        gone = nowGone;
        readOnly = nowReadOnly;
        if (nowGone != null || nowReadOnly) {
            spares.discard();
        }
    }

    /** Throws EIO if the tier's directory is no longer the one it opened (one stat; for syncs). */
    void verifyPresent() throws NativeIOException {
        boolean same;
        try {
            same = identity.equals(identityOf(root)) && Files.isDirectory(firstShard);
        } catch (IOException e) {
            same = false;
        }
        if (!same) {
            checkHealth();
        }
        checkReadable();
    }

    /** A block of zeros in native memory, for the tier files of a filesystem without holes to punch. */
    long zeros() {
        long z = zeros;
        if (z == 0) {
            synchronized (this) {
                if (zeros == 0) {
                    zeros = Memory.allocate(blockSize);
                }
                z = zeros;
            }
        }
        return z;
    }

    /** Fails a read of this tier's data while its directory is gone. */
    void checkReadable() throws NativeIOException {
        String g = gone;
        if (g != null) {
            throw NativeIOException.reported(this + " is unavailable: " + g, Errno.EIO);
        }
    }

    /** Fails a change of this tier's data while its directory is gone or read-only. */
    void checkWritable() throws NativeIOException {
        checkReadable();
        if (readOnly) {
            throw NativeIOException.reported(this + " is read-only", Errno.EROFS);
        }
    }

    /** Whether a file can be made in the tier's directory (a write probe, only while it seems read-only). */
    private boolean writable() {
        Path probe = root.resolve(".tierfs-write-probe");
        try {
            Files.deleteIfExists(probe);
            Files.createFile(probe);
            Files.delete(probe);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * After a failure of {@code errno} on this tier: looks at its directory at once, and turns the
     * failure into the tier's own if that is why (EIO or EROFS instead of ENOENT or ENOSPC).
     */
    NativeIOException explain(NativeIOException e, boolean write) {
        if (e.errno() == Errno.ENOENT || e.errno() == Errno.EROFS || e.errno() == Errno.EIO
            || e.errno() == Errno.ENOSPC) {
            if (e.errno() == Errno.EROFS && !readOnly) {
                synchronized (this) {
                    LOG.severe(this + " is read-only: writes to its blocks fail with EROFS; they stay readable,"
                        + " new blocks go to the other tiers");
                    readOnly = true;
                }
            }
            checkHealth();
            if (!write && e.errno() == Errno.EROFS) {
                // ext4 turned read-only by an error refuses reads too, with EROFS: a read error to readers
                return NativeIOException.reported(this + " refuses reads: its filesystem turned read-only after an error",
                    Errno.EIO);
            }
            try {
                if (write) {
                    checkWritable();
                } else {
                    checkReadable();
                }
            } catch (NativeIOException tierFailure) {
                return tierFailure;
            }
        }
        return e;
    }

    @Override
    public Path location() {
        return root;
    }

    @Override
    public void close() {
        // Each TierFile owns its descriptor; the tier holds only its spares'.
        spares.close();
        if (zeros != 0) {
            Memory.free(zeros);
            zeros = 0;
        }
    }

    @Override
    public String toString() {
        return name + " tier at " + root;
    }
}
