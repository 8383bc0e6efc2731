package io.tierfs.placement;

/**
 * An open-addressing map from a {@code long} key to an {@code int} id, holding only the ids: the
 * caller keeps each id's key in its own {@code long[]} (a node table, a list of distinct keys) and
 * passes that array in, so the index costs 4 bytes a slot and allocates nothing per entry. Linear
 * probing, at most half full, deletion by shifting back (no tombstones to slow later probes).
 */
final class KeyIndex {
    static final int ABSENT = -1;

    /** id + 1 per slot; 0 is empty. */
    private int[] slots;
    private int mask;
    private int size;

    KeyIndex(int expected) {
        int capacity = Math.max(16, Integer.highestOneBit(Math.max(1, expected) - 1 | 1) << 2);
        slots = new int[capacity];
        mask = capacity - 1;
    }

    int size() {
        return size;
    }

    /** The slots held: 4 bytes each. */
    int capacity() {
        return slots.length;
    }

    /** The id of {@code key}, or {@link #ABSENT}. */
    int get(long key, long[] keys) {
        for (int i = slotOf(key); ; i = (i + 1) & mask) {
            int id = slots[i] - 1;
            if (id < 0 || keys[id] == key) {
                return id;
            }
        }
    }

    /** Maps {@code keys[id]} to {@code id}; the key must not be mapped yet. */
    void put(int id, long[] keys) {
        if (size + 1 > slots.length >>> 1) {
            grow(keys);
        }
        insert(id, keys);
        size++;
    }

    private void insert(int id, long[] keys) {
        int i = slotOf(keys[id]);
        while (slots[i] != 0) {
            i = (i + 1) & mask;
        }
        slots[i] = id + 1;
    }

    /** Unmaps {@code key}; returns its id, or {@link #ABSENT}. */
    int remove(long key, long[] keys) {
        int i = slotOf(key);
        while (true) {
            int id = slots[i] - 1;
            if (id < 0) {
                return ABSENT;
            }
            if (keys[id] == key) {
                break;
            }
            i = (i + 1) & mask;
        }
        int removed = slots[i] - 1;
        // Shift back every later entry of the run that could have sat in the freed slot.
        int hole = i;
        for (int j = (i + 1) & mask; slots[j] != 0; j = (j + 1) & mask) {
            int home = slotOf(keys[slots[j] - 1]);
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                slots[hole] = slots[j];
                hole = j;
            }
        }
        slots[hole] = 0;
        size--;
        return removed;
    }

    void clear() {
        java.util.Arrays.fill(slots, 0);
        size = 0;
    }

    /** Makes room for {@code expected} entries now, so no later put rehashes. */
    void ensureCapacity(int expected, long[] keys) {
        while (expected > slots.length >>> 1) {
            grow(keys);
        }
    }

    private void grow(long[] keys) {
        int[] old = slots;
        slots = new int[old.length * 2];
        mask = slots.length - 1;
        for (int s : old) {
            if (s != 0) {
                insert(s - 1, keys);
            }
        }
    }

    private int slotOf(long key) {
        return (int) FrequencySketch.mix(key) & mask;
    }
}
