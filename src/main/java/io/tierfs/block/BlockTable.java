package io.tierfs.block;

import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The block map of one open file, cached in pages of 1024 references loaded from the metadata store
 * on first touch. Lookups take no lock and allocate nothing; changes come under the owner's lock.
 */
final class BlockTable {
    private static final int PAGE_BITS = 10;
    private static final int PAGE_SIZE = 1 << PAGE_BITS;

    private final MetadataStore meta;
    private final long ino;
    private volatile AtomicReferenceArray<BlockRef>[] pages;

    @SuppressWarnings("unchecked")
    BlockTable(MetadataStore meta, long ino) {
        this.meta = meta;
        this.ino = ino;
        this.pages = new AtomicReferenceArray[0];
    }

    BlockRef get(long index) {
        int p = (int) (index >>> PAGE_BITS);
        AtomicReferenceArray<BlockRef>[] snapshot = pages;
        AtomicReferenceArray<BlockRef> page = p < snapshot.length ? snapshot[p] : null;
        if (page == null) {
            page = load(p);
        }
        return page.get((int) (index & (PAGE_SIZE - 1)));
    }

    void set(long index, BlockRef ref) {
        get(index);
        pages[(int) (index >>> PAGE_BITS)].set((int) (index & (PAGE_SIZE - 1)), ref);
    }

    /** Forgets every reference from {@code index} on (the store was changed by the caller). */
    synchronized void clearFrom(long index) {
        AtomicReferenceArray<BlockRef>[] snapshot = pages;
        for (int p = (int) (index >>> PAGE_BITS); p < snapshot.length; p++) {
            AtomicReferenceArray<BlockRef> page = snapshot[p];
            if (page == null) {
                continue;
            }
            long base = (long) p << PAGE_BITS;
            for (int i = 0; i < PAGE_SIZE; i++) {
                if (base + i >= index) {
                    page.set(i, null);
                }
            }
        }
    }

    private synchronized AtomicReferenceArray<BlockRef> load(int p) {
        if (p < pages.length && pages[p] != null) {
            return pages[p];
        }
        AtomicReferenceArray<BlockRef> page = new AtomicReferenceArray<>(PAGE_SIZE);
        long base = (long) p << PAGE_BITS;
        meta.scan(Keys.block(ino, base), Keys.block(ino, base + PAGE_SIZE), (k, v) -> {
            page.set((int) (Keys.blockIndexOf(k) - base), BlockRef.decode(v));
            return true;
        });
        AtomicReferenceArray<BlockRef>[] grown = p < pages.length ? pages.clone() : Arrays.copyOf(pages, p + 1);
        grown[p] = page;
        pages = grown;
        return page;
    }
}
