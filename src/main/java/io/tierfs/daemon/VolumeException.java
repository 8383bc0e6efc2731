package io.tierfs.daemon;

/** A volume cannot be opened or mounted; the message is the one line the user sees. */
public final class VolumeException extends Exception {
    private static final long serialVersionUID = 1L;

    public VolumeException(String message) {
        super(message);
    }
}
