package io.tierfs.testutil;

import io.tierfs.nativeio.Memory;
import java.util.Random;

/** A block of native memory for tests of the data path, which moves bytes by address. */
public final class NativeBuffer implements AutoCloseable {
    /** A byte that no test writes on purpose: buffers are filled with it before reads. */
    public static final byte GARBAGE = (byte) 0xA5;

    public final long address;
    public final int size;
    private boolean freed;

    public NativeBuffer(int size) {
        this.size = size;
        this.address = Memory.allocate(Math.max(1, size));
    }

    public static NativeBuffer of(byte[] bytes) {
        NativeBuffer b = new NativeBuffer(bytes.length);
        Memory.IO.putByteArray(b.address, bytes, 0, bytes.length);
        return b;
    }

    /** A buffer filled with {@link #GARBAGE}, so a read that leaves bytes untouched is caught. */
    public static NativeBuffer garbage(int size) {
        NativeBuffer b = new NativeBuffer(size);
        Memory.IO.setMemory(b.address, size, GARBAGE);
        return b;
    }

    public byte[] bytes() {
        byte[] out = new byte[size];
        Memory.IO.getByteArray(address, out, 0, size);
        return out;
    }

    @Override
    public void close() {
        if (!freed) {
            freed = true;
            Memory.free(address);
        }
    }

    /** Deterministic pseudo-random bytes with no zero byte, so that "reads as zeros" cannot pass by luck. */
    public static byte[] pattern(long seed, int length) {
        Random r = new Random(seed);
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            int v;
            do {
                v = r.nextInt(256);
            } while (v == 0 || (byte) v == GARBAGE);
            b[i] = (byte) v;
        }
        return b;
    }
}
