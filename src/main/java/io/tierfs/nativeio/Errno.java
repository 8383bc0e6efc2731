package io.tierfs.nativeio;

/** The Linux errno values tierfs answers with. */
public final class Errno {
    public static final int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7, EBADF = 9,
        EAGAIN = 11, EACCES = 13, EBUSY = 16, EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, EFBIG = 27,
        ENOSPC = 28, EROFS = 30, ERANGE = 34, ENAMETOOLONG = 36, ENOSYS = 38, ENOTEMPTY = 39, ENODATA = 61,
        EOPNOTSUPP = 95, ENOTCONN = 107;

    private Errno() {
    }

    /** The errno in words, as messages for people show it: "No such file or directory (errno 2)". */
    public static String describe(int errno) {
        return LibC.INSTANCE.strerror(errno) + " (errno " + errno + ")";
    }
}
