package io.tierfs.nativeio;

import java.io.IOException;

/** An I/O failure that carries the errno the kernel gave, so that it reaches the FUSE caller unchanged. */
public final class NativeIOException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public NativeIOException(String what, int errno) {
        super(what + ": errno " + errno);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
