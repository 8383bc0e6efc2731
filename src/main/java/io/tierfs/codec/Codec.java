package io.tierfs.codec;

/** How a block's bytes are stored on its tier: its number is {@code BlockRef.codec} in the block map. */
public enum Codec {
    NONE(0), LZ4(1), ZSTD(2);

    public final int id;
    private static final Codec[] BY_ID = values();

    Codec(int id) {
        this.id = id;
    }

    /** The codec of block-map number {@code id}. */
    public static Codec of(int id) {
        if (id >= 0 && id < BY_ID.length && BY_ID[id].id == id) {
            return BY_ID[id];
        }
        throw new IllegalArgumentException("unknown codec number " + id);
    }
}
