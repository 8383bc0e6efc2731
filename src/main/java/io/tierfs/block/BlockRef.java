package io.tierfs.block;

import java.nio.ByteBuffer;

/**
 * Where one block lives and how it is stored (block-map record, format version 1): the tier, the
 * codec, the stored length, a CRC32C of the stored bytes when the block is sealed, and a generation
 * that every change of the block bumps. A block being written is unsealed (no checksum to fail
 * after a crash); a move or compression will seal it, switching the record only if the generation
 * is still the one it copied.
 *
 * <p>{@link #FLAG_HOT} lives in memory only: the hot tier holds a copy of the block (its tier
 * stays the ssd or hdd tier that holds the block itself), and it is never written to the store.
 */
public record BlockRef(int tier, int codec, int flags, int storedLength, int checksum, long generation) {
    public static final int CODEC_NONE = 0;
    public static final int FLAG_SEALED = 1;
    public static final int FLAG_HOT = 0x80;
    private static final byte VERSION = 1;
    private static final int ENCODED_SIZE = 20;

    public static BlockRef unsealed(int tier, int blockSize) {
        return new BlockRef(tier, CODEC_NONE, 0, blockSize, 0, 1);
    }

    public BlockRef onTier(int newTier) {
        return new BlockRef(newTier, codec, flags, storedLength, checksum, generation + 1);
    }

    /** Whether the hot tier holds a copy of the block. */
    public boolean hot() {
        return (flags & FLAG_HOT) != 0;
    }

    public BlockRef withHot(boolean hot) {
        return new BlockRef(tier, codec, hot ? flags | FLAG_HOT : flags & ~FLAG_HOT, storedLength, checksum, generation);
    }

    public byte[] encode() {
        return ByteBuffer.allocate(ENCODED_SIZE).put(VERSION).put((byte) tier).put((byte) codec)
            .put((byte) (flags & ~FLAG_HOT)).putInt(storedLength).putInt(checksum).putLong(generation).array();
    }

    public static BlockRef decode(byte[] value) {
        ByteBuffer b = ByteBuffer.wrap(value);
        byte version = b.get();
        if (version != VERSION || value.length != ENCODED_SIZE) {
            throw new IllegalStateException("block record of unknown format version " + version);
        }
        return new BlockRef(b.get(), b.get(), b.get(), b.getInt(), b.getInt(), b.getLong());
    }
}
