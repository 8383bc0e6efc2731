package io.tierfs.fuse;

import jnr.ffi.LibraryLoader;

/**
 * libfuse2's low-level, inode-based API. Every pointer is a {@code long} address so that a call
 * allocates no Java object; the structs are written in place by {@link Structs}.
 */
public interface LibFuse {
    LibFuse INSTANCE = load();

    private static LibFuse load() {
        return LibraryLoader.create(LibFuse.class).failImmediately().load("fuse");
    }

    long fuse_mount(String mountpoint, long args);

    void fuse_unmount(String mountpoint, long ch);

    long fuse_lowlevel_new(long args, long ops, long opSize, long userdata);

    void fuse_session_add_chan(long se, long ch);

    void fuse_session_exit(long se);

    int fuse_session_exited(long se);

    int fuse_chan_recv(long chp, long buf, long size);

    void fuse_session_process(long se, long buf, long len, long ch);

    long fuse_chan_bufsize(long ch);

    int fuse_chan_fd(long ch);

    /** A channel that writes replies to {@code fd}, as the kernel channel does to /dev/fuse. */
    long fuse_kern_chan_new(int fd);

    /** Destroys a channel and closes its fd. */
    void fuse_chan_destroy(long ch);

    int fuse_reply_err(long req, int err);

    void fuse_reply_none(long req);

    int fuse_reply_entry(long req, long entryParam);

    int fuse_reply_create(long req, long entryParam, long fi);

    int fuse_reply_attr(long req, long stat, double attrTimeout);

    int fuse_reply_readlink(long req, long link);

    int fuse_reply_open(long req, long fi);

    int fuse_reply_buf(long req, long buf, long size);

    int fuse_reply_statfs(long req, long statvfs);

    int fuse_reply_xattr(long req, long count);

    /** With {@code off} -1: drops only the kernel's cached attributes of {@code ino}. */
    int fuse_lowlevel_notify_inval_inode(long ch, long ino, long off, long len);
}
