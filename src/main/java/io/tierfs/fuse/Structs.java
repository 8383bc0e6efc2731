package io.tierfs.fuse;

import static io.tierfs.nativeio.Memory.IO;

import io.tierfs.namespace.Attributes;

/**
 * Offsets of the C structs libfuse 2.9 exchanges on x86_64 (checked with a C program against the
 * installed headers), and writers that fill them in place.
 */
public final class Structs {
    public static final int STAT_SIZE = 144;
    public static final int ENTRY_SIZE = 176;
    public static final int STATVFS_SIZE = 112;
    public static final int OPS_SIZE = 41 * 8;

    /** struct fuse_file_info: flags at 0, the bit-field word at 20, fh at 24. */
    public static final int FI_FLAGS = 0, FI_BITS = 20, FI_FH = 24;
    public static final int FI_DIRECT_IO = 1, FI_KEEP_CACHE = 2;

    private Structs() {
    }

    public static void writeStat(long st, Attributes a) {
        IO.setMemory(st, STAT_SIZE, (byte) 0);
        IO.putLong(st + 8, a.ino);
        IO.putLong(st + 16, a.nlink);
        IO.putInt(st + 24, a.mode);
        IO.putInt(st + 28, a.uid);
        IO.putInt(st + 32, a.gid);
        IO.putLong(st + 40, a.rdev);
        IO.putLong(st + 48, a.size);
        IO.putLong(st + 56, 4096);
        IO.putLong(st + 64, a.blocks512);
        putTime(st + 72, a.atimeNanos);
        putTime(st + 88, a.mtimeNanos);
        putTime(st + 104, a.ctimeNanos);
    }

    /** Reads the times of a setattr request's struct stat. */
    public static long statAtime(long st) {
        return getTime(st + 72);
    }

    public static long statMtime(long st) {
        return getTime(st + 88);
    }

    public static void writeEntry(long e, Attributes a, double timeout) {
        IO.putLong(e, a.ino);
        IO.putLong(e + 8, 0);
        writeStat(e + 16, a);
        IO.putDouble(e + 160, timeout);
        IO.putDouble(e + 168, timeout);
    }

    /** A fuse_entry_param for a name that does not exist: node id 0, kept by the kernel for {@code timeout}. */
    public static void writeNegativeEntry(long e, double timeout) {
        IO.setMemory(e, 176, (byte) 0);
        IO.putDouble(e + 168, timeout);
    }

    public static void writeStatvfs(long sv, long blockSize, long blocks, long free, long files, long freeFiles,
                                    int nameMax) {
        IO.setMemory(sv, STATVFS_SIZE, (byte) 0);
        IO.putLong(sv, blockSize);
        IO.putLong(sv + 8, blockSize);
        IO.putLong(sv + 16, blocks);
        IO.putLong(sv + 24, free);
        IO.putLong(sv + 32, free);
        IO.putLong(sv + 40, files);
        IO.putLong(sv + 48, freeFiles);
        IO.putLong(sv + 56, freeFiles);
        IO.putLong(sv + 80, nameMax);
    }

    private static void putTime(long address, long nanos) {
        IO.putLong(address, Math.floorDiv(nanos, 1_000_000_000L));
        IO.putLong(address + 8, Math.floorMod(nanos, 1_000_000_000L));
    }

    private static long getTime(long address) {
        return IO.getLong(address) * 1_000_000_000L + IO.getLong(address + 8);
    }
}
