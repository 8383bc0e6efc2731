package io.tierfs.block;

import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.nativeio.Memory;
import java.util.Arrays;

/**
 * The bytes of a small file, kept in the metadata store (key {@code N ino}) instead of in a block on
 * a tier: a file that never held more than {@value #MAX} bytes costs no tier file, so creating,
 * writing and deleting it costs the tier's filesystem nothing (an ext4 create is most of what a
 * small file cost the daemon; see ARCHITECTURE.md "Small files"). While the key exists it is the
 * file's data, whatever block records the file has: a spill to a block that a crash cut short
 * leaves one, which recovery drops.
 *
 * <p>Readers take the array without a lock; each change replaces it under the owner's lock (copy
 * on write), so a reader sees one write or the next, never half of one. No move, seal, scrub or
 * compression ever sees these bytes: they are not a block.
 */
final class InlineData {
    /** One page: what the kernel's write-back sends for a file of up to a page, in one request. */
    static final int MAX = 4096;

    private final MetadataStore meta;
    private final byte[] key;
    /** The file's bytes from offset 0, or null when its data lives in blocks. */
    private volatile byte[] bytes;

    /** @param none the file is known to have no inline bytes: the store is not asked */
    InlineData(MetadataStore meta, long ino, boolean none) {
        this.meta = meta;
        this.key = Keys.inline(ino);
        this.bytes = none ? null : meta.get(key);
    }

    boolean active() {
        return bytes != null;
    }

    /** Whether a write of [offset, offset+length) keeps a file's data within {@link #MAX}. */
    static boolean fits(long offset, int length) {
        return offset + length <= MAX;
    }

    int length() {
        byte[] b = bytes;
        return b == null ? 0 : b.length;
    }

    /** Reads [offset, offset+length) into native memory, zeros past the bytes held; false if the file has none. */
    boolean read(long offset, long address, int length) {
        byte[] b = bytes;
        if (b == null) {
            return false;
        }
        int n = (int) Math.max(0, Math.min(length, b.length - offset));
        if (n > 0) {
            Memory.IO.putByteArray(address, b, (int) offset, n);
        }
        if (n < length) {
            Memory.IO.setMemory(address + n, length - n, (byte) 0);
        }
        return true;
    }

    /** Writes native memory at {@code offset} (unsynced); a gap before it reads as zeros. Call holding the owner. */
    void write(long offset, long address, int length) {
        byte[] b = bytes == null ? new byte[0] : bytes;
        byte[] next = Arrays.copyOf(b, (int) Math.max(b.length, offset + length));
        Memory.IO.getByteArray(address, next, (int) offset, length);
        store(next);
    }

    /** Zeroes [from, to) of the bytes held. Call holding the owner. */
    void zero(long from, long to) {
        byte[] b = bytes;
        if (b == null || from >= b.length) {
            return;
        }
        byte[] next = b.clone();
        Arrays.fill(next, (int) from, (int) Math.min(to, b.length), (byte) 0);
        store(next);
    }

    /**
     * Keeps the first {@code size} bytes, in {@code batch} (the caller's commit of the new size); at
     * size 0 the file has no inline bytes any more. Whether it has none now. Call holding the owner.
     */
    boolean truncate(long size, MetadataStore.Batch batch) {
        byte[] b = bytes;
        if (b == null) {
            return false;
        }
        if (size == 0) {
            batch.delete(key);
            bytes = null;
            return true;
        }
        if (size < b.length) {
            byte[] next = Arrays.copyOf(b, (int) size);
            batch.put(key, next);
            bytes = next;
        }
        return false;
    }

    /** The bytes to spill into a block, or null. */
    byte[] snapshot() {
        return bytes;
    }

    /** Forgets the bytes (unsynced): the file's data lives in blocks from now on. Call holding the owner. */
    void drop() {
        try (MetadataStore.Batch b = meta.newBatch()) {
            b.delete(key);
            meta.commit(b, false);
        }
        bytes = null;
    }

    private void store(byte[] next) {
        try (MetadataStore.Batch b = meta.newBatch()) {
            b.put(key, next);
            meta.commit(b, false);
        }
        bytes = next;
    }
}
