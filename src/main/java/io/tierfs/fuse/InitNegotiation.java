package io.tierfs.fuse;

import static io.tierfs.nativeio.Memory.IO;

import io.tierfs.nativeio.LibC;
import io.tierfs.nativeio.Memory;

/**
 * Asks the kernel for what libfuse2 cannot: libfuse 2.9 answers FUSE_INIT as protocol 7.19 and
 * offers no way to request larger requests. Its reply is captured through a pipe, extended to
 * the current {@code fuse_init_out} layout with the features below, and written to /dev/fuse.
 * The protocol minor stays libfuse2's, so every later message keeps the layout libfuse2 parses;
 * the kernel honours these init flags whatever minor the daemon answers with.
 *
 * <ul>
 * <li>FUSE_MAX_PAGES with 256 pages: reads and writes of up to 1 MiB per request instead of
 * 128 KiB, so a 1 MiB write is one round trip instead of eight.
 * <li>FUSE_HANDLE_KILLPRIV_V2: we drop set-user-ID, set-group-ID and file capabilities ourselves
 * when a write, truncate or chown carries the kernel's "kill" flag (read from the raw request,
 * which libfuse2 does not pass on). In exchange the kernel stops asking for security.capability
 * before every buffered write: one round trip per write instead of two.
 * <li>FUSE_WRITEBACK_CACHE, unless the mount turns it off: the kernel keeps buffered writes as
 * dirty pages and sends them later in large writes, owning the file's size and mtime meanwhile
 * (see ARCHITECTURE.md, "Buffered writes"). The kernel reads the flag whatever the minor.
 * </ul>
 */
final class InitNegotiation {
    static final int FUSE_INIT = 26;
    static final int MAX_PAGES = 256;
    static final int MAX_WRITE = MAX_PAGES * 4096;

    private static final int IN_HEADER = 40, OUT_HEADER = 16;
    /** fuse_init_in: flags at 12. */
    private static final int IN_FLAGS = 12;
    /** fuse_init_out (7.23+, 64 bytes): flags at 12, max_write at 20, max_pages at 28. */
    private static final int OUT_FLAGS = 12, OUT_MAX_WRITE = 20, OUT_MAX_PAGES = 28, INIT_OUT_SIZE = 64;
    /** libfuse2's fuse_init_out ends after max_write (FUSE_COMPAT_22_INIT_OUT_SIZE). */
    private static final int LIBFUSE2_INIT_OUT_SIZE = 24;
    private static final int FLAG_WRITEBACK_CACHE = 1 << 16, FLAG_MAX_PAGES = 1 << 22, FLAG_HANDLE_KILLPRIV_V2 = 1 << 28;

    private InitNegotiation() {
    }

    /**
     * Lets libfuse process the INIT request in {@code request} (so its session state is set up
     * as usual), then sends the kernel libfuse's reply with our additions ({@code writebackCache}:
     * FUSE_WRITEBACK_CACHE too).
     */
    static void process(long session, long request, int length, int deviceFd, boolean writebackCache) {
        LibC libc = LibC.INSTANCE;
        LibFuse fuse = LibFuse.INSTANCE;
        long fds = Memory.allocate(8);
        long reply = Memory.allocate(OUT_HEADER + INIT_OUT_SIZE);
        try {
            if (libc.pipe2(fds, LibC.O_CLOEXEC) != 0) {
                throw new IllegalStateException("pipe2 failed for FUSE_INIT: errno " + LibC.errno());
            }
            int readEnd = IO.getInt(fds), writeEnd = IO.getInt(fds + 4);
            long pipeChannel = fuse.fuse_kern_chan_new(writeEnd);
            if (pipeChannel == 0) {
                libc.close(writeEnd);
                libc.close(readEnd);
                throw new IllegalStateException("libfuse could not make a channel for FUSE_INIT");
            }
            fuse.fuse_session_process(session, request, length, pipeChannel);
            fuse.fuse_chan_destroy(pipeChannel); // closes writeEnd
            IO.setMemory(reply, OUT_HEADER + INIT_OUT_SIZE, (byte) 0);
            long n = libc.read(readEnd, reply, OUT_HEADER + INIT_OUT_SIZE);
            libc.close(readEnd);
            if (n == OUT_HEADER + LIBFUSE2_INIT_OUT_SIZE && IO.getInt(reply + 4) == 0) {
                extend(reply + OUT_HEADER, IO.getInt(request + IN_HEADER + IN_FLAGS), writebackCache);
                IO.putInt(reply, OUT_HEADER + INIT_OUT_SIZE);
                n = OUT_HEADER + INIT_OUT_SIZE;
            }
            if (n <= 0 || libc.write(deviceFd, reply, n) != n) {
                throw new IllegalStateException("could not answer FUSE_INIT: errno " + LibC.errno());
            }
        } finally {
            Memory.free(reply);
            Memory.free(fds);
        }
    }

    private static void extend(long initOut, int kernelFlags, boolean writebackCache) {
        if ((kernelFlags & FLAG_MAX_PAGES) != 0) {
            IO.putInt(initOut + OUT_FLAGS, IO.getInt(initOut + OUT_FLAGS) | FLAG_MAX_PAGES);
            IO.putShort(initOut + OUT_MAX_PAGES, (short) MAX_PAGES);
            IO.putInt(initOut + OUT_MAX_WRITE, MAX_WRITE);
        }
        IO.putInt(initOut + OUT_FLAGS, IO.getInt(initOut + OUT_FLAGS) | (kernelFlags & FLAG_HANDLE_KILLPRIV_V2));
        if (writebackCache) {
            IO.putInt(initOut + OUT_FLAGS, IO.getInt(initOut + OUT_FLAGS) | (kernelFlags & FLAG_WRITEBACK_CACHE));
        }
    }
}
