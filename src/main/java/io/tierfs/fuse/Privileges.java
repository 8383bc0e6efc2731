package io.tierfs.fuse;

import io.tierfs.namespace.FileMode;
import io.tierfs.namespace.FileOps;
import io.tierfs.namespace.Inode;
import io.tierfs.namespace.Xattrs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Linux's rules for dropping privileges (set-user-ID, set-group-ID, file capabilities) when a
 * file changes. tierfs applies them itself because it took them over from the kernel
 * (FUSE_HANDLE_KILLPRIV_V2, see {@link InitNegotiation}); the kernel only flags the requests
 * that drop something, see {@link RawRequests#privilegeRequest}. The caller is read from the raw
 * request's header ({@code request}).
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
    boolean beforeWrite(long request, Inode inode, boolean flagged, boolean direct) {
        boolean changed = flagged && files.dropSetId(inode, dropsLockMark(request, inode));
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
    int forSetattr(long request, Inode inode, int kind) {
        if (FileMode.isDirectory(inode.mode())) {
            return 0; // Linux never drops a directory's set-group-ID on chown (it marks inheritance)
        }
        xattrs.dropCapabilities(inode);
        if (kind == EMPTY_SETATTR && RawRequests.callerUid(request) == 0) {
            return 0;
        }
        return FileOps.SET_DROP_SETID | (dropsLockMark(request, inode) ? FileOps.SET_DROP_LOCK_MARK : 0);
    }

    /**
     * A set-group-ID without group execute goes only if the caller is neither root nor a member
     * of the file's group (Linux's in_group_or_capable). Rare, so reading the caller's groups
     * from /proc (as libfuse's fuse_req_getgroups does) costs nothing on the usual path.
     */
    private static boolean dropsLockMark(long request, Inode inode) {
        if (!FileMode.isSetGidLockMark(inode.mode())) {
            return false;
        }
        int gid = inode.gid();
        if (RawRequests.callerUid(request) == 0 || RawRequests.callerGid(request) == gid) {
            return false;
        }
        return !inSupplementaryGroups(RawRequests.callerPid(request), gid);
    }

    /** Whether thread {@code tid}'s supplementary groups hold {@code gid}; unknown groups do not. */
    static boolean inSupplementaryGroups(int tid, int gid) {
        String task = Integer.toUnsignedString(tid);
        try {
            // Latin-1 maps every byte to a char: the Name line holds the task's name as raw bytes,
            // which need not be UTF-8 (a name cut at 15 bytes inside a character, say)
            for (String line : Files.readAllLines(Path.of("/proc", task, "task", task, "status"),
                StandardCharsets.ISO_8859_1)) {
                if (line.startsWith("Groups:")) {
                    String groups = line.substring("Groups:".length()).trim();
                    for (String g : groups.isEmpty() ? new String[0] : groups.split("\\s+")) {
                        if (Integer.parseUnsignedInt(g) == gid) {
                            return true;
                        }
                    }
                    return false;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // the caller is gone or its status unreadable: drop, as for a caller outside the group
        }
        return false;
    }
}
