package io.tierfs.namespace;

import io.tierfs.block.BlockStore;
import io.tierfs.block.FileBlocks;
import io.tierfs.meta.Keys;
import io.tierfs.meta.RocksMetadataStore;
import io.tierfs.testutil.NativeBuffer;
import io.tierfs.testutil.TierDirs;
import io.tierfs.tier.DirectoryTier;
import io.tierfs.tier.Tier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/** A volume as the daemon assembles it (metadata store, two directory tiers, namespace), without FUSE. */
public final class TestVolume implements AutoCloseable {
    public static final int BS = 16 * 1024;
    static final int FILE = FileMode.S_IFREG | 0644;
    static final int DIR = FileMode.S_IFDIR | 0755;

    final Path dir;
    final Path tierRoot;
    public final RocksMetadataStore meta;
    public final BlockStore blocks;
    public final Inodes inodes;
    public final Namespace ns;
    final FileOps files;
    final Xattrs xattrs;
    private boolean closed;
    /** Whether {@link #close} found every file's data synced (the daemon then marks the volume clean). */
    boolean closedClean;

    private TestVolume(Path dir, Path tierRoot, UnaryOperator<Tier> ssdWrapper) throws IOException {
        this.dir = dir;
        this.tierRoot = tierRoot;
        meta = new RocksMetadataStore(dir.resolve("meta"));
        Tier[] tiers = {
            ssdWrapper.apply(new DirectoryTier("ssd", tierRoot.resolve("ssd"), BS, 0)),
            new DirectoryTier("hdd", tierRoot.resolve("hdd"), BS, 0),
        };
        blocks = new BlockStore(BS, tiers, meta);
        inodes = new Inodes(meta, blocks);
        xattrs = new Xattrs(inodes);
        ns = new Namespace(inodes, xattrs);
        files = new FileOps(inodes);
    }

    /**
     * A new, formatted volume: its metadata in {@code dir}, its tiers in {@code tierRoot}, which is
     * emptied first (tests of one class share it, see {@link TierDirs}).
     */
    public static TestVolume create(Path dir, Path tierRoot) throws IOException {
        return create(dir, tierRoot, UnaryOperator.identity());
    }

    /** A new, formatted volume whose ssd tier is wrapped, e.g. to inject faults. */
    public static TestVolume create(Path dir, Path tierRoot, UnaryOperator<Tier> ssdWrapper) throws IOException {
        TierDirs.empty(tierRoot.resolve("ssd"));
        TierDirs.empty(tierRoot.resolve("hdd"));
        TestVolume v = new TestVolume(dir, tierRoot, ssdWrapper);
        v.inodes.format(0, 0);
        return v;
    }

    /** The existing volume. */
    public static TestVolume open(Path dir, Path tierRoot) throws IOException {
        return new TestVolume(dir, tierRoot, UnaryOperator.identity());
    }

    /** Shuts down in the daemon's order: inodes (flush, free deleted files' data), metadata, tiers. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            closedClean = inodes.closeAndSync();
            meta.close();
            blocks.close();
        }
    }

    static byte[] n(String name) {
        return name.getBytes(StandardCharsets.UTF_8);
    }

    public Inode mkfile(long parent, String name) {
        return ns.create(parent, n(name), FILE, 0, null, 0, 0);
    }

    Inode mkdir(long parent, String name) {
        return ns.create(parent, n(name), DIR, 0, null, 0, 0);
    }

    /** A write through an open handle, as FUSE's write does: data, then size and times. */
    public void write(Inode i, long offset, byte[] data) throws IOException {
        FileBlocks f = inodes.open(i);
        try (NativeBuffer b = NativeBuffer.of(data)) {
            f.write(offset, b.address, data.length);
            files.wrote(i, offset + data.length);
        } finally {
            inodes.close(i);
        }
    }

    /** A read through an open handle, cut at the file's size as FUSE's read is. */
    public byte[] read(Inode i, long offset, int length) throws IOException {
        FileBlocks f = inodes.open(i);
        int n = (int) Math.max(0, Math.min(length, i.size() - offset));
        try (NativeBuffer b = NativeBuffer.garbage(n)) {
            f.read(offset, b.address, n);
            return b.bytes();
        } finally {
            inodes.close(i);
        }
    }

    byte[] readAll(Inode i) throws IOException {
        return read(i, 0, (int) i.size());
    }

    boolean hasKey(byte[] key) {
        return meta.get(key) != null;
    }

    int countKeys(byte kind, long ino) {
        int[] n = {0};
        meta.scan(Keys.first(kind, ino), Keys.after(kind, ino), (k, v) -> ++n[0] > 0);
        return n[0];
    }

    /** The inode as stored, not as cached. */
    Inode stored(long ino) {
        byte[] v = meta.get(Keys.inode(ino));
        return v == null ? null : InodeCodec.decode(ino, v);
    }

    static Attributes attrs(Inode i) {
        Attributes a = new Attributes();
        i.copyTo(a, BS);
        return a;
    }
}
