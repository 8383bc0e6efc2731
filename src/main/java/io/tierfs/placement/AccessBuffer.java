package io.tierfs.placement;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongConsumer;

/**
 * Hands block accesses from the FUSE workers to the one thread that drives the {@link TierPolicy}.
 * A worker must never wait for placement, so the buffer is lossy: when full it drops the access
 * and counts it (placement learns from the accesses it does see; losing a few under load shifts
 * frequencies a little, blocking a read would cost far more). Producers take no lock and allocate
 * nothing: each thread offers into one of several rings (by its thread id, so workers rarely share
 * one), claims a slot with one compare-and-set and publishes the key with a release store. The
 * consumer empties each ring in order.
 *
 * <p>Keys must not be {@link #EMPTY} ({@link BlockKeys} never makes it: it marks an untracked block).
 */
public final class AccessBuffer {
    /** Marks a slot claimed but not yet written, or already read. */
    static final long EMPTY = -1L;

    private final Ring[] rings;
    private final int ringMask;

    /**
     * @param stripes rings, rounded up to a power of two (about the number of producer threads)
     * @param slotsPerStripe accesses each ring holds, rounded up to a power of two
     */
    public AccessBuffer(int stripes, int slotsPerStripe) {
        if (stripes < 1 || slotsPerStripe < 1 || stripes > (1 << 16) || slotsPerStripe > (1 << 24)) {
            throw new IllegalArgumentException("stripes 1..65536 and slots 1..2^24");
        }
        rings = new Ring[ceilingPowerOfTwo(stripes)];
        for (int i = 0; i < rings.length; i++) {
            rings[i] = new Ring(ceilingPowerOfTwo(slotsPerStripe));
        }
        ringMask = rings.length - 1;
    }

    private static int ceilingPowerOfTwo(int n) {
        return n == 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }

    /** Records an access of {@code key}; returns false if it was dropped because its ring was full. */
    public boolean offer(long key) {
        @SuppressWarnings("deprecation") // Thread.threadId() is Java 19
        long id = Thread.currentThread().getId();
        return rings[(int) FrequencySketch.mix(id) & ringMask].offer(key);
    }

    /** Passes every published access to {@code consumer}; only one thread may drain. Returns how many. */
    public int drainTo(LongConsumer consumer) {
        int drained = 0;
        for (Ring ring : rings) {
            drained += ring.drainTo(consumer);
        }
        return drained;
    }

    /** Accesses dropped because their ring was full, since the buffer was made. */
    public long dropped() {
        long dropped = 0;
        for (Ring ring : rings) {
            dropped += ring.dropped.get();
        }
        return dropped;
    }

    /** The accesses the buffer holds when every ring is full. */
    public long capacity() {
        return (long) rings.length * rings[0].slots.length();
    }

    private static final class Ring {
        final AtomicLongArray slots;
        final int mask;
        /** Slots claimed by producers (the next write position). */
        final AtomicLong writes = new AtomicLong();
        /** Slots emptied by the consumer (the next read position). */
        final AtomicLong reads = new AtomicLong();
        final AtomicLong dropped = new AtomicLong();

        Ring(int size) {
            slots = new AtomicLongArray(size);
            mask = size - 1;
            for (int i = 0; i < size; i++) {
                slots.set(i, EMPTY);
            }
        }

        boolean offer(long key) {
            long head = reads.get();
            long tail = writes.get();
            while (true) {
                if (tail - head >= slots.length()) {
                    dropped.incrementAndGet();
                    return false;
                }
                long witness = writes.compareAndExchange(tail, tail + 1);
                if (witness == tail) {
                    break;
                }
                tail = witness;
                head = reads.get();
            }
            // The consumer emptied this slot before moving reads past it, so it is free to write.
            slots.setRelease((int) tail & mask, key);
            return true;
        }

        int drainTo(LongConsumer consumer) {
            long head = reads.get();
            long tail = writes.get();
            int drained = 0;
            for (; head < tail; head++) {
                int slot = (int) head & mask;
                long key = slots.getAcquire(slot);
                if (key == EMPTY) {
                    break; // claimed, not yet written: the next drain takes it
                }
                slots.setRelease(slot, EMPTY);
                consumer.accept(key);
                drained++;
            }
            reads.setRelease(head);
            return drained;
        }
    }
}
