package io.tierfs.codec;

/** How a block's bytes are stored on its tier: its number is {@code BlockRef.codec} in the block map. */
public enum Codec {
    NONE(0), LZ4(1), ZSTD(2);

    public final int id;

    Codec(int id) {
        this.id = id;
    }

    /** The codec of block-map number {@code id}. */
    public static Codec of(int id) {
        for (Codec c : values()) {
            if (c.id == id) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown codec number " + id);
    }
}
