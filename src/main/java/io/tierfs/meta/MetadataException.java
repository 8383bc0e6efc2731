package io.tierfs.meta;

/** The metadata store failed: the operation is answered with EIO and logged. */
public final class MetadataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MetadataException(String message, Throwable cause) {
        super(message, cause);
    }
}
