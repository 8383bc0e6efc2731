package io.tierfs.block;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Where one block lives and how it is stored (block-map record): the tier, the codec, the stored
 * length, checksums when the block is sealed, and a generation that every change of the record
 * bumps. A block being written is unsealed (no checksum to fail after a crash); a sealed one has
 * a CRC32C of each 4 KiB page of its stored bytes ({@link #pageSums}), so a 4 KiB read verifies
 * the page it reads and no more, and {@link #checksum} is the CRC32C of those sums. Every change
 * (a move, a seal) is switched in only if the record is still the one the change started from.
 *
 * A compressed block (codec LZ4 or Zstd) is always sealed, with {@link #checksum} the CRC32C of
 * its {@link #storedLength} stored bytes, which are read and checked whole.
 *
 * <p>Encoding: version 1 (20 bytes: version, tier, codec, flags, stored length, checksum,
 * generation) was written before sealing existed, and is read as an unsealed block. Version 2 is
 * the same 20 bytes followed, for a sealed raw block, by its page sums.
 *
 * <p>A sealed block of a file with two replicas ({@code user.tierfs.replicas}) has a second copy
 * of its stored bytes, the same bytes under the same checksums, in its slot of another directory
 * tier ({@link #replica}); a write drops it with the seal. Version 3 records carry it in bits 4-6
 * of the flags (the replica's tier + 1, 0 for none), and in bits 1-3 the content class the
 * classifier found ({@link #contentClass}), for the status's ratios per class.
 *
 * <p>{@link #FLAG_HOT} lives in memory only: the hot tier holds a copy of the block (its tier
 * stays the ssd or hdd tier that holds the block itself), and it is never written to the store.
 */
public record BlockRef(int tier, int codec, int flags, int storedLength, int checksum, long generation,
                       int[] pageSums) {
    public static final int CODEC_NONE = 0;
    public static final int FLAG_SEALED = 1;
    public static final int FLAG_HOT = 0x80;
    private static final int REPLICA_SHIFT = 4;
    private static final int REPLICA_MASK = 0x70;
    private static final int CLASS_SHIFT = 1;
    private static final int CLASS_MASK = 0x0e;
    /** The unit a sealed raw block is checksummed in: a page, what a 4 KiB read touches. */
    public static final int SUM_UNIT = 4096;
    private static final byte VERSION_UNSEALED_ONLY = 1;
    private static final byte VERSION_NO_REPLICAS = 2;
    private static final byte VERSION = 3;
    private static final int HEADER_SIZE = 20;

    public static BlockRef unsealed(int tier, int blockSize) {
        return new BlockRef(tier, CODEC_NONE, 0, blockSize, 0, 1, null);
    }

    /** This block moved to {@code newTier}: a copy of its own, without a replica. */
    public BlockRef onTier(int newTier) {
        return new BlockRef(newTier, codec, flags & ~REPLICA_MASK, storedLength, checksum, generation + 1, pageSums);
    }

    /** Whether the encoded record {@code value} names a replica (read from its flags, without decoding it). */
    public static boolean recordHasReplica(byte[] value) {
        return (value[3] & REPLICA_MASK) != 0;
    }

    /**
     * What the classifier found the block's bytes to be when it was moved to a tier that
     * compresses ({@code ContentClass} ordinal), or -1 if it was not classified since its last write.
     */
    public int contentClass() {
        return ((flags & CLASS_MASK) >> CLASS_SHIFT) - 1;
    }

    /** This block, classified as content class {@code cls} (0 to 6: a {@code ContentClass} ordinal). */
    public BlockRef classifiedAs(int cls) {
        if (cls < 0 || cls > 6) {
            throw new IllegalArgumentException("content class " + cls);
        }
        return new BlockRef(tier, codec, flags & ~CLASS_MASK | (cls + 1) << CLASS_SHIFT, storedLength, checksum,
            generation, pageSums);
    }

    /** The tier holding this block's replica, or -1 if it has none. */
    public int replica() {
        return ((flags & REPLICA_MASK) >> REPLICA_SHIFT) - 1;
    }

    /** This sealed block with a replica of its stored bytes on {@code tier} (another directory tier than its own). */
    public BlockRef withReplica(int tier) {
        if (!sealed() || tier == this.tier || tier < 0 || tier > 6) {
            throw new IllegalArgumentException("a replica on tier " + tier + " of a " + (sealed() ? "" : "un")
                + "sealed block on tier " + this.tier);
        }
        return new BlockRef(this.tier, codec, flags & ~REPLICA_MASK | (tier + 1) << REPLICA_SHIFT, storedLength,
            checksum, generation + 1, pageSums);
    }

    /** This block with its only copy on {@code tier}: its own tier or its replica's, the other copy dropped. */
    public BlockRef onlyOn(int tier) {
        if (tier != this.tier && tier != replica()) {
            throw new IllegalArgumentException("block on tier " + this.tier + " has no copy on tier " + tier);
        }
        return new BlockRef(tier, codec, flags & ~REPLICA_MASK, storedLength, checksum, generation + 1, pageSums);
    }

    /** This block read from its replica's tier from now on, with its own copy as the replica: a move at no cost. */
    public BlockRef swapped() {
        int other = replica();
        if (other < 0) {
            throw new IllegalArgumentException("block on tier " + tier + " has no replica to swap with");
        }
        return new BlockRef(other, codec, flags & ~REPLICA_MASK | (tier + 1) << REPLICA_SHIFT, storedLength, checksum,
            generation + 1, pageSums);
    }

    /** Whether the hot tier holds a copy of the block. */
    public boolean hot() {
        return (flags & FLAG_HOT) != 0;
    }

    /** Whether the block's stored bytes have checksums that every read from its tier verifies. */
    public boolean sealed() {
        return (flags & FLAG_SEALED) != 0;
    }

    public BlockRef withHot(boolean hot) {
        return new BlockRef(tier, codec, hot ? flags | FLAG_HOT : flags & ~FLAG_HOT, storedLength, checksum, generation,
            pageSums);
    }

    /** This raw block sealed with {@code sums}, one CRC32C per {@link #SUM_UNIT} of its stored bytes. */
    public BlockRef sealedWith(int[] sums) {
        if (codec != CODEC_NONE || sums.length != pages(storedLength)) {
            throw new IllegalArgumentException("a raw block of " + storedLength + " bytes has " + pages(storedLength)
                + " page sums, not " + sums.length);
        }
        return new BlockRef(tier, codec, flags | FLAG_SEALED, storedLength, digest(sums), generation + 1, sums);
    }

    /**
     * This block as stored compressed by {@code codec} in {@code storedLength} bytes, sealed with
     * {@code checksum}, the CRC32C of those bytes: a compressed block is only ever read whole.
     */
    public BlockRef compressedAs(int codec, int storedLength, int checksum) {
        if (codec == CODEC_NONE) {
            throw new IllegalArgumentException("a compressed block needs a codec");
        }
        return new BlockRef(tier, codec, flags | FLAG_SEALED, storedLength, checksum, generation + 1, null);
    }

    /** Whether the block's bytes are stored compressed (then it is sealed, with one checksum of them all). */
    public boolean compressed() {
        return codec != CODEC_NONE;
    }

    /** This compressed block as it is once rewritten raw in place, unsealed, filling its slot of {@code blockSize}. */
    public BlockRef expanded(int blockSize) {
        return new BlockRef(tier, CODEC_NONE, flags & ~FLAG_SEALED & ~REPLICA_MASK & ~CLASS_MASK, blockSize, 0,
            generation + 1, null);
    }

    /** This block unsealed, its replica dropped: about to be written in place. */
    public BlockRef unsealedNow() {
        return new BlockRef(tier, codec, flags & ~FLAG_SEALED & ~REPLICA_MASK & ~CLASS_MASK, storedLength, 0,
            generation + 1, null);
    }

    /** How many {@link #SUM_UNIT}s {@code length} stored bytes span. */
    public static int pages(int length) {
        return (length + SUM_UNIT - 1) / SUM_UNIT;
    }

    private static int digest(int[] sums) {
        CRC32C crc = new CRC32C();
        ByteBuffer b = ByteBuffer.allocate(sums.length * 4);
        b.asIntBuffer().put(sums);
        crc.update(b);
        return (int) crc.getValue();
    }

    public byte[] encode() {
        boolean withSums = sealed() && pageSums != null;
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE + (withSums ? pageSums.length * 4 : 0))
            .put(VERSION).put((byte) tier).put((byte) codec)
            .put((byte) (flags & ~FLAG_HOT)).putInt(storedLength).putInt(checksum).putLong(generation);
        if (withSums) {
            b.asIntBuffer().put(pageSums);
        }
        return b.array();
    }

    public static BlockRef decode(byte[] value) {
        ByteBuffer b = ByteBuffer.wrap(value);
        byte version = b.get();
        if (version != VERSION && version != VERSION_NO_REPLICAS && version != VERSION_UNSEALED_ONLY
            || value.length < HEADER_SIZE) {
            throw new IllegalStateException("block record of unknown format version " + version);
        }
        int tier = b.get();
        int codec = b.get();
        int flags = b.get() & 0xff;
        int storedLength = b.getInt();
        int checksum = b.getInt();
        long generation = b.getLong();
        if ((flags & REPLICA_MASK) != 0 && (version != VERSION || (flags & FLAG_SEALED) == 0)) {
            throw new IllegalStateException("block record (version " + version + ") names a replica of an unsealed"
                + " block or predates replicas");
        }
        if ((flags & CLASS_MASK) != 0 && version != VERSION) {
            throw new IllegalStateException("block record (version " + version + ") names a content class");
        }
        int[] sums = null;
        if ((flags & FLAG_SEALED) != 0 && codec == CODEC_NONE) {
            if (version == VERSION_UNSEALED_ONLY || value.length != HEADER_SIZE + pages(storedLength) * 4) {
                throw new IllegalStateException("sealed block record of " + value.length + " bytes (version "
                    + version + ") does not hold the page sums of " + storedLength + " bytes");
            }
            sums = new int[pages(storedLength)];
            b.asIntBuffer().get(sums);
            if (digest(sums) != checksum) {
                throw new IllegalStateException("sealed block record's page sums do not match its checksum");
            }
        } else if (value.length != HEADER_SIZE) {
            throw new IllegalStateException("block record of " + value.length + " bytes, version " + version);
        }
        return new BlockRef(tier, codec, flags, storedLength, checksum, generation, sums);
    }
}
