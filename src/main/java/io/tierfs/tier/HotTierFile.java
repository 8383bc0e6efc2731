package io.tierfs.tier;

import static io.tierfs.nativeio.Memory.IO;

import java.io.IOException;

/**
 * One file's blocks in the {@link HotTier}, for the tier contract: a range may run on into the
 * blocks after its first (each is its own entry of the map, so each is its own copy); a block
 * not here reads as zeros, and the first write to one makes it, zeroed. Nothing here is made
 * durable by a sync: the hot tier only ever holds copies of blocks kept on another tier.
 */
final class HotTierFile implements TierFile {
    private final HotTier tier;
    private final long ino;
    private final int blockSize;
    private volatile boolean dirty;

    HotTierFile(HotTier tier, long ino, int blockSize) {
        this.tier = tier;
        this.ino = ino;
        this.blockSize = blockSize;
    }

    @Override
    public void read(long index, int offset, long address, int length) {
        for (int done = 0; done < length; ) {
            int n = Math.min(length - done, blockSize - offset);
            if (!tier.read(ino, index, offset, address + done, n)) {
                IO.setMemory(address + done, n, (byte) 0);
            }
            done += n;
            index++;
            offset = 0;
        }
    }

    @Override
    public void write(long index, int offset, long address, int length) throws IOException {
        for (int done = 0; done < length; ) {
            int n = Math.min(length - done, blockSize - offset);
            tier.ensure(ino, index);
            tier.update(ino, index, offset, address + done, n);
            dirty = true;
            done += n;
            index++;
            offset = 0;
        }
    }

    /** A discarded block leaves the map, so a new one starts from zeros anyway. */
    @Override
    public void writeNew(long index, int offset, long address, int length) throws IOException {
        write(index, offset, address, length);
    }

    @Override
    public void zero(long index, int offset, int length) {
        tier.zeroIfPresent(ino, index, offset, length);
        dirty = true;
    }

    @Override
    public void discard(long from, long to) {
        tier.forEachBlock(ino, from, to, index -> tier.remove(ino, index));
    }

    @Override
    public void reserve(long index) throws IOException {
        tier.ensure(ino, index);
        dirty = true;
    }

    @Override
    public boolean readsZeros(long index, int offset, int length) {
        return tier.readsZeros(ino, index, offset, length);
    }

    /** A block here is all data; one not here is a hole. */
    @Override
    public int seek(long index, int offset, boolean data) {
        boolean held = tier.holds(ino, index);
        return data == held ? offset : blockSize;
    }

    @Override
    public void startWriteBack(long index, int offset, int length) {
    }

    /** The map's pages are the hot tier itself: nothing to drop. */
    @Override
    public void dropCache(long index, int offset, int length) {
    }

    /** Flushes the map's written pages to its file (the block layer never needs it: see {@link HotTier}). */
    @Override
    public void sync() {
        if (dirty) {
            dirty = false;
            tier.msync();
        }
    }

    @Override
    public boolean hasUnsyncedWrites() {
        return dirty;
    }

    @Override
    public void assumeUnsynced() {
        dirty = true;
    }

    @Override
    public long[] storedBlocks() {
        return tier.storedBlocks(ino);
    }

    @Override
    public void close() {
    }
}
