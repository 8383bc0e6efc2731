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
 *
 * <p>Beside each reference, the {@link Seals#tick} of the block's last write, for the sealer,
 * which seals only blocks left alone for a while: a plain store per write, no lock. A page
 * loaded takes the file's last write before its table was dropped as every block's.
 */
final class BlockTable {
    private static final int PAGE_BITS = 10;
    private static final int PAGE_SIZE = 1 << PAGE_BITS;
    private static final int DIRECT_PAGES = 4096;

    private final MetadataStore meta;
    /** Marks the refs of blocks it holds a copy of as hot when a page loads; null without a hot tier. */
    private final HotTier hot;
    private final long ino;
    private final int loadedWriteTick;
    /** The file had no block record when the table opened: pages start empty, nothing is loaded. */
    private final boolean empty;
    private volatile Page[] pages;
    private final ConcurrentHashMap<Long, Page> farPages = new ConcurrentHashMap<>();

    /** 1024 references, and the tick of each one's last write. */
    private static final class Page extends AtomicReferenceArray<BlockRef> {
        private static final long serialVersionUID = 1L;
        final int[] written = new int[PAGE_SIZE];

        Page(int loadedWriteTick) {
            super(PAGE_SIZE);
            Arrays.fill(written, loadedWriteTick);
        }
    }

    /**
     * @param loadedWriteTick the tick of the file's last write before this table, for every block loaded
     * @param empty the file has no block record yet: every record it gets is set here, none is loaded
     */
    BlockTable(MetadataStore meta, HotTier hot, long ino, int loadedWriteTick, boolean empty) {
        this.meta = meta;
        this.hot = hot;
        this.ino = ino;
        this.loadedWriteTick = loadedWriteTick;
        this.empty = empty;
        this.pages = new Page[0];
    }

    BlockRef get(long index) {
        return page(index >>> PAGE_BITS).get((int) (index & (PAGE_SIZE - 1)));
    }

    void set(long index, BlockRef ref) {
        page(index >>> PAGE_BITS).set((int) (index & (PAGE_SIZE - 1)), ref);
    }

    /** Block {@code index} was written at {@code tick}. */
    void written(long index, int tick) {
        page(index >>> PAGE_BITS).written[(int) (index & (PAGE_SIZE - 1))] = tick;
    }

    /** The tick of block {@code index}'s last write. */
    int lastWrite(long index) {
        return page(index >>> PAGE_BITS).written[(int) (index & (PAGE_SIZE - 1))];
    }

    private Page page(long p) {
        Page page;
        if (p < DIRECT_PAGES) {
            Page[] snapshot = pages;
            page = p < snapshot.length ? snapshot[(int) p] : null;
        } else {
            page = farPages.get(p);
        }
        return page != null ? page : load(p);
    }

    /** Forgets every reference from {@code index} on (the store was changed by the caller). */
    synchronized void clearFrom(long index) {
        Page[] snapshot = pages;
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

    private synchronized Page load(long p) {
        if (p < DIRECT_PAGES ? p < pages.length && pages[(int) p] != null : farPages.containsKey(p)) {
            return p < DIRECT_PAGES ? pages[(int) p] : farPages.get(p);
        }
        Page page = new Page(loadedWriteTick);
        long base = p << PAGE_BITS;
        if (!empty) {
            loadRecords(page, base);
        }
        if (p >= DIRECT_PAGES) {
            farPages.put(p, page);
            return page;
        }
        int i = (int) p;
        Page[] grown = i < pages.length ? pages.clone() : Arrays.copyOf(pages, i + 1);
        grown[i] = page;
        pages = grown;
        return page;
    }

    private void loadRecords(Page page, long base) {
        meta.scan(Keys.block(ino, base), Keys.block(ino, base + PAGE_SIZE), (k, v) -> {
            long index = Keys.blockIndexOf(k);
            BlockRef ref = BlockRef.decode(v);
            page.set((int) (index - base), hot != null && hot.holds(ino, index) ? ref.withHot(true) : ref);
            return true;
        });
    }
}
