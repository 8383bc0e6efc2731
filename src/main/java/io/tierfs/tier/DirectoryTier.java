package io.tierfs.tier;

import io.tierfs.nativeio.Durable;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.BitSet;

/**
 * A tier in a directory of a local filesystem (the ssd and hdd tiers). Each file's blocks on this
 * tier live in one sparse file, {@code ROOT/xx/INO}, block {@code i} at offset {@code i * blockSize}:
 * one descriptor per open file, holes for absent blocks, and a block freed by punching a hole.
 */
public final class DirectoryTier implements Tier {
    private static final int SHARDS = 256;

    private final String name;
    private final Path root;
    private final int blockSize;
    private final long limitBytes;
    private final FileStore store;
    /** Shards a file was deleted from since the last {@link #syncDeletes}. Guarded by itself. */
    private final BitSet unsyncedDeletes = new BitSet(SHARDS);

    /**
     * @param limitBytes the most this tier may hold, or 0 for as much as its filesystem has
     */
    public DirectoryTier(String name, Path root, int blockSize, long limitBytes) throws IOException {
        this.name = name;
        this.root = root;
        this.blockSize = blockSize;
        this.limitBytes = limitBytes;
        Durable.createDirectories(root);
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
        for (int i = 0; i < SHARDS; i++) {
            Path shard = root.resolve(shardName(i));
            if (!Files.isDirectory(shard)) {
                Files.createDirectory(shard, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        }
        Durable.syncDirectory(root);
        this.store = Files.getFileStore(root);
    }

    private static String shardName(int i) {
        return String.format("%02x", i);
    }

    Path pathOf(long ino) {
        return root.resolve(shardName(shardOf(ino))).resolve(Long.toString(ino));
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
        if (Files.deleteIfExists(pathOf(ino))) {
            synchronized (unsyncedDeletes) {
                unsyncedDeletes.set(shardOf(ino));
            }
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
                Durable.syncDirectory(root.resolve(shardName(i)));
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
            try (DirectoryStream<Path> files = Files.newDirectoryStream(root.resolve(shardName(i)))) {
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

    @Override
    public long capacityBytes() throws IOException {
        long total = store.getTotalSpace();
        return limitBytes > 0 ? Math.min(limitBytes, total) : total;
    }

    @Override
    public long freeBytes(long usedBytes) throws IOException {
        long fsFree = store.getUsableSpace();
        return limitBytes > 0 ? Math.max(0, Math.min(limitBytes - usedBytes, fsFree)) : fsFree;
    }

    @Override
    public Path location() {
        return root;
    }

    @Override
    public void close() {
        // Each TierFile owns its descriptor; the tier itself holds none.
    }

    @Override
    public String toString() {
        return name + " tier at " + root;
    }
}
