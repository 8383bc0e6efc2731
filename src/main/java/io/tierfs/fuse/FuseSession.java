package io.tierfs.fuse;

import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.Memory;
import io.tierfs.nativeio.NativeIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A FUSE mount served through libfuse2's low-level API by our own worker threads (rather than
 * fuse_session_loop_mt, whose pthread_cancel at exit is unsafe for threads attached to a JVM).
 */
public final class FuseSession {
    /** The largest read or write the kernel sends in one request (see {@link InitNegotiation}). */
    public static final int MAX_REQUEST = InitNegotiation.MAX_WRITE;

    private final Path mountpoint;
    private final List<String> options;
    private final int threads;
    private long args;
    private long channel;
    private long session;
    private CountDownLatch running;

    /**
     * @param options mount and session options, e.g. "allow_other", "max_write=131072"
     */
    public FuseSession(Path mountpoint, List<String> options, int threads) {
        this.mountpoint = mountpoint;
        this.options = List.copyOf(options);
        this.threads = threads;
    }

    long handle() {
        return session;
    }

    /** Mounts and starts serving; throws if libfuse refuses (it prints the reason on stderr). */
    public void start(FuseAdapter adapter) {
        LibFuse fuse = LibFuse.INSTANCE;
        args = buildArgs();
        channel = fuse.fuse_mount(mountpoint.toString(), args);
        if (channel == 0) {
            throw new IllegalStateException("libfuse could not mount " + mountpoint);
        }
        session = fuse.fuse_lowlevel_new(args, adapter.operations(), Structs.OPS_SIZE, 0);
        if (session == 0) {
            fuse.fuse_unmount(mountpoint.toString(), channel);
            throw new IllegalStateException("libfuse rejected the session options " + options);
        }
        fuse.fuse_session_add_chan(session, channel);
        // the kernel refuses to hand a request to a buffer smaller than its largest write
        long bufferSize = Math.max(fuse.fuse_chan_bufsize(channel), InitNegotiation.MAX_WRITE + 4096);
        running = new CountDownLatch(threads);
        for (int i = 0; i < threads; i++) {
            new FuseWorker(this, adapter, i, channel, bufferSize).start();
        }
    }

    /**
     * Has the kernel write back the dirty pages of inode {@code ino}, and drop its cached ones,
     * before this returns (with the writeback cache, data tierfs has not seen yet): the kernel
     * launders each dirty page as a write, which the workers take, and waits for pages already
     * under write-back. A worker that calls this must leave another free for those writes.
     *
     * @throws NativeIOException the kernel refused (ENOENT, an inode it does not cache, has no pages and is no failure)
     */
    public void writeBackKernelPages(long ino) throws NativeIOException {
        int result = LibFuse.INSTANCE.fuse_lowlevel_notify_inval_inode(channel, ino, 0, 0);
        if (result < 0 && result != -Errno.ENOENT) {
            throw new NativeIOException("the kernel's write-back of inode " + ino + "'s cached pages", -result);
        }
    }

    void workerExited() {
        LibFuse.INSTANCE.fuse_session_exit(session);
        running.countDown();
    }

    /** Blocks until the filesystem is unmounted (or the session ends) and every worker has stopped. */
    public void awaitUnmount() throws InterruptedException {
        running.await();
    }

    /**
     * Detaches the mount from the namespace (MNT_DETACH): the kernel ends the connection once the
     * last open file on it is closed, or when this process exits. The workers go on answering
     * until then: libfuse2 drops a request it reads once its session is marked exited, and the
     * caller (a close, say) would wait for an answer forever.
     */
    public void detach() {
        io.tierfs.nativeio.LibC.INSTANCE.umount2(mountpoint.toString(), io.tierfs.nativeio.LibC.MNT_DETACH);
    }

    /** argv for libfuse: {"tierfs", "-o", "opt1,opt2,..."} in a struct fuse_args, kept for the session's life. */
    private long buildArgs() {
        List<String> argv = new ArrayList<>();
        argv.add("tierfs");
        if (!options.isEmpty()) {
            argv.add("-o");
            argv.add(String.join(",", options));
        }
        long array = Memory.allocate(8L * (argv.size() + 1));
        for (int i = 0; i < argv.size(); i++) {
            Memory.IO.putLong(array + 8L * i, Memory.cString(argv.get(i)));
        }
        long a = Memory.allocate(24);
        Memory.IO.putInt(a, argv.size());
        Memory.IO.putLong(a + 8, array);
        Memory.IO.putInt(a + 16, 0);
        return a;
    }
}
