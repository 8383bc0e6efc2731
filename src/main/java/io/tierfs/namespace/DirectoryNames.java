package io.tierfs.namespace;

import java.util.Arrays;
import java.util.HashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every name of each directory made by this mount, while the kernel holds the directory: the
 * lookup the kernel sends before each create, mkdir and rename (of a name that is not there yet),
 * and the namespace's own checks of the names it changes, are answered from memory instead of a
 * metadata-store read (an unpack, a build or a package install makes its files in directories it
 * has just made). Only a directory known complete since its birth is held: one made before the
 * mount would need all its names read first.
 *
 * <p>Correct because every change of a directory's names goes through {@link Namespace} under its
 * tree lock, which tells this after its commit. A directory leaves when the kernel forgets it or
 * when it is removed, and never comes back (inode numbers are not reused); one that would take the
 * names held past {@link #BUDGET} leaves too, and its names are asked of the store from then on.
 */
final class DirectoryNames {
    /** Names held in all, about 100 bytes of heap each. */
    static final long BUDGET = 1 << 18;
    /** {@link #find}'s answer for a directory whose names are not held. */
    static final long UNKNOWN = -1;

    private final ConcurrentHashMap<Long, Names> dirs = new ConcurrentHashMap<>();
    private final AtomicLong held = new AtomicLong();
    private final long budget;

    DirectoryNames() {
        this(BUDGET);
    }

    DirectoryNames(long budget) {
        this.budget = budget;
    }

    /** A directory just made, with no name in it. */
    void born(long dir) {
        dirs.put(dir, new Names());
    }

    /** The inode {@code name} in {@code dir} names, 0 if none, or {@link #UNKNOWN}. */
    long find(long dir, byte[] name) {
        Names n = dirs.get(dir);
        return n == null ? UNKNOWN : n.find(new Name(name));
    }

    /** Whether {@code dir} has no name, if its names are held; null if not. */
    Boolean isEmpty(long dir) {
        Names n = dirs.get(dir);
        return n == null ? null : n.isEmpty();
    }

    /** After a commit that gave {@code dir} the name (or pointed the name at another inode). */
    void added(long dir, byte[] name, long ino) {
        Names n = dirs.get(dir);
        if (n != null && !n.add(new Name(name), ino)) {
            forget(dir); // over the budget: the store answers for this directory from now on
        }
    }

    /** After a commit that took the name out of {@code dir}. */
    void removed(long dir, byte[] name) {
        Names n = dirs.get(dir);
        if (n != null) {
            n.remove(new Name(name));
        }
    }

    /** The directory left memory or was removed: its names are no longer held. */
    void forget(long dir) {
        Names n = dirs.remove(dir);
        if (n != null) {
            n.drop();
        }
    }

    long held() {
        return held.get();
    }

    /**
     * One directory's names. Changed under the namespace's tree lock, but also dropped by an
     * eviction that does not hold it: its own monitor keeps the count of names held exact.
     */
    private final class Names {
        private final HashMap<Name, Long> byName = new HashMap<>();
        private boolean dropped;

        synchronized long find(Name name) {
            Long ino = byName.get(name);
            return ino == null ? 0 : ino;
        }

        synchronized boolean isEmpty() {
            return byName.isEmpty();
        }

        /** @return false if the name would take the names held past the budget (nothing added) */
        synchronized boolean add(Name name, long ino) {
            if (dropped) {
                return true;
            }
            if (!byName.containsKey(name) && held.incrementAndGet() > budget) {
                held.decrementAndGet();
                return false;
            }
            byName.put(name, ino);
            return true;
        }

        synchronized void remove(Name name) {
            if (!dropped && byName.remove(name) != null) {
                held.decrementAndGet();
            }
        }

        synchronized void drop() {
            if (!dropped) {
                dropped = true;
                held.addAndGet(-byName.size());
                byName.clear();
            }
        }
    }

    /** A name as a map key: bytes compared by value. */
    private static final class Name {
        private final byte[] bytes;
        private final int hash;

        Name(byte[] bytes) {
            this.bytes = bytes;
            this.hash = Arrays.hashCode(bytes);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Name other && other.hash == hash && Arrays.equals(other.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
