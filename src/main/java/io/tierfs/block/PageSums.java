package io.tierfs.block;

import io.tierfs.nativeio.Memory;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The checksums of sealed raw blocks ({@link BlockRef#pageSums}): a CRC32C per 4 KiB page,
 * computed over native memory through a direct buffer view, where the JDK's CRC32C runs as a
 * CPU instruction. One per thread ({@link #local}): a FUSE worker keeps its view of its reply
 * buffer and its scratch page, so a verified read allocates nothing.
 */
final class PageSums {
    private static final int UNIT = BlockRef.SUM_UNIT;
    private static final ThreadLocal<PageSums> LOCAL = ThreadLocal.withInitial(PageSums::new);

    private final CRC32C crc = new CRC32C();
    /** A view of the native memory last summed, kept while the next falls inside it. */
    private ByteBuffer view;
    private long viewBase;
    /** One page, for the pages a read covers only in part: they are verified whole. */
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(UNIT);
    private final long scratchAddress = Memory.IO.getDirectBufferAddress(scratch);

    static PageSums local() {
        return LOCAL.get();
    }

    /** The CRC32C of {@code length} bytes at {@code address}. */
    int sum(long address, int length) {
        if (view == null || address < viewBase || address + length > viewBase + view.capacity()) {
            // a worker's reply buffer, or a mover's block: one view each, made on first use
            viewBase = address;
            view = Memory.IO.newDirectByteBuffer(address, Math.max(length, 1 << 20));
        }
        int from = (int) (address - viewBase);
        view.limit(from + length).position(from);
        crc.reset();
        crc.update(view);
        return (int) crc.getValue();
    }

    /** The page sums of the {@code length} stored bytes of a block at {@code address}. */
    int[] of(long address, int length) {
        int[] sums = new int[BlockRef.pages(length)];
        for (int p = 0; p < sums.length; p++) {
            sums[p] = sum(address + (long) p * UNIT, Math.min(UNIT, length - p * UNIT));
        }
        return sums;
    }

    /** Where a page read whole for verification is kept. */
    long scratch() {
        return scratchAddress;
    }

    /** The CRC32C of the first {@code length} bytes of {@link #scratch}. */
    int sumScratch(int length) {
        return sum(scratch, length);
    }

    /** The CRC32C of the first {@code length} bytes of a direct buffer the caller owns. */
    int sum(ByteBuffer buffer, int length) {
        buffer.clear().limit(length);
        crc.reset();
        crc.update(buffer);
        return (int) crc.getValue();
    }
}
