package io.tierfs.nativeio;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;

/**
 * The few libc calls the JDK does not offer (punching holes, SEEK_DATA, umount2, datagrams to a
 * unix socket) and the
 * positional I/O that lets the data path move bytes between FUSE's buffers and the tier files
 * by address, without a Java copy in between. Pointers are passed as {@code long} addresses.
 */
public interface LibC {
    int O_RDONLY = 0, O_RDWR = 2, O_ACCMODE = 3, O_CREAT = 0100, O_TRUNC = 01000, O_DIRECT = 040000, O_DIRECTORY = 0200000, O_CLOEXEC = 02000000;
    int SEEK_DATA = 3, SEEK_HOLE = 4;
    int FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2, FALLOC_FL_COLLAPSE_RANGE = 8, FALLOC_FL_ZERO_RANGE = 0x10,
        FALLOC_FL_INSERT_RANGE = 0x20, FALLOC_FL_UNSHARE_RANGE = 0x40;
    int MNT_DETACH = 2;
    int SYNC_FILE_RANGE_WRITE = 2;
    int POSIX_FADV_RANDOM = 1;
    int POSIX_FADV_DONTNEED = 4;

    LibC INSTANCE = LibraryLoader.create(LibC.class).load("c");

    /** An unnamed file in the directory opened, linked into place later (with its O_DIRECTORY bit). */
    int O_TMPFILE = 020200000;
    int AT_FDCWD = -100, AT_SYMLINK_FOLLOW = 0x400, AT_EMPTY_PATH = 0x1000;

    int open(@In String path, int flags, int mode);

    int linkat(int oldDirFd, @In String oldPath, int newDirFd, @In String newPath, int flags);

    int close(int fd);

    long pread(int fd, long buf, long count, long offset);

    long pwrite(int fd, long buf, long count, long offset);

    long read(int fd, long buf, long count);

    long write(int fd, long buf, long count);

    /** Fills the two ints at {@code fds} with the read and the write end. */
    int pipe2(long fds, int flags);

    int fdatasync(int fd);

    /** Writes back every dirty page and inode of the filesystem {@code fd} is on. */
    int syncfs(int fd);

    int fsync(int fd);

    int fallocate(int fd, int mode, long offset, long len);

    int sync_file_range(int fd, long offset, long nbytes, int flags);

    int ftruncate(int fd, long length);

    /** Returns the error number itself (not -1 and errno). */
    int posix_fadvise(int fd, long offset, long len, int advice);

    long lseek(int fd, long offset, int whence);

    int umount2(@In String target, int flags);

    int unlink(@In String path);

    String strerror(int errnum);

    int umask(int mask);

    int getuid();

    int getgid();

    /** For telling systemd the mount serves ({@code sd_notify}): the JDK has no unix datagram socket. */
    int AF_UNIX = 1, SOCK_DGRAM = 2;

    int socket(int domain, int type, int protocol);

    /** `tierfs reload` signals the daemon (SIGHUP); the JDK's ProcessHandle only ends processes. */
    int SIGHUP = 1;

    int kill(int pid, int sig);

    /** SIG_DFL, for {@link #signal}. */
    long SIG_DFL = 0;

    /** Sets a signal's disposition; the previous one, or -1. */
    long signal(int sig, long handler);

    long sendto(int fd, @In byte[] buf, long len, int flags, @In byte[] addr, int addrlen);

    static int errno() {
        return Runtime.getRuntime(INSTANCE).getLastError();
    }
}
