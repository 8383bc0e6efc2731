package io.tierfs.block;

import io.tierfs.nativeio.Memory;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The last few whole blocks that reads fetched from the slow tier, kept for the migrator: a block
 * the policy moves up is copied from here, so its move costs the slow disk no read of its own.
 * Reads of such a block in the second or two it stays here are served from here too, as a disk's
 * own track buffer would: the read that earns a block its move up (the admission window's second
 * read) then costs the disk nothing either.
 * A read of part of such a block reads all of it (one request of the disk arm either way: the
 * emulated disk counts requests, a real one pays ~1 ms of transfer per 128 KiB beside a ~8 ms
 * seek), and the promotion the placement policy decides a moment later finds it here.
 *
 * <p>A ring of block-sized slots in native memory, filled by the FUSE workers in turn and read by
 * the migrator, without a lock: each slot has a sequence number, odd while a reader fills it, and
 * the migrator's copy counts only if the number did not change under it. A slot names the block
 * and the {@link BlockRef} it was read from (a block freed and made again is a new ref) and the
 * block's {@link WriteCounts} stamp: the mover uses the bytes only if no write began since.
 */
public final class FetchedBlocks implements AutoCloseable {
    private final int blockSize;
    private final int slots;
    private final long memory;
    private final AtomicLongArray sequence;
    private final AtomicInteger next = new AtomicInteger();
    private final long[] inos;
    private final long[] indexes;
    private final long[] stamps;
    private final BlockRef[] refs;

    /** A ring of {@code bytes} (at least one block) for blocks of {@code blockSize}. */
    public FetchedBlocks(int blockSize, long bytes) {
        this.blockSize = blockSize;
        this.slots = (int) Math.max(1, Math.min(bytes / blockSize, 4096));
        this.memory = Memory.allocate((long) slots * blockSize);
        this.sequence = new AtomicLongArray(slots);
        this.inos = new long[slots];
        this.indexes = new long[slots];
        this.stamps = new long[slots];
        this.refs = new BlockRef[slots];
        Arrays.fill(inos, -1);
    }

    /** Takes the oldest slot to fill; -1 if another thread is filling it still. */
    int claim() {
        int slot = Math.floorMod(next.getAndIncrement(), slots);
        long seq = sequence.get(slot);
        return (seq & 1) == 0 && sequence.compareAndSet(slot, seq, seq + 1) ? slot : -1;
    }

    long address(int slot) {
        return memory + (long) slot * blockSize;
    }

    /** The slot claimed holds block {@code index} of {@code ino} as of {@code ref} and write stamp {@code stamp}. */
    void publish(int slot, long ino, long index, BlockRef ref, long stamp) {
        inos[slot] = ino;
        indexes[slot] = index;
        refs[slot] = ref;
        stamps[slot] = stamp;
        sequence.incrementAndGet(slot); // even again: the fields above are seen with it
    }

    /** The slot claimed holds nothing (its read failed or a write came). */
    void abandon(int slot) {
        publish(slot, -1, -1, null, -1);
    }

    /** Whether a slot holds block {@code index} of {@code ino} (it may be gone by the time it is copied). */
    public boolean holds(long ino, long index) {
        for (int slot = 0; slot < slots; slot++) {
            if (inos[slot] == ino && indexes[slot] == index) {
                return true;
            }
        }
        return false;
    }

    /**
     * Copies block {@code index} of {@code ino}, as of {@code ref}, to {@code address} if a slot
     * holds it; the write stamp it was read at, or -1 (and {@code address} holds garbage) if none does.
     */
    long copy(long ino, long index, BlockRef ref, long address) {
        return copy(ino, index, ref, 0, address, blockSize);
    }

    /**
     * Copies {@code n} bytes at {@code offset} in block {@code index} of {@code ino}, as of
     * {@code ref}, to {@code address} if a slot holds the block: a read served without the slow
     * disk. The write stamp it was read at, or -1 (and {@code address} holds garbage) if none does.
     */
    long copy(long ino, long index, BlockRef ref, int offset, long address, int n) {
        for (int slot = 0; slot < slots; slot++) {
            long seq = sequence.get(slot);
            if ((seq & 1) != 0 || inos[slot] != ino || indexes[slot] != index || refs[slot] != ref) {
                continue;
            }
            long stamp = stamps[slot];
            Memory.IO.copyMemory(address(slot) + offset, address, n);
            VarHandle.acquireFence(); // the reads above are done before the sequence is read again
            if (sequence.get(slot) == seq) {
                return stamp;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        Memory.free(memory);
    }
}
