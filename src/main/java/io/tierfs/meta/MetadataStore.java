package io.tierfs.meta;

import java.nio.file.Path;

/**
 * The one interface between tierfs and the engine that keeps its metadata: an ordered key-value
 * store with atomic batches. Every namespace change is one batch, so a crash leaves each change
 * whole or absent. Kept this small so a shared engine (TiKV, PostgreSQL) can stand in for RocksDB.
 */
public interface MetadataStore extends AutoCloseable {

    /** The value of {@code key}, or null. */
    byte[] get(byte[] key);

    Batch newBatch();

    /**
     * Applies the batch atomically. With {@code sync}, it and everything committed before it are on
     * stable storage when this returns; without, they are ordered after all earlier commits and
     * survive a crash of the process, but may be lost with power.
     */
    void commit(Batch batch, boolean sync);

    /** Makes everything committed so far durable. */
    void sync();

    /** Visits keys in [from, to) in order until the visitor returns false. */
    void scan(byte[] from, byte[] to, Visitor visitor);

    /** Whether inode {@code ino} has any record of {@code kind} (a {@link Keys} kind with an inode prefix). */
    default boolean anyOf(byte kind, long ino) {
        return any(Keys.first(kind, ino), Keys.after(kind, ino));
    }

    /** Whether any key lies in [from, to). */
    default boolean any(byte[] from, byte[] to) {
        boolean[] found = {false};
        scan(from, to, (k, v) -> {
            found[0] = true;
            return false;
        });
        return found[0];
    }

    /**
     * Where the store keeps its files, and about how many bytes they take there (the files, and
     * what is logged but not yet in one): small files' bytes live here, so the volume's used space
     * counts them.
     */
    Path location();

    long diskBytes();

    @Override
    void close();

    interface Batch extends AutoCloseable {
        void put(byte[] key, byte[] value);

        void delete(byte[] key);

        int size();

        @Override
        void close();
    }

    @FunctionalInterface
    interface Visitor {
        boolean visit(byte[] key, byte[] value);
    }
}
