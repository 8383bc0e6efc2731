package io.tierfs.block;

/**
 * What the data path tells placement about blocks: each access, each new block, and each hot copy
 * dropped outside the migrator (a file deleted, truncated or punched, a block rewritten whole, or
 * two writes racing). Called on the FUSE workers' hot path, so an implementation must neither block
 * nor allocate.
 */
public interface BlockEvents {
    /** Tells no one: what the data path reports where no migrator listens (each report is a no-op by default). */
    BlockEvents NONE = new BlockEvents() {
    };

    /** Block {@code index} of {@code ino} was read, or written on a tier below the first. */
    default void accessed(long ino, long index) {
    }

    /** A new block was placed on directory tier {@code tier}. */
    default void created(long ino, long index, int tier) {
    }

    /** The hot copy of a block went away (its data was freed). */
    default void hotDropped(long ino, long index) {
    }

    /** The hot copy of a block that still exists was dropped by the data path (two writes raced on it). */
    default void hotLost(long ino, long index) {
    }

    /** A write replaced the whole block, on the first directory tier, and dropped its hot copy instead of writing it too. */
    default void hotRewritten(long ino, long index) {
    }
}
