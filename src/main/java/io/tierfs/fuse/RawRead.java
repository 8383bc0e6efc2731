package io.tierfs.fuse;

import static io.tierfs.nativeio.Memory.IO;

import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.LibC;
import java.util.logging.Logger;

/**
 * FUSE_READ as it comes from the device and goes back to it. Reads skip libfuse's dispatch: for
 * each request libfuse allocates a request, takes its lock and calls from C into Java, which
 * cost the daemon 0.5 us of the 13 us a 4 KiB O_DIRECT read costs it in all (perf, BENCHMARKS.md).
 * Reading the fields from the raw request and writing the reply to the device ourselves leaves one
 * Java-to-C call per read (the write), as in a C server.
 *
 * <p>Nothing libfuse does for a read is lost: it keeps no state for it but an entry for
 * FUSE_INTERRUPT to find, and an interrupt it cannot match it answers EAGAIN with its next
 * request, which the kernel drops once the read is answered.
 */
final class RawRead {
    static final int FUSE_READ = 15;
    /** fuse_out_header: len, error (a negated errno), unique; the data follows it. */
    static final int OUT_HEADER = 16;

    private static final Logger LOG = Logger.getLogger(RawRead.class.getName());
    /** fuse_in_header: opcode at 4, unique at 8; 40 bytes. */
    private static final int OPCODE = 4, UNIQUE = 8, IN_HEADER = 40;
    /** fuse_read_in: fh at 0, offset at 8, size at 16, at these places in every protocol minor. */
    private static final int FH = IN_HEADER, OFFSET = IN_HEADER + 8, SIZE = IN_HEADER + 16;

    private RawRead() {
    }

    static boolean isRead(long request) {
        return IO.getInt(request + OPCODE) == FUSE_READ;
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

    /**
     * Sends the reply built at {@code reply}: {@code n} bytes of data after the header, or the
     * error alone. ENOENT from the device means the kernel no longer waits for this request (it
     * was interrupted), which is not a failure.
     */
    static void reply(int deviceFd, long request, long reply, long n, int errno) {
        long length = OUT_HEADER + (errno == 0 ? n : 0);
        IO.putInt(reply, (int) length);
        IO.putInt(reply + 4, -errno);
        IO.putLong(reply + 8, IO.getLong(request + UNIQUE));
        if (LibC.INSTANCE.write(deviceFd, reply, length) != length) {
            int error = LibC.errno();
            if (error != Errno.ENOENT) {
                LOG.warning("could not answer a read on the FUSE device: errno " + error);
            }
        }
    }
}
