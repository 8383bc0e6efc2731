package io.tierfs.block;

import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.tier.HotTier;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The block map of one open file, cached in pages of 1024 references loaded from the metadata store
 * on first touch. The first {@value #DIRECT_PAGES} pages (512 GiB of file at 128 KiB blocks) sit in
 * an array: lookups there take no lock and allocate nothing. Pages further out, in the rare huge
 * sparse file, sit in a map, so a read far into a hole costs one page, not an array up to it.
 * Changes come under the owner's lock.
 */
final class BlockTable {
    private static final int PAGE_BITS = 10;
    private static final int PAGE_SIZE = 1 << PAGE_BITS;
    private static final int DIRECT_PAGES = 4096;

    private final MetadataStore meta;
    /** Marks the refs of blocks it holds a copy of as hot when a page loads; null without a hot tier. */
    private final HotTier hot;
    private final long ino;
    private volatile AtomicReferenceArray<BlockRef>[] pages;
    private final ConcurrentHashMap<Long, AtomicReferenceArray<BlockRef>> farPages = new ConcurrentHashMap<>();

    @SuppressWarnings("unchecked")
    BlockTable(MetadataStore meta, HotTier hot, long ino) {
        this.meta = meta;
        this.hot = hot;
        this.ino = ino;
        this.pages = new AtomicReferenceArray[0];
    }

    BlockRef get(long index) {
        return page(index >>> PAGE_BITS).get((int) (index & (PAGE_SIZE - 1)));
    }

    void set(long index, BlockRef ref) {
        page(index >>> PAGE_BITS).set((int) (index & (PAGE_SIZE - 1)), ref);
    }

    private AtomicReferenceArray<BlockRef> page(long p) {
        AtomicReferenceArray<BlockRef> page;
        if (p < DIRECT_PAGES) {
            AtomicReferenceArray<BlockRef>[] snapshot = pages;
            page = p < snapshot.length ? snapshot[(int) p] : null;
        } else {
            page = farPages.get(p);
        }
        return page != null ? page : load(p);
    }

    /** Forgets every reference from {@code index} on (the store was changed by the caller). */
    synchronized void clearFrom(long index) {
        AtomicReferenceArray<BlockRef>[] snapshot = pages;
        for (int p = (int) Math.min(index >>> PAGE_BITS, snapshot.length); p < snapshot.length; p++) {
            clearPage(snapshot[p], (long) p << PAGE_BITS, index);
        }
        farPages.forEach((p, page) -> clearPage(page, p << PAGE_BITS, index));
    }

    private static void clearPage(AtomicReferenceArray<BlockRef> page, long base, long from) {
        if (page == null) {
            return;
        }
        for (int i = 0; i < PAGE_SIZE; i++) {
            if (base + i >= from) {
                page.set(i, null);
            }
        }
    }

    private synchronized AtomicReferenceArray<BlockRef> load(long p) {
        if (p < DIRECT_PAGES ? p < pages.length && pages[(int) p] != null : farPages.containsKey(p)) {
            return p < DIRECT_PAGES ? pages[(int) p] : farPages.get(p);
        }
        AtomicReferenceArray<BlockRef> page = new AtomicReferenceArray<>(PAGE_SIZE);
        long base = p << PAGE_BITS;
        meta.scan(Keys.block(ino, base), Keys.block(ino, base + PAGE_SIZE), (k, v) -> {
            long index = Keys.blockIndexOf(k);
            BlockRef ref = BlockRef.decode(v);
            page.set((int) (index - base), hot != null && hot.holds(ino, index) ? ref.withHot(true) : ref);
            return true;
        });
        if (p >= DIRECT_PAGES) {
            farPages.put(p, page);
            return page;
        }
        int i = (int) p;
        AtomicReferenceArray<BlockRef>[] grown = i < pages.length ? pages.clone() : Arrays.copyOf(pages, i + 1);
        grown[i] = page;
        pages = grown;
        return page;
    }
}
