package io.tierfs.tier;

import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.LibC;
import java.util.ArrayDeque;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * New, empty tier files made ahead of need: unnamed files ({@code O_TMPFILE}) that a background
 * thread opens in the tier's directory and a new tier file links into its shard. Making a file in a
 * shard cost about 120 us on this host's ext4, most of it finding a free inode, all of it on the
 * path of the write that needed the file; a link of a made one costs a few (BENCHMARKS.md, "Small
 * files"). The thread, started by the first take, keeps {@value #LOW} to {@value #HIGH} open.
 *
 * <p>A link never replaces a name: a take whose target exists gives the file back and finds none.
 * Nothing of a spare is on disk until it is linked (a crash leaves none behind, the filesystem
 * frees unnamed files itself), and a filesystem without unnamed files (vfat) makes them in place.
 */
final class SpareFiles implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SpareFiles.class.getName());
    private static final LibC C = LibC.INSTANCE;
    static final int LOW = 32, HIGH = 128;

    private final String dir;
    private final String tierName;
    /** Descriptors of the spares ready to take. Guarded by this. */
    private final ArrayDeque<Integer> ready = new ArrayDeque<>();
    private Thread filler;
    private boolean wanted;
    private boolean closed;
    private volatile boolean unusable;
    private volatile boolean byDescriptor = true;

    SpareFiles(String dir, String tierName) {
        this.dir = dir;
        this.tierName = tierName;
    }

    /**
     * Links a spare at {@code target}, a path that did not exist: its descriptor, open read-write,
     * or -1 if there was none to take or it could not go there (the caller then makes the file).
     */
    int takeInto(String target) {
        Integer spare;
        synchronized (this) {
            if (unusable || closed) {
                return -1;
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
            return -1;
        }
        if (link(spare, target) == 0) {
            return spare;
        }
        int errno = LibC.errno();
        if (errno == Errno.EEXIST) {
            giveBack(spare);
        } else if (errno == Errno.EXDEV) {
            C.close(spare); // made before the tier's filesystem was replaced: so were the others
            discard();
        } else {
            C.close(spare);
            if (errno != Errno.ENOSPC && errno != Errno.EROFS && errno != Errno.EIO && errno != Errno.ENOENT) {
                unusable = true;
                LOG.info("the " + tierName + " tier cannot link unnamed files (errno " + errno
                    + "): its new files are made in place");
            }
        }
        return -1;
    }

    /**
     * Links by descriptor where the daemon may (root: CAP_DAC_READ_SEARCH), else through /proc,
     * which costs a path walk more.
     */
    private int link(int fd, String target) {
        if (byDescriptor) {
            if (C.linkat(fd, "", LibC.AT_FDCWD, target, LibC.AT_EMPTY_PATH) == 0) {
                return 0;
            }
            if (LibC.errno() != Errno.ENOENT) {
                return -1;
            }
        }
        // ENOENT: not allowed to link by descriptor, or the target's directory is gone
        int r = C.linkat(LibC.AT_FDCWD, "/proc/self/fd/" + fd, LibC.AT_FDCWD, target, LibC.AT_SYMLINK_FOLLOW);
        if (r == 0) {
            byDescriptor = false;
        }
        return r;
    }

    private void giveBack(int spare) {
        synchronized (this) {
            if (!closed) {
                ready.addFirst(spare);
                return;
            }
        }
        C.close(spare);
    }

    /** Spares ready now (for tests). */
    synchronized int ready() {
        return ready.size();
    }

    private void fill() {
        while (true) {
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
            }
            int fd = C.open(dir, LibC.O_TMPFILE | LibC.O_RDWR | LibC.O_CLOEXEC, 0600);
            if (fd < 0) {
                int errno = LibC.errno();
                if (errno == Errno.EOPNOTSUPP || errno == Errno.EISDIR || errno == Errno.EINVAL) {
                    unusable = true;
                    LOG.info("the " + tierName + " tier's filesystem has no unnamed files: its new files are made in place");
                    return;
                }
                // full, read-only or gone: new files are made in place (which reports why) until a
                // take that finds the pool low tries again
                LOG.log(Level.FINE, "no spare file in " + dir + ": errno " + errno);
                synchronized (this) {
                    wanted = false;
                }
                continue;
            }
            giveBack(fd);
        }
    }

    /**
     * Closes the spares made so far (the tier's directory is gone or read-only: they must not keep
     * its filesystem busy); the next take that finds the pool low makes new ones.
     */
    synchronized void discard() {
        for (Integer fd : ready) {
            C.close(fd);
        }
        ready.clear();
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
        discard();
    }
}
