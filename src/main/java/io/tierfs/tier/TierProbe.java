package io.tierfs.tier;

import static io.tierfs.nativeio.Memory.IO;

import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.LibC;
import io.tierfs.nativeio.Memory;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tries, in a scratch file in a tier's directory, every filesystem feature the tier uses: creating,
 * writing, reading and fdatasync (without which tierfs cannot keep its promises there, so the
 * tier is refused), then fallocate, punch hole, SEEK_HOLE and O_DIRECT (each optional, see
 * {@link TierFeatures}). A tier whose filesystem reports no size needs a configured capacity.
 */
public final class TierProbe {
    private static final LibC C = LibC.INSTANCE;
    private static final String SCRATCH = ".tierfs-probe";
    private static final int PAGE = 4096;
    /** The gap left between two writes: larger than any filesystem's speculative preallocation. */
    private static final long GAP = 8L << 20;

    private final String tier;
    private final Path root;
    private final String path;

    private TierProbe(String tier, Path root) {
        this.tier = tier;
        this.root = root;
        this.path = root.resolve(SCRATCH).toString();
    }

    /**
     * Probes {@code root} (an existing directory) for tier {@code name}.
     *
     * @param capacityOption the option that sets this tier's capacity, named in the refusal when
     *                       the filesystem reports no size and {@code limitBytes} is 0
     * @throws TierUnusableException with one line that names the tier, what is missing and what to do
     */
    public static TierFeatures probe(String name, Path root, long limitBytes, String capacityOption)
        throws IOException {
        return new TierProbe(name, root).run(limitBytes, capacityOption);
    }

    private TierFeatures run(long limitBytes, String capacityOption) throws IOException {
        FileStore store = Files.getFileStore(root);
        String fs = store.type();
        boolean reportsSize = store.getTotalSpace() > 0;
        if (!reportsSize && limitBytes == 0) {
            throw refused(fs, "its filesystem reports no size (statfs: 0 bytes), so tierfs cannot tell when it is full;"
                + " give the tier a capacity with " + capacityOption + " SIZE (config key "
                + capacityOption.substring(2) + ")");
        }
        long buf = Memory.allocate(3L * PAGE + PAGE);
        long aligned = (buf + PAGE - 1) & -PAGE;
        int fd = C.open(path, LibC.O_RDWR | LibC.O_CREAT | LibC.O_CLOEXEC | LibC.O_TRUNC, 0600);
        if (fd < 0) {
            Memory.free(buf);
            throw refused(fs, "cannot create a file in " + root + " (" + Errno.describe(LibC.errno()) + ")");
        }
        try {
            requireReadWriteSync(fd, aligned, fs);
            boolean punch = punchHole(fd, aligned);
            boolean seek = seekHoles(fd, aligned);
            boolean fallocate = fallocate(fd);
            return new TierFeatures(fs, reportsSize, fallocate, punch, seek, directIo(aligned));
        } finally {
            C.close(fd);
            C.unlink(path);
            Memory.free(buf);
        }
    }

    private void requireReadWriteSync(int fd, long buf, String fs) throws IOException {
        IO.setMemory(buf, 3L * PAGE, (byte) 0x5a);
        if (C.pwrite(fd, buf, 3L * PAGE, 0) != 3L * PAGE) {
            throw refused(fs, "cannot write to " + path + " (" + Errno.describe(LibC.errno()) + ")");
        }
        if (C.fdatasync(fd) != 0) {
            throw refused(fs, "fdatasync fails there (" + Errno.describe(LibC.errno())
                + "), so nothing written to it could be made durable; put the tier on a filesystem that syncs");
        }
        IO.setMemory(buf, 3L * PAGE, (byte) 0);
        if (C.pread(fd, buf, 3L * PAGE, 0) != 3L * PAGE || IO.getByte(buf + 2 * PAGE) != 0x5a) {
            throw refused(fs, "what is written to " + path + " does not read back");
        }
    }

    /** Punches the middle of three written pages and checks it reads zeros. */
    private static boolean punchHole(int fd, long buf) {
        if (C.fallocate(fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, PAGE, PAGE) != 0) {
            return false;
        }
        return C.pread(fd, buf, PAGE, PAGE) == PAGE && IO.getLong(buf) == 0 && IO.getLong(buf + PAGE - 8) == 0;
    }

    /** Writes a page far past the end: SEEK_HOLE must find the gap, not only the end of the file. */
    private static boolean seekHoles(int fd, long buf) {
        IO.setMemory(buf, PAGE, (byte) 0x5a);
        if (C.pwrite(fd, buf, PAGE, GAP) != PAGE || C.fdatasync(fd) != 0) {
            return false; // synced first: delayed allocation must not decide the answer
        }
        long hole = C.lseek(fd, 3L * PAGE, LibC.SEEK_HOLE);
        long data = C.lseek(fd, 3L * PAGE, LibC.SEEK_DATA);
        return hole >= 3L * PAGE && hole < GAP && data == GAP;
    }

    private static boolean fallocate(int fd) {
        if (C.fallocate(fd, 0, GAP + PAGE, 16L * PAGE) == 0) {
            return true;
        }
        int errno = LibC.errno();
        return errno != Errno.EOPNOTSUPP && errno != Errno.ENOSYS; // ENOSPC: it exists, the disk is full
    }

    private boolean directIo(long aligned) {
        int fd = C.open(path, LibC.O_RDWR | LibC.O_DIRECT | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            return false;
        }
        try {
            return C.pread(fd, aligned, PAGE, 0) == PAGE;
        } finally {
            C.close(fd);
        }
    }

    private TierUnusableException refused(String fs, String why) {
        return new TierUnusableException(tier + " tier at " + root + " (" + fs + "): " + why);
    }
}
