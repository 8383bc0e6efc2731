package io.tierfs.placement;

/**
 * Belady's optimal cache: it knows the future and, when full, drops the block used again last
 * (or never). The new block competes too: one not needed before every cached block is not kept.
 * That makes it an upper bound on any policy's hit ratio for the same size, and a stack algorithm
 * (a larger cache holds all a smaller one does), so tier figures can be taken as differences.
 *
 * <p>Works on a trace of dense ids ({@code 0..distinct-1}): {@link #nextUses} computes, in one
 * backward pass, where each access's id comes next. The cached ids sit in an indexed max-heap by
 * next use; an id's position in it is kept, so a hit updates its priority in O(log capacity).
 */
public final class BeladyOpt {
    private BeladyOpt() {
    }

    /** For each position, the position of the next access to the same id, or {@code trace.length} if none. */
    public static int[] nextUses(int[] trace, int length, int distinct) {
        int[] next = new int[length];
        int[] seenAt = new int[distinct];
        java.util.Arrays.fill(seenAt, length);
        for (int t = length - 1; t >= 0; t--) {
            next[t] = seenAt[trace[t]];
            seenAt[trace[t]] = t;
        }
        return next;
    }

    /** The hits of an optimal cache of {@code capacity} over {@code trace[0..length)}. */
    public static long hits(int[] trace, int length, int[] nextUses, int distinct, long capacity) {
        if (capacity <= 0) {
            return 0;
        }
        int size = (int) Math.min(capacity, distinct);
        // heap[i] = id; priority = when that id is next used; position[id] = its slot + 1 (0: not cached)
        int[] heap = new int[size];
        long[] due = new long[distinct];
        int[] position = new int[distinct];
        int count = 0;
        long hits = 0;
        for (int t = 0; t < length; t++) {
            int id = trace[t];
            // Never used again: due past every real use, ties broken by id so each is distinct.
            long nextUse = nextUses[t] < length ? nextUses[t] : (long) length + id;
            if (position[id] != 0) {
                hits++;
                due[id] = nextUse;
                reposition(heap, count, position[id] - 1, due, position);
            } else if (count < size) {
                due[id] = nextUse;
                heap[count] = id;
                position[id] = count + 1;
                siftUp(heap, count++, due, position);
            } else if (nextUse < due[heap[0]]) {
                position[heap[0]] = 0;
                due[id] = nextUse;
                heap[0] = id;
                position[id] = 1;
                reposition(heap, count, 0, due, position);
            }
        }
        return hits;
    }

    private static void siftUp(int[] heap, int i, long[] due, int[] position) {
        int id = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (due[heap[parent]] >= due[id]) {
                break;
            }
            heap[i] = heap[parent];
            position[heap[i]] = i + 1;
            i = parent;
        }
        heap[i] = id;
        position[id] = i + 1;
    }

    /** Restores the heap after {@code heap[i]}'s next use changed: up if now later than its parent's, else down. */
    private static void reposition(int[] heap, int count, int i, long[] due, int[] position) {
        int id = heap[i];
        if (i > 0 && due[heap[(i - 1) >>> 1]] < due[id]) {
            siftUp(heap, i, due, position);
            return;
        }
        while (true) {
            int child = 2 * i + 1;
            if (child >= count) {
                break;
            }
            if (child + 1 < count && due[heap[child + 1]] > due[heap[child]]) {
                child++;
            }
            if (due[heap[child]] <= due[id]) {
                break;
            }
            heap[i] = heap[child];
            position[heap[i]] = i + 1;
            i = child;
        }
        heap[i] = id;
        position[id] = i + 1;
    }
}
