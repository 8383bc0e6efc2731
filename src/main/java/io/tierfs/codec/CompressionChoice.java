package io.tierfs.codec;

import java.nio.charset.StandardCharsets;

/**
 * How a file's blocks are compressed where their tier compresses: by content ({@link #AUTO}, the
 * classifier's choice), or as its {@code user.tierfs.compress} says: {@code zstd}, {@code
 * zstd:LEVEL}, {@code lz4} or {@code none}. The saving rule applies either way: a block stored
 * compressed saves at least the volume's minimum share.
 *
 * @param codec null for the classifier's choice
 * @param level Zstd's level when the codec is Zstd and a level was given, else 0 (the volume's)
 */
public record CompressionChoice(Codec codec, int level) {
    public static final String ATTRIBUTE = "user.tierfs.compress";
    public static final CompressionChoice AUTO = new CompressionChoice(null, 0);
    /** Zstd's levels that trade speed for size (its negative "fast" levels are LZ4's job here). */
    public static final int MIN_LEVEL = 1, MAX_LEVEL = 19;

    /** The choice {@code text} names (a trailing newline, as echo leaves it, is ignored), or IllegalArgumentException. */
    public static CompressionChoice parse(String text) {
        String t = text.strip();
        switch (t) {
            case "auto":
                return AUTO;
            case "zstd":
                return new CompressionChoice(Codec.ZSTD, 0);
            case "lz4":
                return new CompressionChoice(Codec.LZ4, 0);
            case "none":
                return new CompressionChoice(Codec.NONE, 0);
            default:
                break;
        }
        if (t.startsWith("zstd:")) {
            try {
                int level = Integer.parseInt(t.substring(5));
                if (level >= MIN_LEVEL && level <= MAX_LEVEL) {
                    return new CompressionChoice(Codec.ZSTD, level);
                }
            } catch (NumberFormatException e) {
                // below
            }
        }
        throw new IllegalArgumentException(ATTRIBUTE + " is auto, zstd, zstd:LEVEL (" + MIN_LEVEL + " to " + MAX_LEVEL
            + "), lz4 or none, not '" + t + "'");
    }

    /** The choice stored as {@code value} (the attribute's bytes), or {@link #AUTO} for none or one unreadable. */
    public static CompressionChoice of(byte[] value) {
        if (value == null) {
            return AUTO;
        }
        try {
            return parse(new String(value, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return AUTO;
        }
    }

    /** As the attribute is stored. */
    @Override
    public String toString() {
        if (codec == null) {
            return "auto";
        }
        return switch (codec) {
            case NONE -> "none";
            case LZ4 -> "lz4";
            case ZSTD -> level == 0 ? "zstd" : "zstd:" + level;
        };
    }
}
