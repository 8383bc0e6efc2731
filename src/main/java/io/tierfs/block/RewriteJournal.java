package io.tierfs.block;

import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The value of a {@code W} record (see {@link io.tierfs.meta.Keys#rewrite}): a compressed block
 * being rewritten raw in place, as the generation of the raw record committed with it, then the
 * raw bytes. Recovery writes them into the slot only if the block's record is still that one: an
 * entry a failure left behind must never overwrite what the block became since.
 */
public final class RewriteJournal {
    private static final int HEADER = 8;

    private RewriteJournal() {
    }

    static byte[] entry(long generation, ByteBuffer raw, int length) {
        byte[] v = new byte[HEADER + length];
        ByteBuffer.wrap(v).putLong(generation);
        raw.get(0, v, HEADER, length);
        return v;
    }

    /** Whether {@code entry} is still to be written over the block that {@code record} now names. */
    public static boolean applies(byte[] entry, BlockRef record) {
        return record != null && !record.compressed() && ByteBuffer.wrap(entry).getLong() == record.generation();
    }

    /**
     * Adds to {@code batch} the removal of {@code ino}'s entries for blocks {@code from} to {@code
     * to} (exclusive; {@code Long.MAX_VALUE}: to the end), dropped with their block records: a
     * block made again there later starts its generations again, and an entry a failure left
     * behind must not find one of them equal to its own and be replayed over it.
     */
    public static void dropEntries(MetadataStore meta, MetadataStore.Batch batch, long ino, long from, long to) {
        meta.scan(Keys.rewrite(ino, from), to == Long.MAX_VALUE ? Keys.after(Keys.REWRITE, ino) : Keys.rewrite(ino, to),
            (k, v) -> {
                batch.delete(k);
                return true;
            });
    }

    /** The raw bytes of {@code entry}. */
    public static byte[] raw(byte[] entry) {
        return Arrays.copyOfRange(entry, HEADER, entry.length);
    }
}
