package io.tierfs.namespace;

/** The S_IF* type bits of st_mode. */
public final class FileMode {
    public static final int S_IFMT = 0170000, S_IFSOCK = 0140000, S_IFLNK = 0120000, S_IFREG = 0100000,
        S_IFBLK = 060000, S_IFDIR = 040000, S_IFCHR = 020000, S_IFIFO = 010000;
    public static final int S_ISUID = 04000, S_ISGID = 02000, S_ISVTX = 01000, PERMISSION_BITS = 07777;

    private FileMode() {
    }

    public static boolean isDirectory(int mode) {
        return (mode & S_IFMT) == S_IFDIR;
    }

    public static boolean isRegular(int mode) {
        return (mode & S_IFMT) == S_IFREG;
    }

    /**
     * The mode once a change has dropped privileges: set-user-ID goes; set-group-ID goes with group
     * execute, and without it (Linux then reads the bit as a locking mark) only if
     * {@code alsoLockMark}: when the caller is neither privileged nor in the file's group.
     */
    public static int withoutSetId(int mode, boolean alsoLockMark) {
        int drop = S_ISUID;
        if (alsoLockMark || !isSetGidLockMark(mode)) {
            drop |= S_ISGID;
        }
        return mode & ~drop;
    }

    /** Set-group-ID without group execute. */
    public static boolean isSetGidLockMark(int mode) {
        return (mode & (S_ISGID | 010)) == S_ISGID;
    }

    /** The d_type readdir reports: DT_* is the S_IF* value shifted right by 12. */
    public static int direntType(int mode) {
        return (mode & S_IFMT) >>> 12;
    }
}
