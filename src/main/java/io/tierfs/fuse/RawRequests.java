package io.tierfs.fuse;

import static io.tierfs.nativeio.Memory.IO;

import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.LibC;
import java.util.logging.Logger;

/**
 * Requests as they come from the FUSE device, and replies as they go back to it. Reads and writes
 * skip libfuse's dispatch: for each request libfuse allocates a request, takes its lock and calls
 * from C into Java, which cost the daemon about 1 us of the 11-12 us a 4 KiB O_DIRECT read costs it
 * in all (perf, BENCHMARKS.md). Reading the fields from the raw request and writing the reply to
 * the device ourselves leaves one Java-to-C call per request (the reply), as in a C server.
 *
 * <p>Nothing libfuse does for a read or write is lost: it keeps no state for them but an entry for
 * FUSE_INTERRUPT to find, and tierfs answers interrupts itself (ENOSYS, see {@link FuseWorker}).
 */
final class RawRequests {
    static final int FUSE_SETATTR = 4, FUSE_READ = 15, FUSE_WRITE = 16, FUSE_INTERRUPT = 36, FUSE_LSEEK = 46;
    /** fuse_out_header: len, error (a negated errno), unique; the reply's payload follows it. */
    static final int OUT_HEADER = 16;
    /** fuse_write_out: the size written, padding. */
    static final int WRITE_OUT = 8;
    /** fuse_lseek_out: the offset found. */
    static final int LSEEK_OUT = 8;

    private static final Logger LOG = Logger.getLogger(RawRequests.class.getName());
    /** fuse_in_header: opcode at 4, unique at 8, node id at 16, the caller's uid, gid and pid at 24, 28, 32; 40 bytes. */
    private static final int OPCODE = 4, UNIQUE = 8, NODE_ID = 16, UID = 24, GID = 28, PID = 32, IN_HEADER = 40;
    /**
     * fuse_read_in and fuse_write_in begin alike: fh, offset, size; write_flags at 20. A write's
     * data follows its 40 bytes (protocol minor 9 on; libfuse2 answers INIT with minor 19).
     */
    private static final int FH = IN_HEADER, OFFSET = IN_HEADER + 8, SIZE = IN_HEADER + 16,
        WRITE_FLAGS = IN_HEADER + 20, WRITE_DATA = IN_HEADER + 40;
    /** fuse_lseek_in: fh and offset as in a read, then whence. */
    private static final int WHENCE = IN_HEADER + 16;
    /** fuse_setattr_in.valid, at 0. */
    private static final int SETATTR_VALID = IN_HEADER;
    private static final int FUSE_WRITE_CACHE = 1, FUSE_WRITE_KILL_SUIDGID = 4, FATTR_KILL_SUIDGID = 0x800, FATTR_FH = 8, FATTR_CTIME = 0x400;

    private RawRequests() {
    }

    static int opcode(long request) {
        return IO.getInt(request + OPCODE);
    }

    /** The inode the request is about. */
    static long nodeId(long request) {
        return IO.getLong(request + NODE_ID);
    }

    static long fh(long request) {
        return IO.getLong(request + FH);
    }

    static long offset(long request) {
        return IO.getLong(request + OFFSET);
    }

    static long size(long request) {
        return Integer.toUnsignedLong(IO.getInt(request + SIZE));
    }

    static int whence(long request) {
        return IO.getInt(request + WHENCE);
    }

    static long writeData(long request) {
        return request + WRITE_DATA;
    }

    static int callerUid(long request) {
        return IO.getInt(request + UID);
    }

    static int callerGid(long request) {
        return IO.getInt(request + GID);
    }

    /** The calling thread's id (the kernel's pid of the task). */
    static int callerPid(long request) {
        return IO.getInt(request + PID);
    }

    /** Whether FUSE_WRITE {@code request} writes back the kernel's dirty pages (its caller was told of success long ago). */
    static boolean isWriteBack(long request) {
        return (IO.getInt(request + WRITE_FLAGS) & FUSE_WRITE_CACHE) != 0;
    }

    /**
     * Whether the request asks the filesystem to drop set-user-ID, set-group-ID and capabilities
     * (the kernel flags these once the filesystem handles privileges, see {@link InitNegotiation};
     * libfuse2 does not pass the flags on, and masks them out of a setattr in place):
     * {@link Privileges#FLAGGED} for a write or truncate by a caller without CAP_FSETID and any
     * chown; {@link Privileges#EMPTY_SETATTR} for the setattr without attributes the kernel sends
     * when nothing but privileges changes (before an unprivileged fallocate, for chown(f, -1, -1),
     * and before a write that drops capabilities).
     */
    static int privilegeRequest(long request) {
        int opcode = opcode(request);
        if (opcode == FUSE_WRITE) {
            boolean flagged = (IO.getInt(request + WRITE_FLAGS) & FUSE_WRITE_KILL_SUIDGID) != 0;
            return flagged ? Privileges.FLAGGED : Privileges.NONE;
        }
        if (opcode != FUSE_SETATTR) {
            return Privileges.NONE;
        }
        int valid = IO.getInt(request + SETATTR_VALID);
        if ((valid & FATTR_KILL_SUIDGID) != 0) {
            return Privileges.FLAGGED;
        }
        // with the writeback cache the kernel owns ctime, and sends it with every setattr
        return (valid & ~(FATTR_FH | FATTR_CTIME)) == 0 ? Privileges.EMPTY_SETATTR : Privileges.NONE;
    }

    /**
     * Sends the reply built at {@code reply}: {@code payload} bytes after the header, or the error
     * alone. ENOENT from the device means the kernel no longer waits for this request (it was
     * interrupted), which is not a failure.
     */
    static void reply(int deviceFd, long request, long reply, long payload, int errno) {
        long length = OUT_HEADER + (errno == 0 ? payload : 0);
        IO.putInt(reply, (int) length);
        IO.putInt(reply + 4, -errno);
        IO.putLong(reply + 8, IO.getLong(request + UNIQUE));
        if (LibC.INSTANCE.write(deviceFd, reply, length) != length) {
            int error = LibC.errno();
            if (error != Errno.ENOENT) {
                LOG.warning("could not answer a request on the FUSE device: errno " + error);
            }
        }
    }
}
