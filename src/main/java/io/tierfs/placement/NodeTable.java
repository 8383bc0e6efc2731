package io.tierfs.placement;

import java.util.Arrays;

/**
 * The tracked blocks of every level as parallel primitive arrays, one slot ("node") per block, and
 * the doubly linked LRU lists that order them. No object per block: a node is 17 bytes (key 8,
 * links 4 + 4, list 1). Lists are circular with a sentinel node each, nodes {@code 0..lists-1}, so
 * linking needs no null checks; a list's head (next of its sentinel) is its least recently used
 * node. Free nodes are chained through {@code next}.
 */
final class NodeTable {
    static final int NONE = -1;
    private static final byte FREE = -1;

    long[] keys;
    private int[] prev;
    private int[] next;
    private byte[] listOf;
    private final int lists;
    private int freeHead = NONE;
    private int used;

    NodeTable(int lists, int capacity) {
        this.lists = lists;
        int length = lists + Math.max(1, capacity);
        keys = new long[length];
        prev = new int[length];
        next = new int[length];
        listOf = new byte[length];
        for (int s = 0; s < lists; s++) {
            prev[s] = s;
            next[s] = s;
            listOf[s] = (byte) s;
        }
        chainFree(lists, length);
    }

    /** Nodes a block may take before the table grows. */
    int capacity() {
        return keys.length - lists;
    }

    /** Nodes holding a block. */
    int used() {
        return used;
    }

    /** Grows to at least {@code capacity} nodes; existing nodes keep their numbers. */
    void ensureCapacity(int capacity) {
        int length = lists + capacity;
        if (length <= keys.length) {
            return;
        }
        int old = keys.length;
        keys = Arrays.copyOf(keys, length);
        prev = Arrays.copyOf(prev, length);
        next = Arrays.copyOf(next, length);
        listOf = Arrays.copyOf(listOf, length);
        chainFree(old, length);
    }

    private void chainFree(int from, int to) {
        for (int n = to - 1; n >= from; n--) {
            listOf[n] = FREE;
            next[n] = freeHead;
            freeHead = n;
        }
    }

    /** A free node holding {@code key}, in no list; grows the table when none is free. */
    int allocate(long key) {
        if (freeHead == NONE) {
            ensureCapacity(Math.max(16, capacity() * 2));
        }
        int n = freeHead;
        freeHead = next[n];
        keys[n] = key;
        listOf[n] = FREE;
        used++;
        return n;
    }

    /** Returns a node, already unlinked, to the free chain. */
    void free(int n) {
        listOf[n] = FREE;
        next[n] = freeHead;
        freeHead = n;
        used--;
    }

    /** The list {@code n} is in; negative if in none. */
    int listOf(int n) {
        return listOf[n];
    }

    /** The least recently used node of {@code list}, or {@link #NONE} if it is empty. */
    int head(int list) {
        int n = next[list];
        return n == list ? NONE : n;
    }

    /** The node after {@code n} towards the most recent end, or {@link #NONE} at the end. */
    int after(int n) {
        int a = next[n];
        return a < lists ? NONE : a;
    }

    /** The node before {@code n} towards the least recent end, or {@link #NONE} at the start. */
    int before(int n) {
        int b = prev[n];
        return b < lists ? NONE : b;
    }

    /** Appends {@code n}, in no list, as the most recent of {@code list}. */
    void append(int list, int n) {
        int last = prev[list];
        prev[n] = last;
        next[n] = list;
        next[last] = n;
        prev[list] = n;
        listOf[n] = (byte) list;
    }

    void unlink(int n) {
        int p = prev[n];
        int x = next[n];
        next[p] = x;
        prev[x] = p;
        listOf[n] = FREE;
    }

    /** Makes {@code n} the most recent of its own list. */
    void moveToEnd(int n) {
        int list = listOf[n];
        if (prev[list] != n) {
            unlink(n);
            append(list, n);
        }
    }
}
