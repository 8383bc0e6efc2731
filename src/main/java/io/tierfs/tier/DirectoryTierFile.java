package io.tierfs.tier;

import static io.tierfs.nativeio.Memory.IO;

import io.tierfs.nativeio.Durable;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.LibC;
import io.tierfs.nativeio.Memory;
import io.tierfs.nativeio.NativeIOException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/** One file's blocks in a {@link DirectoryTier}: a sparse file read and written with pread/pwrite. */
final class DirectoryTierFile implements TierFile {
    private static final LibC C = LibC.INSTANCE;
    /** Bytes read at a time to check data for zeros (recovery only, so allocated per call). */
    private static final long ZERO_CHECK_CHUNK = 64 * 1024;

    private final DirectoryTier tier;
    private final TierFeatures features;
    private final long ino;
    private final long blockSize;
    private volatile int fd = -1;
    private volatile boolean dirty;
    /** The file was created since the last sync: its name must be made durable too. */
    private volatile boolean created;

    DirectoryTierFile(DirectoryTier tier, long ino) {
        this.tier = tier;
        this.features = tier.features();
        this.ino = ino;
        this.blockSize = tier.blockSize();
    }

    /** The descriptor, opening (and with {@code create}, creating) the file on first use; -1 if absent. */
    private int fd(boolean create) throws IOException {
        int f = fd;
        if (f >= 0) {
            return f;
        }
        synchronized (this) {
            if (fd >= 0) {
                return fd;
            }
            Path path = tier.pathOf(ino);
            f = C.open(path.toString(), LibC.O_RDWR | LibC.O_CLOEXEC, 0);
            if (f < 0 && LibC.errno() == Errno.ENOENT) {
                if (!create) {
                    return -1;
                }
                String p = path.toString();
                f = tier.takeSpare(p);
                if (f < 0) {
                    f = C.open(p, LibC.O_RDWR | LibC.O_CREAT | LibC.O_CLOEXEC, 0600);
                }
                created = true;
            }
            if (f < 0) {
                throw tier.explain(new NativeIOException("open " + path, LibC.errno()), create);
            }
            if (tier.readsUncached()) {
                // no readahead: reads of this tier are dropped from the page cache after each one,
                // so pages read ahead would spend the disk and the memory the hot tier lives in on
                // pages nobody asked for
                C.posix_fadvise(f, 0, 0, LibC.POSIX_FADV_RANDOM);
            }
            fd = f;
            return f;
        }
    }

    @Override
    public void read(long index, int offset, long address, int length) throws IOException {
        tier.checkReadable();
        int f = fd(false);
        long pos = index * blockSize + offset;
        int done = 0;
        while (f >= 0 && done < length) {
            long n = C.pread(f, address + done, length - done, pos + done);
            if (n < 0) {
                int errno = LibC.errno();
                if (errno == Errno.EINTR) {
                    continue;
                }
                throw tier.explain(new NativeIOException("read " + tier.pathOf(ino), errno), false);
            }
            if (n == 0) {
                break;
            }
            done += (int) n;
        }
        if (done < length) {
            IO.setMemory(address + done, length - done, (byte) 0);
        }
        if (done > 0 && tier.readsUncached()) {
            C.posix_fadvise(f, pos, done, LibC.POSIX_FADV_DONTNEED); // clean pages only: a write's stay
        }
    }

    @Override
    public void write(long index, int offset, long address, int length) throws IOException {
        tier.checkWritable();
        writeAt(fd(true), index * blockSize + offset, address, length);
    }

    /**
     * The most one pwrite writes, ending at a multiple of it. The page cache makes a file's folios
     * as large as the write that made them (ext4 has large folios since Linux 6.16), and every
     * later write into a folio walks all its buffer heads: a 4 KiB O_DIRECT write into a block
     * laid out by 1 MiB writes cost the daemon 10.7-13.3 us against 4.6-6.0 us with 32 KiB pieces
     * (70/30 mix: 21-27 against 6.3-7.3 us; 128 KiB pieces, the C passthrough's largest write,
     * 7.3-9.7 us), while 1 MiB sequential writes moved no more than their spread.
     */
    private static final long PIECE = 32 << 10;

