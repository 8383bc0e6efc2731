package io.tierfs.tier;

import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.LibC;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Empty files made ahead of need in a directory tier's {@code .spare} directory, so that a new tier
 * file is a rename (4-5 us on this host's ext4) rather than a create in its shard (about 120 us,
 * most of it ext4 looking for a free inode near the shard; measured in BENCHMARKS.md "Small files").
 * A background thread, started by the first take, keeps {@value #LOW} to {@value #HIGH} of them.
 *
 * <p>A spare is renamed with {@code RENAME_NOREPLACE}, so an existing tier file is never replaced;
 * a take finds none when the pool is empty, the target exists or the filesystem cannot rename
 * that way (then never again), and the caller creates the file in place as before. Spares are
 * empty, and the recovery sweep reads the shard directories only: spares a crash left are simply
 * used by the next mount.
 */
final class SpareFiles implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SpareFiles.class.getName());
    private static final LibC C = LibC.INSTANCE;
    static final int LOW = 64, HIGH = 256;

    private final Path dir;
    private final String tierName;
    /** Paths of the spares ready to take. Guarded by this. */
    private final ArrayDeque<String> ready = new ArrayDeque<>();
    /** The number in the next spare's name. Guarded by this. */
    private long nextNumber;
    private Thread filler;
    private boolean wanted;
    private boolean closed;
    private volatile boolean unusable;

    /** Takes the spares a previous mount left, if any; makes nothing until the first take. */
    SpareFiles(Path tierRoot, String tierName) {
        this.dir = tierRoot.resolve(".spare");
        this.tierName = tierName;
        adoptLeftovers();
    }

    /**
     * Renames a spare to {@code target}; false if there was none to take or it could not go there
     * (the caller then makes the file itself).
     */
    boolean takeInto(String target) {
        String spare;
        synchronized (this) {
            if (unusable || closed) {
                return false;
            }
            spare = ready.pollFirst();
            if (ready.size() < LOW && !wanted) {
                wanted = true;
                if (filler == null) {
                    filler = new Thread(this::fill, "tierfs-spares-" + tierName);
                    filler.setDaemon(true);
                    filler.start();
                } else {
                    notifyAll();
                }
            }
        }
        if (spare == null) {
            return false;
        }
        if (C.renameat2(LibC.AT_FDCWD, spare, LibC.AT_FDCWD, target, LibC.RENAME_NOREPLACE) == 0) {
            return true;
        }
        int errno = LibC.errno();
        if (errno == Errno.EEXIST) {
            synchronized (this) {
                ready.addFirst(spare);
            }
        } else if (errno == Errno.EINVAL || errno == Errno.ENOSYS) {
            unusable = true;
            LOG.info("the " + tierName + " tier's filesystem cannot rename without replacing: its new files are made in place");
        }
        return false;
    }

    /** Spares ready now (for tests). */
    synchronized int ready() {
        return ready.size();
    }

    private void fill() {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            LOG.log(Level.FINE, "no spare files for the " + tierName + " tier: " + e);
            unusable = true;
            return;
        }
        while (true) {
            String path;
            synchronized (this) {
                while (!wanted && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                if (ready.size() >= HIGH) {
                    wanted = false;
                    continue;
                }
                path = dir.resolve("s" + nextNumber++).toString();
            }
            int fd = C.open(path, LibC.O_RDWR | LibC.O_CREAT | LibC.O_EXCL | LibC.O_CLOEXEC, 0600);
            if (fd < 0) {
                int errno = LibC.errno();
                if (errno != Errno.EEXIST) {
                    // full, read-only or gone: new files are made in place (which reports why) until
                    // the next take that finds the pool low tries again
                    LOG.log(Level.FINE, "no spare file in " + dir + ": errno " + errno);
                    synchronized (this) {
                        wanted = false;
                    }
                }
                continue;
            }
            C.close(fd);
            synchronized (this) {
                ready.addLast(path);
            }
        }
    }

    private void adoptLeftovers() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        long highest = -1;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "s*")) {
            for (Path f : files) {
                long n = numberOf(f.getFileName().toString());
                if (n >= 0 && Files.size(f) == 0) {
                    highest = Math.max(highest, n);
                    ready.addLast(f.toString());
                }
            }
        } catch (IOException e) {
            LOG.log(Level.FINE, "the " + tierName + " tier's spare files are not readable: " + e);
        }
        nextNumber = highest + 1;
    }

    private static long numberOf(String name) {
        try {
            return Long.parseLong(name.substring(1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            notifyAll();
            t = filler;
        }
        if (t != null) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
