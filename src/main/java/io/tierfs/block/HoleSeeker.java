package io.tierfs.block;

import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.IntFunction;

/**
 * SEEK_DATA and SEEK_HOLE for one file: blocks without a record are holes, and within a block
 * the tier refines the answer (a range its filesystem holds as a hole, or as reserved and
 * unwritten space, reads as zeros, as on ext4), except in a compressed block, which is all data. A scan of the file's block records from the
 * offset, so a huge sparse file costs its records, not its length.
 */
final class HoleSeeker {
    private final MetadataStore meta;
    private final long ino;
    private final int blockSize;
    private final IntFunction<TierFile> tierFiles;

    HoleSeeker(MetadataStore meta, long ino, int blockSize, IntFunction<TierFile> tierFiles) {
        this.meta = meta;
        this.ino = ino;
        this.blockSize = blockSize;
        this.tierFiles = tierFiles;
    }

    /** The first byte at or after {@code offset} (below {@code size}) that holds data, or {@code size}. */
    long nextData(long offset, long size) {
        long[] found = {size};
        meta.scan(Keys.block(ino, offset / blockSize), Keys.after(Keys.BLOCK, ino), (k, v) -> {
            long index = Keys.blockIndexOf(k);
            long start = Math.max(offset, index * blockSize);
            if (start >= size) {
                return false;
            }
            int at = seekInBlock(index, BlockRef.decode(v), (int) (start - index * blockSize), true);
            if (at < blockSize) {
                found[0] = Math.min(size, index * blockSize + at);
                return false;
            }
            return true;
        });
        return found[0];
    }

    /** The first byte at or after {@code offset} that is in a hole, or {@code size} (the hole at the end). */
    long nextHole(long offset, long size) {
        long[] pos = {offset};
        meta.scan(Keys.block(ino, offset / blockSize), Keys.after(Keys.BLOCK, ino), (k, v) -> {
            long index = Keys.blockIndexOf(k);
            if (index * blockSize > pos[0] || pos[0] >= size) {
                return false; // pos lies in a block without a record, or at the end
            }
            int at = seekInBlock(index, BlockRef.decode(v), (int) (pos[0] - index * blockSize), false);
            pos[0] = index * blockSize + at;
            return at == blockSize;
        });
        return Math.min(pos[0], size);
    }

    private int seekInBlock(long index, BlockRef ref, int inBlock, boolean data) {
        if (ref.compressed()) {
            return data ? inBlock : blockSize; // all data: its slot's hole after the stored bytes is no hole of the file
        }
        try {
            return tierFiles.apply(ref.tier()).seek(index, inBlock, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
