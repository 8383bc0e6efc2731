package io.tierfs.fuse;

import static io.tierfs.nativeio.Memory.IO;

import io.tierfs.namespace.FileMode;
import io.tierfs.namespace.FileOps;
import io.tierfs.namespace.Inode;
import io.tierfs.namespace.Xattrs;
import io.tierfs.nativeio.Memory;

/**
 * Linux's rules for dropping privileges (set-user-ID, set-group-ID, file capabilities) when a
 * file changes. tierfs applies them itself because it took them over from the kernel
 * (FUSE_HANDLE_KILLPRIV_V2, see {@link InitNegotiation}); the kernel only flags the requests
 * that drop something, see {@link Structs#privilegeRequest}.
 */
final class Privileges {
    static final int NONE = 0, FLAGGED = 1, EMPTY_SETATTR = 2;

    private final FileOps files;
    private final Xattrs xattrs;

    Privileges(FileOps files, Xattrs xattrs) {
        this.files = files;
        this.xattrs = xattrs;
    }

    /**
     * Before a write. {@code flagged}: the kernel flagged it (the caller lacks CAP_FSETID).
     * {@code direct}: the write bypasses the page cache, where the kernel would have dropped the
     * file's capabilities itself, whoever writes.
     *
     * @return whether the file's attributes changed (the kernel's cached copy is then stale)
     */
    boolean beforeWrite(long req, Inode inode, boolean flagged, boolean direct) {
        boolean changed = flagged && files.dropSetId(inode, dropsLockMark(req, inode));
        if (flagged || direct) {
            changed |= xattrs.dropCapabilities(inode);
        }
        return changed;
    }

    /**
     * The setattr bits for a {@link #FLAGGED} setattr (a truncate by a caller without CAP_FSETID,
     * a chown) or an {@link #EMPTY_SETATTR}; drops the capabilities. Root's empty setattr is
     * ambiguous: chown(f, -1, -1), which drops set-user-ID, or a write to a file with
     * capabilities, which keeps it; root keeps it, so that updating a program in place does not
     * silently lose its set-user-ID.
     */
    int forSetattr(long req, Inode inode, int request) {
        if (FileMode.isDirectory(inode.mode())) {
            return 0; // Linux never drops a directory's set-group-ID on chown (it marks inheritance)
        }
        xattrs.dropCapabilities(inode);
        if (request == EMPTY_SETATTR && Structs.callerUid(req) == 0) {
            return 0;
        }
        return FileOps.SET_DROP_SETID | (dropsLockMark(req, inode) ? FileOps.SET_DROP_LOCK_MARK : 0);
    }

    /**
     * A set-group-ID without group execute goes only if the caller is neither root nor a member
     * of the file's group (Linux's in_group_or_capable). Rare, so reading the caller's groups
     * (libfuse reads /proc) costs nothing on the usual path.
     */
    private static boolean dropsLockMark(long req, Inode inode) {
        if (!FileMode.isSetGidLockMark(inode.mode())) {
            return false;
        }
        int gid = inode.gid();
        if (Structs.callerUid(req) == 0 || Structs.callerGid(req) == gid) {
            return false;
        }
        return !inSupplementaryGroups(req, gid);
    }

    private static boolean inSupplementaryGroups(long req, int gid) {
        int capacity = 64;
        while (true) {
            long list = Memory.allocate(4L * capacity);
            try {
                int n = LibFuse.INSTANCE.fuse_req_getgroups(req, capacity, list);
                if (n < 0) {
                    return false; // unknown groups: drop, as for a caller outside the group
                }
                if (n <= capacity) {
                    for (int i = 0; i < n; i++) {
                        if (IO.getInt(list + 4L * i) == gid) {
                            return true;
                        }
                    }
                    return false;
                }
                capacity = n;
            } finally {
                Memory.free(list);
            }
        }
    }
}