    private void writeAt(int f, long pos, long address, long length) throws IOException {
        long done = 0;
        while (done < length) {
            long at = pos + done;
            long n = C.pwrite(f, address + done, Math.min(length - done, PIECE - (at & (PIECE - 1))), at);
            if (n < 0) {
                int errno = LibC.errno();
                if (errno == Errno.EINTR) {
                    continue;
                }
                throw tier.explain(new NativeIOException("write " + tier.pathOf(ino), errno), true);
            }
            done += n;
        }
        if (!dirty) {
            dirty = true;
        }
    }

    /**
     * Where freed slots are not punched out (no punch hole), a slot may still hold the bytes of a
     * block freed before: the new block's first write then writes the rest of it as zeros.
     */
    @Override
    public void writeNew(long index, int offset, long address, int length) throws IOException {
        if (!features.punchHole()) {
            int f = fd(true);
            long start = index * blockSize;
            writeZeros(f, start, offset);
            writeZeros(f, start + offset + length, blockSize - offset - length);
        }
        write(index, offset, address, length);
    }

    private void writeZeros(int f, long pos, long length) throws IOException {
        tier.checkWritable();
        for (long done = 0; done < length; ) {
            long n = Math.min(length - done, blockSize);
            writeAt(f, pos + done, tier.zeros(), n);
            done += n;
        }
    }

    @Override
    public void startWriteBack(long index, int offset, int length) {
        int f = fd;
        if (f >= 0) {
            C.sync_file_range(f, index * blockSize + offset, length, LibC.SYNC_FILE_RANGE_WRITE);
        }
    }

    @Override
    public void dropCache(long index, int offset, int length) {
        int f = fd;
        if (f >= 0) {
            C.posix_fadvise(f, index * blockSize + offset, length, LibC.POSIX_FADV_DONTNEED);
        }
    }

    @Override
    public void zero(long index, int offset, int length) throws IOException {
        tier.checkWritable();
        int f = fd(false);
        if (f >= 0 && length > 0) {
            if (features.punchHole()) {
                punch(f, index * blockSize + offset, length);
            } else {
                writeZeros(f, index * blockSize + offset, length);
            }
            dirty = true;
        }
    }

    /**
     * Frees the blocks' slots: truncates the tier file where they end it, punches them out
     * elsewhere. Without punch hole a slot in the middle keeps its space (and its bytes: see
     * {@link #writeNew}) until the file is truncated or deleted.
     */
    @Override
    public void discard(long from, long to) throws IOException {
        tier.checkWritable();
        int f = fd(false);
        if (f < 0 || to <= from) {
            return;
        }
        long start = from * blockSize;
        long end = to > Long.MAX_VALUE / blockSize ? Long.MAX_VALUE : to * blockSize;
        long fileEnd = C.lseek(f, 0, 2 /* SEEK_END */);
        if (fileEnd < 0) {
            throw new NativeIOException("seek " + tier.pathOf(ino), LibC.errno());
        }
        if (end >= fileEnd) {
            if (start < fileEnd && C.ftruncate(f, start) != 0) {
                throw tier.explain(new NativeIOException("truncate " + tier.pathOf(ino), LibC.errno()), true);
            }
        } else if (features.punchHole()) {
            punch(f, start, end - start);
        }
        dirty = true;
    }

    private void punch(int f, long pos, long length) throws IOException {
        if (C.fallocate(f, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, pos, length) != 0) {
            throw tier.explain(new NativeIOException("punch hole in " + tier.pathOf(ino), LibC.errno()), true);
        }
    }

    /**
     * Reserves with fallocate. Where freed slots are not punched out (so the slot may hold an old
     * block's bytes) the block is written with zeros instead; where they are but the filesystem
     * cannot fallocate, the block's space is held by tierfs's own accounting alone.
     */
    @Override
    public void reserve(long index) throws IOException {
        tier.checkWritable();
        if (!features.punchHole()) {
            writeZeros(fd(true), index * blockSize, blockSize);
        } else if (features.fallocate() && C.fallocate(fd(true), 0, index * blockSize, blockSize) != 0) {
            throw tier.explain(new NativeIOException("reserve space in " + tier.pathOf(ino), LibC.errno()), true);
        }
        dirty = true;
    }

