package io.tierfs.nativeio;

import java.io.IOException;

/** An I/O failure that carries the errno the kernel gave, so that it reaches the FUSE caller unchanged. */
public class NativeIOException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int errno;
    private final boolean reported;

    public NativeIOException(String what, int errno) {
        this(what + ": errno " + errno, errno, false);
    }

    private NativeIOException(String message, int errno, boolean reported) {
        super(message);
        this.errno = errno;
        this.reported = reported;
    }

    /**
     * A failure whose cause was logged once already (a tier that went away): the requests that
     * meet it answer {@code errno} without logging it again each.
     */
    public static NativeIOException reported(String message, int errno) {
        return new NativeIOException(message, errno, true);
    }

    public int errno() {
        return errno;
    }

    public boolean alreadyReported() {
        return reported;
    }
}
