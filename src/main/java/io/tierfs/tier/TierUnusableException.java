package io.tierfs.tier;

import java.io.IOException;

/** A tier cannot be used where it is; the message names the tier, what is missing and what to do. */
public final class TierUnusableException extends IOException {
    private static final long serialVersionUID = 1L;

    public TierUnusableException(String message) {
        super(message);
    }
}
