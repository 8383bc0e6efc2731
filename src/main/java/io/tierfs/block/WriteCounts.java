package io.tierfs.block;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The writes begun and ended on a file's blocks, counted per stripe of block indexes (a block's
 * stripe is its index modulo {@link #STRIPES}). Without a lock they answer two questions: may
 * another write be under way on a block, and has any write begun on it since a moment. Blocks of
 * one stripe share their counts, so both answers err towards yes, which is the safe side of each.
 */
final class WriteCounts {
    private static final int STRIPES = 16;
    /** Counters a cache line apart, so that writers of neighbouring blocks do not share one. */
    private static final int SPACING = 8;

    private final AtomicLongArray begun = new AtomicLongArray(STRIPES * SPACING);
    private final AtomicLongArray ended = new AtomicLongArray(STRIPES * SPACING);

    /** A write to blocks {@code first..last} begins. */
    void begin(long first, long last) {
        for (long i = first, end = Math.min(last, first + STRIPES - 1); i <= end; i++) {
            begun.incrementAndGet(slot(i));
        }
    }

    /** The write to blocks {@code first..last} is over, its bytes wherever they go. */
    void end(long first, long last) {
        for (long i = first, end = Math.min(last, first + STRIPES - 1); i <= end; i++) {
            ended.incrementAndGet(slot(i));
        }
    }

    /** Whether a write besides the caller's own (which has begun) may be under way on block {@code index}. */
    boolean othersUnderWay(long index) {
        int s = slot(index);
        long done = ended.get(s); // first: a write ending meanwhile then still counts, never the reverse
        return begun.get(s) - done > 1;
    }

    /** The count of writes to block {@code index} so far, or -1 while one is under way. */
    long stamp(long index) {
        int s = slot(index);
        long done = ended.get(s);
        return begun.get(s) == done ? done : -1;
    }

    /** Whether no write to block {@code index} began since {@link #stamp} gave {@code stamp}. */
    boolean unwrittenSince(long index, long stamp) {
        return stamp >= 0 && begun.get(slot(index)) == stamp;
    }

    private static int slot(long index) {
        return (int) (index & (STRIPES - 1)) * SPACING;
    }
}
