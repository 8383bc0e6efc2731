package io.tierfs.block;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Lets a block move wait for the reads and writes that might still use the block's old place,
 * without a lock on the data path. Every read and write enters an epoch and leaves it; {@link
 * #synchronize} starts a new epoch and waits until every operation that entered the old one has
 * left it. Operations that enter afterwards see whatever the caller published before calling it
 * (a move's ticket, a block map switched to the new place), so once it returns the old place can
 * be given up.
 *
 * <p>Counters are striped by thread and padded to their own cache lines, so the FUSE workers do
 * not share one; an operation costs two atomic increments on its own stripe.
 */
public final class Epochs {
    private static final int STRIPES = 16;
    /** longs between two counters: 128 bytes, two cache lines. */
    private static final int PAD = 16;

    private final AtomicLongArray counts = new AtomicLongArray(2 * STRIPES * PAD);
    private volatile int epoch;

    /** Enters the current epoch; pass the result to {@link #exit}. */
    public int enter() {
        int stripe = stripe();
        while (true) {
            int e = epoch;
            int slot = (e * STRIPES + stripe) * PAD;
            counts.incrementAndGet(slot);
            if (epoch == e) {
                return slot;
            }
            // a synchronize began between the read and the increment, and may have looked at this
            // counter already: count this operation in the new epoch instead
            counts.decrementAndGet(slot);
        }
    }

    public void exit(int slot) {
        counts.decrementAndGet(slot);
    }

    /** Waits until every operation that entered before this call has exited. One caller at a time. */
    public synchronized void synchronize() {
        int old = epoch;
        epoch = old ^ 1;
        for (int s = 0; s < STRIPES; s++) {
            int slot = (old * STRIPES + s) * PAD;
            for (int spins = 0; counts.get(slot) != 0; spins++) {
                if (spins < 100) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }
    }

    @SuppressWarnings("deprecation") // Thread.threadId() is Java 19
    private static int stripe() {
        long id = Thread.currentThread().getId();
        return (int) ((id ^ (id >>> 7)) & (STRIPES - 1));
    }
}
