package io.tierfs.metrics;

/** FUSE opcodes (linux/fuse.h) by name, as the KPIs label them; the label set stays small and fixed. */
public final class FuseOps {
    /** Opcodes at or above this, and those without a name, count as "other". */
    public static final int LIMIT = 64;
    private static final String[] NAMES = new String[LIMIT];
    /** Errnos below this have a slot of their own (names, the workers' cached error counters). */
    static final int ERRNO_LIMIT = 134;
    private static final String[] ERRNO_NAMES = new String[ERRNO_LIMIT];

    static {
        String[] ops = {null, "lookup", "forget", "getattr", "setattr", "readlink", "symlink", null, "mknod", "mkdir",
            "unlink", "rmdir", "rename", "link", "open", "read", "write", "statfs", "release", null, "fsync", "setxattr",
            "getxattr", "listxattr", "removexattr", "flush", "init", "opendir", "readdir", "releasedir", "fsyncdir",
            "getlk", "setlk", "setlkw", "access", "create", "interrupt", "bmap", "destroy", "ioctl", "poll",
            "notify_reply", "batch_forget", "fallocate", "readdirplus", "rename2", "lseek", "copy_file_range"};
        for (int i = 0; i < LIMIT; i++) {
            NAMES[i] = i < ops.length && ops[i] != null ? ops[i] : "other";
        }
        String[][] errnos = {{"1", "EPERM"}, {"2", "ENOENT"}, {"4", "EINTR"}, {"5", "EIO"}, {"6", "ENXIO"}, {"7", "E2BIG"},
            {"9", "EBADF"}, {"11", "EAGAIN"}, {"12", "ENOMEM"}, {"13", "EACCES"}, {"16", "EBUSY"}, {"17", "EEXIST"},
            {"18", "EXDEV"}, {"20", "ENOTDIR"}, {"21", "EISDIR"}, {"22", "EINVAL"}, {"24", "EMFILE"}, {"27", "EFBIG"},
            {"28", "ENOSPC"}, {"30", "EROFS"}, {"31", "EMLINK"}, {"34", "ERANGE"}, {"36", "ENAMETOOLONG"},
            {"38", "ENOSYS"}, {"39", "ENOTEMPTY"}, {"40", "ELOOP"}, {"61", "ENODATA"}, {"75", "EOVERFLOW"},
            {"95", "EOPNOTSUPP"}, {"107", "ENOTCONN"}, {"122", "EDQUOT"}};
        for (String[] e : errnos) {
            ERRNO_NAMES[Integer.parseInt(e[0])] = e[1];
        }
    }

    private FuseOps() {
    }

    public static String name(int opcode) {
        return opcode >= 0 && opcode < LIMIT ? NAMES[opcode] : "other";
    }

    /** "ENOENT" for 2; "errno N" for one without a name here. */
    public static String errnoName(int errno) {
        return errno > 0 && errno < ERRNO_NAMES.length && ERRNO_NAMES[errno] != null ? ERRNO_NAMES[errno] : "errno " + errno;
    }
}
