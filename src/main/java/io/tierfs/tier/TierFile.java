package io.tierfs.tier;

import java.io.IOException;

/**
 * One file's blocks on one tier, addressed by block index and offset within the block. Buffers are
 * native addresses so that bytes move between FUSE and the tier without a copy in Java.
 * A range given as (index, offset, length) may run past the end of block {@code index} into the
 * blocks after it: one call then covers consecutive blocks, which a tier that keeps them side by
 * side serves in one system call. Safe for concurrent use; it takes no lock around I/O.
 */
public interface TierFile extends AutoCloseable {

    /**
     * Reads {@code length} bytes from {@code offset} of block {@code index} on (into the blocks
     * after it, if the range runs past its end) into {@code address}. Bytes never written read as
     * zeros.
     */
    void read(long index, int offset, long address, int length) throws IOException;

    void write(long index, int offset, long address, int length) throws IOException;

    /**
     * The first write to block {@code index} since it was placed here: the rest of the block must
     * read zeros afterwards, whatever the slot held before.
     */
    void writeNew(long index, int offset, long address, int length) throws IOException;

    /** Zeroes [offset, offset+length) of a block and frees its space where the tier can. */
    void zero(long index, int offset, int length) throws IOException;

    /**
     * Frees blocks [from, to). Where the tier cannot free space inside a file, a block's slot
     * keeps its space, and its bytes until {@link #writeNew} places a block there again.
     */
    void discard(long from, long to) throws IOException;

    /**
     * Reserves space for a whole block so that later writes to it cannot fail for want of space;
     * data already in the block stays, unless the tier cannot free space inside a file (see
     * {@link TierFeatures}), where the block is written with zeros: call it there only for a new block.
     */
    void reserve(long index) throws IOException;

    /**
     * Whether [offset, offset+length) of block {@code index} reads as zeros. Cheap over holes, so
     * that recovery can check the end of every file.
     */
    boolean readsZeros(long index, int offset, int length) throws IOException;

    /**
     * Where data (or, with {@code data} false, a hole) begins in block {@code index} at or after
     * {@code offset}: an offset inside the block, or the block size if there is none in the rest
     * of it. A range the tier holds as a hole or as reserved, unwritten space is a hole; a tier that
     * cannot tell calls all of the block data.
     */
    int seek(long index, int offset, boolean data) throws IOException;

    /**
     * Starts writing the range from {@code offset} of block {@code index} to the disk without
     * waiting, so that a sync expected soon finds it already on its way. Does nothing where there is nothing to
     * write back; a failure to start is left for that sync to report.
     */
    void startWriteBack(long index, int offset, int length);

    /**
     * Lets the host forget its cached pages of the range (the data stays on the tier): a block
     * whose hot copy serves its reads, or one just moved down, should not take memory twice.
     * Dirty pages stay until they are written back.
     */
    void dropCache(long index, int offset, int length);

    /** Makes every write so far durable. Cheap when nothing was written since the last sync. */
    void sync() throws IOException;

    /** Whether writes through this handle are not yet durable. */
    boolean hasUnsyncedWrites();

    /** Makes the next {@link #sync} sync for real: writes through an earlier handle may be pending. */
    void assumeUnsynced();

    /** Indexes of blocks that hold data here, in order, for recovery's sweep of leaked blocks. */
    long[] storedBlocks() throws IOException;

    @Override
    void close();
}
