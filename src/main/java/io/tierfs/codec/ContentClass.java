package io.tierfs.codec;

/** What a block holds, as far as compression cares, and the codec each kind gets. */
public enum ContentClass {
    /** Text, JSON, CSV, logs, source: Zstd, which packs text several times smaller. */
    TEXT(Codec.ZSTD),
    /** Other bytes that repeat (binaries, databases, zeros): LZ4, nearly free to read back. */
    BINARY(Codec.LZ4),
    /** A compressed format, known by its magic number (archives, images, audio, video): stored raw. */
    COMPRESSED(Codec.NONE),
    /** Bytes with no order to exploit (random, encrypted, or compressed without a known header): raw. */
    INCOMPRESSIBLE(Codec.NONE);

    public final Codec codec;

    ContentClass(Codec codec) {
        this.codec = codec;
    }
}
