package io.tierfs.placement;

/**
 * Packs a block's (inode number, block index) into the one {@code long} the placement policy keys
 * on. The index takes {@code 44 - log2(blockSize)} bits, enough for every block of the largest file
 * (16 TiB); the inode takes the bits above it except the sign bit, so every key is non-negative and
 * {@link #UNTRACKED} can never be a real key. At 128 KiB blocks that leaves 36 bits (68 billion
 * inodes); an inode past that gets {@link #UNTRACKED} and its blocks stay where the data path puts
 * them.
 */
public final class BlockKeys {
    /** What {@link #pack} returns for an inode number too large to fit: leave the block untracked. */
    public static final long UNTRACKED = -1L;
    /** log2 of the largest file, 16 TiB: the bits a byte offset inside a file needs. */
    private static final int FILE_OFFSET_BITS = 44;
    private static final int MIN_BLOCK_SHIFT = 12;
    private static final int MAX_BLOCK_SHIFT = 22;

    private final int indexBits;
    private final long indexMask;
    private final long maxIno;

    /** @param blockSize the volume's block size: a power of two from 4 KiB to 4 MiB */
    public BlockKeys(long blockSize) {
        int shift = Long.numberOfTrailingZeros(blockSize);
        if (Long.bitCount(blockSize) != 1 || shift < MIN_BLOCK_SHIFT || shift > MAX_BLOCK_SHIFT) {
            throw new IllegalArgumentException("block size must be a power of two from 4K to 4M: " + blockSize);
        }
        indexBits = FILE_OFFSET_BITS - shift;
        indexMask = (1L << indexBits) - 1;
        maxIno = Long.MAX_VALUE >>> indexBits;
    }

    /** The key of block {@code index} of inode {@code ino}, or {@link #UNTRACKED} if {@code ino} does not fit. */
    public long pack(long ino, long index) {
        if (ino < 0 || ino > maxIno) {
            return UNTRACKED;
        }
        if (index < 0 || index > indexMask) {
            throw new IllegalArgumentException("block index " + index + " is past the largest file");
        }
        return (ino << indexBits) | index;
    }

    public long inoOf(long key) {
        return key >>> indexBits;
    }

    public long indexOf(long key) {
        return key & indexMask;
    }

    /** The largest inode number {@link #pack} accepts. */
    public long maxIno() {
        return maxIno;
    }
}
