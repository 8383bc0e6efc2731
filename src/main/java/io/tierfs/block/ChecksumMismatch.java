package io.tierfs.block;

import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.NativeIOException;

/** A block's stored bytes failed their checksum: EIO to the reader, who gets no bytes of it. */
final class ChecksumMismatch extends NativeIOException {
    private static final long serialVersionUID = 1L;

    ChecksumMismatch(long ino, long index, int tier) {
        super("inode " + ino + " block " + index + ": checksum mismatch on tier " + tier, Errno.EIO);
    }
}
