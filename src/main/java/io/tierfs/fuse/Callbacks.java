package io.tierfs.fuse;

import jnr.ffi.annotations.Delegate;

/**
 * The C function-pointer types of {@code struct fuse_lowlevel_ops} (libfuse 2.9), as jnr-ffi
 * closures. Pointers and 64-bit integers are {@code long}; {@code int} and {@code mode_t} are {@code int}.
 */
public final class Callbacks {
    private Callbacks() {
    }

    public interface ReqIno {
        @Delegate void call(long req, long ino);
    }

    public interface ReqInoFi {
        @Delegate void call(long req, long ino, long fi);
    }

    public interface ReqParentName {
        @Delegate void call(long req, long parent, long name);
    }

    public interface Forget {
        @Delegate void call(long req, long ino, long nlookup);
    }

    public interface ForgetMulti {
        @Delegate void call(long req, long count, long forgets);
    }

    public interface SetAttr {
        @Delegate void call(long req, long ino, long stat, int toSet, long fi);
    }

    public interface Mknod {
        @Delegate void call(long req, long parent, long name, int mode, long rdev);
    }

    public interface Mkdir {
        @Delegate void call(long req, long parent, long name, int mode);
    }

    public interface Symlink {
        @Delegate void call(long req, long link, long parent, long name);
    }

    public interface Rename {
        @Delegate void call(long req, long parent, long name, long newParent, long newName);
    }

    public interface Link {
        @Delegate void call(long req, long ino, long newParent, long newName);
    }

    public interface ReadLike {
        @Delegate void call(long req, long ino, long size, long off, long fi);
    }

    public interface Fsync {
        @Delegate void call(long req, long ino, int datasync, long fi);
    }

    public interface SetXattr {
        @Delegate void call(long req, long ino, long name, long value, long size, int flags);
    }

    public interface GetXattr {
        @Delegate void call(long req, long ino, long name, long size);
    }

    public interface ListXattr {
        @Delegate void call(long req, long ino, long size);
    }

    public interface Create {
        @Delegate void call(long req, long parent, long name, int mode, long fi);
    }

    public interface Fallocate {
        @Delegate void call(long req, long ino, int mode, long offset, long length, long fi);
    }
}
