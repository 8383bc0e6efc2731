package io.tierfs.nativeio;

import com.kenai.jffi.MemoryIO;
import java.nio.charset.StandardCharsets;

/** Raw native memory through jffi: no objects per access, which is what the FUSE hot path needs. */
public final class Memory {
    public static final MemoryIO IO = MemoryIO.getInstance();

    private Memory() {
    }

    public static long allocate(long size) {
        long address = IO.allocateMemory(size, true);
        if (address == 0) {
            throw new OutOfMemoryError("native allocation of " + size + " bytes failed");
        }
        return address;
    }

    public static void free(long address) {
        IO.freeMemory(address);
    }

    /** Allocates a NUL-terminated copy of {@code s}; the caller owns it. */
    public static long cString(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        long address = allocate(bytes.length + 1L);
        IO.putByteArray(address, bytes, 0, bytes.length);
        IO.putByte(address + bytes.length, (byte) 0);
        return address;
    }

    /** Whether the {@code length} bytes at {@code address} are all zero. */
    public static boolean isZero(long address, long length) {
        long i = 0;
        for (; i + 8 <= length; i += 8) {
            if (IO.getLong(address + i) != 0) {
                return false;
            }
        }
        for (; i < length; i++) {
            if (IO.getByte(address + i) != 0) {
                return false;
            }
        }
        return true;
    }

    public static byte[] readCString(long address) {
        return IO.getZeroTerminatedByteArray(address);
    }
}
