package io.tierfs.fuse;

import io.tierfs.metrics.FuseMetrics;
import io.tierfs.namespace.Attributes;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.Memory;

/**
 * A thread that reads requests from the FUSE device and processes them: reads and writes it hands
 * to {@link FuseAdapter} itself (see {@link RawRequests}), the rest through libfuse, which calls
 * back into the adapter on this same thread, while the raw request stays in the receive buffer.
 * Each worker owns its receive buffer and the scratch memory its replies are built in, so a
 * request allocates nothing.
 */
final class FuseWorker extends Thread {
    private final FuseSession session;
    private final FuseAdapter adapter;
    private final int deviceFd;
    final long receiveBuffer;
    final long receiveSize;
    /** Holds the channel pointer that fuse_chan_recv may update. */
    private final long channelCell;
    final long stat = Memory.allocate(Structs.STAT_SIZE);
    final long entry = Memory.allocate(Structs.ENTRY_SIZE);
    final long statvfs = Memory.allocate(Structs.STATVFS_SIZE);
    final Attributes attributes = new Attributes();
    private long reply;
    private long replyCapacity;
    private final FuseMetrics.Worker metrics;
    /**
     * The answer to the request being processed, for its KPIs: an errno (0: none), bytes moved,
     * and when it was ready (0: not noted, take the time after processing).
     */
    private int answerErrno;
    private long answerBytes;
    private long answerNanos;

    FuseWorker(FuseSession session, FuseAdapter adapter, int number, long channel, long receiveSize) {
        super("tierfs-fuse-" + number);
        this.session = session;
        this.adapter = adapter;
        this.metrics = adapter.metrics().worker();
        this.deviceFd = LibFuse.INSTANCE.fuse_chan_fd(channel);
        this.receiveSize = receiveSize;
        this.receiveBuffer = Memory.allocate(receiveSize);
        this.channelCell = Memory.allocate(8);
        Memory.IO.putLong(channelCell, channel);
        setDaemon(true);
    }

    /**
     * Tells the kernel to fetch the inode's attributes again: a change it did not ask for (a
     * write that dropped set-user-ID) must not hide behind its attribute cache.
     */
    void invalidateAttributes(long ino) {
        LibFuse.INSTANCE.fuse_lowlevel_notify_inval_inode(Memory.IO.getLong(channelCell), ino, -1, 0);
    }

    FuseSession session() {
        return session;
    }

    /** Scratch memory for a reply of {@code size} bytes; grown once, then reused. */
    long replyBuffer(long size) {
        if (size > replyCapacity) {
            if (reply != 0) {
                Memory.free(reply);
            }
            replyCapacity = Math.max(size, 256 * 1024);
            reply = Memory.allocate(replyCapacity);
        }
        return reply;
    }

    /**
     * Whether the request being processed drops privileges ({@link RawRequests#privilegeRequest}),
     * read before libfuse masks the kernel's flags out of a setattr in place.
     */
    int privilegeRequest;

    @Override
    public void run() {
        LibFuse fuse = LibFuse.INSTANCE;
        long se = session.handle();
        try {
            serve(fuse, se);
        } finally {
            // also after a failure (a FUSE_INIT that could not be answered): end the session, so
            // that the daemon shuts down instead of waiting for a worker that is gone
            session.workerExited();
        }
    }

    private void serve(LibFuse fuse, long se) {
        while (fuse.fuse_session_exited(se) == 0) {
            int n = fuse.fuse_chan_recv(channelCell, receiveBuffer, receiveSize);
            if (n == -Errno.EINTR || n == -Errno.EAGAIN) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            process(fuse, se, n);
        }
    }

    /**
     * Notes how the request being processed is answered, just before the answer goes out: once
     * it is written, the caller may take this worker's CPU (two cores here), and that wait is
     * not the request's.
     */
    void answered(int errno, long bytes) {
        answerErrno = errno;
        answerBytes = bytes;
        answerNanos = System.nanoTime();
    }

    /** Notes the time of an answer given through libfuse, on the worker that gives it, just before it goes out. */
    static void answering() {
        if (Thread.currentThread() instanceof FuseWorker w) {
            w.answerNanos = System.nanoTime();
        }
    }

    /** Notes an error answer given through libfuse, on the worker that gives it. */
    static void answeredWith(int errno) {
        if (Thread.currentThread() instanceof FuseWorker w) {
            w.answerErrno = errno;
        }
    }

    /** Answers the request of {@code n} bytes in the receive buffer, and records its KPIs. */
    void process(LibFuse fuse, long se, int n) {
        long started = System.nanoTime();
        answerErrno = 0;
        answerBytes = 0;
        answerNanos = 0;
        int opcode = RawRequests.opcode(receiveBuffer);
        dispatch(fuse, se, n, opcode);
        long ended = answerNanos != 0 ? answerNanos : System.nanoTime();
        metrics.record(opcode, ended - started, answerBytes, answerErrno);
    }

    private void dispatch(LibFuse fuse, long se, int n, int opcode) {
        if (opcode == RawRequests.FUSE_READ) {
            adapter.read(this, receiveBuffer, deviceFd);
        } else if (opcode == RawRequests.FUSE_WRITE) {
            adapter.write(this, receiveBuffer, deviceFd);
        } else if (opcode == RawRequests.FUSE_LSEEK) {
            // libfuse2 predates FUSE_LSEEK and would answer ENOSYS, after which the kernel calls
            // every file all data: cp, tar --sparse and backup tools would read the holes
            adapter.lseek(this, receiveBuffer, deviceFd);
        } else if (opcode == RawRequests.FUSE_INTERRUPT) {
            // tierfs never abandons a request, so it declines interrupts: after ENOSYS the kernel
            // sends none. libfuse2 would queue each one it cannot match (those for reads and
            // writes, which it never sees) until it dispatches some other request.
            RawRequests.reply(deviceFd, receiveBuffer, replyBuffer(RawRequests.OUT_HEADER), 0, Errno.ENOSYS);
        } else if (opcode == InitNegotiation.FUSE_INIT) {
            InitNegotiation.process(se, receiveBuffer, n, deviceFd, adapter.writebackCache());
        } else {
            privilegeRequest = RawRequests.privilegeRequest(receiveBuffer);
            fuse.fuse_session_process(se, receiveBuffer, n, Memory.IO.getLong(channelCell));
        }
    }
}
