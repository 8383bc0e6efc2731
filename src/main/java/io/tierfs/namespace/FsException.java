package io.tierfs.namespace;

/**
 * A failed filesystem operation, answered to the caller as an errno. Without a stack trace: these
 * are ordinary answers (ENOENT, EEXIST), not bugs, and they should cost little.
 */
public final class FsException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public FsException(int errno, String message) {
        super(message, null, false, false);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
