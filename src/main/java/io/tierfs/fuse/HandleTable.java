package io.tierfs.fuse;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * File handles: the {@code fh} the kernel hands back with each request is a slot number here, so
 * finding the open file on every read and write is an array load, with no boxing and no lock.
 */
final class HandleTable<T> {
    private volatile AtomicReferenceArray<T> slots = new AtomicReferenceArray<>(64);
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private int next = 1;

    synchronized long add(T value) {
        Integer reused = free.poll();
        int slot = reused != null ? reused : next++;
        if (slot >= slots.length()) {
            AtomicReferenceArray<T> grown = new AtomicReferenceArray<>(slots.length() * 2);
            for (int i = 0; i < slots.length(); i++) {
                grown.set(i, slots.get(i));
            }
            slots = grown;
        }
        slots.set(slot, value);
        return slot;
    }

    T get(long fh) {
        AtomicReferenceArray<T> s = slots;
        return fh > 0 && fh < s.length() ? s.get((int) fh) : null;
    }

    synchronized T remove(long fh) {
        T value = get(fh);
        if (value != null) {
            slots.set((int) fh, null);
            free.push((int) fh);
        }
        return value;
    }
}