    @Override
    public boolean readsZeros(long index, int offset, int length) throws IOException {
        int f = fd(false);
        long pos = index * blockSize + offset;
        long end = pos + length;
        long buf = 0;
        try {
            while (f >= 0 && pos < end) {
                long data = C.lseek(f, pos, LibC.SEEK_DATA);
                int errno = data < 0 ? LibC.errno() : 0;
                if (data < 0 && errno != Errno.ENXIO) {
                    throw new NativeIOException("seek " + tier.pathOf(ino), errno);
                }
                if (data < 0 || data >= end) {
                    break; // only holes up to the end of the range (ENXIO: or of the file)
                }
                long hole = C.lseek(f, data, LibC.SEEK_HOLE);
                if (hole < 0) {
                    throw new NativeIOException("seek " + tier.pathOf(ino), LibC.errno());
                }
                long stop = Math.min(hole, end);
                if (buf == 0) {
                    buf = Memory.allocate(ZERO_CHECK_CHUNK);
                }
                for (long p = data; p < stop; ) {
                    long n = C.pread(f, buf, Math.min(ZERO_CHECK_CHUNK, stop - p), p);
                    if (n < 0) {
                        throw new NativeIOException("read " + tier.pathOf(ino), LibC.errno());
                    }
                    if (n == 0 || !Memory.isZero(buf, n)) {
                        return n == 0;
                    }
                    p += n;
                }
                pos = stop;
            }
            return true;
        } finally {
            if (buf != 0) {
                Memory.free(buf);
            }
        }
    }

    @Override
    public int seek(long index, int offset, boolean data) throws IOException {
        if (!features.seekHoles()) {
            return data ? offset : (int) blockSize; // it cannot tell: all data
        }
        tier.checkReadable();
        int f = fd(false);
        if (f < 0) {
            return data ? (int) blockSize : offset; // no tier file: all hole
        }
        long start = index * blockSize;
        long found = C.lseek(f, start + offset, data ? LibC.SEEK_DATA : LibC.SEEK_HOLE);
        if (found < 0) {
            int errno = LibC.errno();
            if (errno != Errno.ENXIO) {
                throw new NativeIOException("seek " + tier.pathOf(ino), errno);
            }
            return data ? (int) blockSize : offset; // at or past the tier file's end: a hole
        }
        return (int) Math.min(found - start, blockSize);
    }


    @Override
    public void sync() throws IOException {
        if (!dirty && !created) {
            return;
        }
        int f = fd(false);
        dirty = false;
        if (f >= 0 && C.fdatasync(f) != 0) {
            dirty = true;
            throw tier.explain(new NativeIOException("fdatasync " + tier.pathOf(ino), LibC.errno()), true);
        }
        // a tier file synced in a directory since removed (or under a filesystem since unmounted)
        // is synced where nothing will find it: that must not be reported as durable
        try {
            tier.verifyPresent();
        } catch (NativeIOException e) {
            dirty = true;
            throw e;
        }
        if (created) {
            Durable.syncDirectory(tier.pathOf(ino).getParent());
            created = false;
        }
    }

    @Override
    public boolean hasUnsyncedWrites() {
        return dirty || created;
    }

    @Override
    public void assumeUnsynced() {
        dirty = true;
        created = true; // the file's name may not be durable either
    }

    @Override
    public long[] storedBlocks() throws IOException {
        int f = fd(false);
        if (f < 0) {
            return new long[0];
        }
        long[] blocks = new long[16];
        int n = 0;
        long pos = 0;
        while (true) {
            long data = C.lseek(f, pos, LibC.SEEK_DATA);
            if (data < 0) {
                break; // ENXIO: no data past pos
            }
            long hole = C.lseek(f, data, LibC.SEEK_HOLE);
            long first = n > 0 ? Math.max(data / blockSize, blocks[n - 1] + 1) : data / blockSize;
            for (long b = first; b * blockSize < hole; b++) {
                if (n == blocks.length) {
                    blocks = Arrays.copyOf(blocks, n * 2);
                }
                blocks[n++] = b;
            }
            pos = hole;
        }
        return Arrays.copyOf(blocks, n);
    }

    @Override
    public synchronized void close() {
        if (fd >= 0) {
            C.close(fd);
            fd = -1;
        }
    }
}
