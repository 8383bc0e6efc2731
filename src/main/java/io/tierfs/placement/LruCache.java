package io.tierfs.placement;

/** An exact LRU cache of keys: the reference {@code tierfs simulate} sets beside the policy. */
public final class LruCache {
    private static final int LIST = 0;

    private final long capacity;
    private final NodeTable nodes;
    private final KeyIndex index;

    public LruCache(long capacity) {
        if (capacity < 0 || capacity > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("capacity out of range: " + capacity);
        }
        this.capacity = capacity;
        nodes = new NodeTable(1, (int) capacity + 1);
        index = new KeyIndex((int) capacity + 1);
    }

    /** Whether {@code key} is cached. */
    boolean contains(long key) {
        return index.get(key, nodes.keys) != KeyIndex.ABSENT;
    }

    /** Accesses {@code key}; returns whether it was cached (a hit). */
    public boolean access(long key) {
        int n = index.get(key, nodes.keys);
        if (n != KeyIndex.ABSENT) {
            nodes.moveToEnd(n);
            return true;
        }
        n = nodes.allocate(key);
        index.put(n, nodes.keys);
        nodes.append(LIST, n);
        if (nodes.used() > capacity) {
            int lru = nodes.head(LIST);
            nodes.unlink(lru);
            index.remove(nodes.keys[lru], nodes.keys);
            nodes.free(lru);
        }
        return false;
    }
}
