package io.tierfs.namespace;

import io.tierfs.block.BlockRef;
import io.tierfs.block.BlockStore;
import io.tierfs.block.FileBlocks;
import io.tierfs.block.Monitors;
import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.NativeIOException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The inodes in use: loaded from the metadata store on demand and kept while the kernel holds a
 * reference (lookup count) or a file handle is open. An inode whose last name is gone lives on as
 * an orphan record until its last reference goes; then its records are deleted, and its orphan
 * record goes once the reclaimer has freed its data.
 */
public final class Inodes {
    public static final long ROOT = 1;
    private static final Logger LOG = Logger.getLogger(Inodes.class.getName());

    private final MetadataStore meta;
    private final BlockStore blocks;
    private final Reclaimer reclaimer;
    private final ConcurrentHashMap<Long, Inode> cache = new ConcurrentHashMap<>();
    private final DirectoryNames names = new DirectoryNames();
    /**
     * Inodes dropped from memory while some of their writes were not yet durable. A later fsync
     * must still make those durable, though it comes through a fresh block table.
     */
    private final Set<Long> evictedUnsynced = ConcurrentHashMap.newKeySet();
    /** Inodes dropped from memory after a sync of their data failed: the failure outlives the table. */
    private final Map<Long, NativeIOException> evictedSyncFailures = new ConcurrentHashMap<>();
    /**
     * Released inodes whose records are being deleted outside this object's lock: they must not be
     * loaded again meanwhile, and shutdown waits for them. Guarded by this.
     */
    private final Set<Long> dying = new HashSet<>();
    /** Set by shutdown: inodes released from then on are left to recovery. Guarded by this. */
    private boolean closing;
    private final AtomicLong nextIno;
    /**
     * Inode numbers below this are covered by the stored {@code next-inode} record, which is
     * written once per {@link #INO_RESERVATION} new inodes rather than with each. Guarded by this.
     */
    private long reservedIno;
    /** The reservation put in the batch of a create not yet committed, or 0. Guarded by this. */
    private long pendingReservation;
    /** Numbers reserved at a time: a restart skips at most this many, of 2^63. */
    static final long INO_RESERVATION = 1024;

    public Inodes(MetadataStore meta, BlockStore blocks) {
        this.meta = meta;
        this.blocks = blocks;
        this.reclaimer = new Reclaimer(meta, blocks);
        byte[] next = meta.get(Keys.NEXT_INODE);
        this.nextIno = new AtomicLong(next == null ? ROOT + 1 : ByteBuffer.wrap(next).getLong());
        this.reservedIno = nextIno.get();
    }

    public MetadataStore meta() {
        return meta;
    }

    /** The names of the directories made by this mount that the kernel holds. */
    DirectoryNames names() {
        return names;
    }

    /** Creates the root directory of a new volume. */
    public void format(int uid, int gid) {
        Inode root = new Inode(ROOT);
        long now = NanoClock.now();
        root.mode = FileMode.S_IFDIR | 0755;
        root.uid = uid;
        root.gid = gid;
        root.nlink = 2;
        root.parent = ROOT;
        root.atimeNanos = root.mtimeNanos = root.ctimeNanos = now;
        try (MetadataStore.Batch b = meta.newBatch()) {
            put(b, root); // no next-inode record: until one is stored, numbers start after the root
            meta.commit(b, true);
        }
    }

    /** The inode, loaded if need be; ENOENT if there is none. */
    public Inode get(long ino) {
        Inode i = cache.get(ino);
        return i != null ? i : load(ino);
    }

    private synchronized Inode load(long ino) {
        Inode i = cache.get(ino);
        if (i != null) {
            return i;
        }
        byte[] value = dying.contains(ino) ? null : meta.get(Keys.inode(ino));
        if (value == null) {
            throw new FsException(Errno.ENOENT, "no inode " + ino);
        }
        i = InodeCodec.decode(ino, value);
        cache.put(ino, i);
        return i;
    }

    /** A new inode with a fresh number; the caller commits it with {@link #put} and {@link #putNextIno}. */
    Inode allocate(int mode, int uid, int gid, long now) {
        Inode i = new Inode(nextIno.getAndIncrement());
        i.withoutBlocks = true;
        i.fresh = true;
        i.mayHaveXattrs = Boolean.FALSE; // until it inherits some (Xattrs#inherit)
        i.hasCapability = Boolean.FALSE;
        i.xattrListBytes = 0;
        i.mode = mode;
        i.uid = uid;
        i.gid = gid;
        i.atimeNanos = i.mtimeNanos = i.ctimeNanos = now;
        return i;
    }

    /** Makes a committed new inode known, with the one reference its creation reply gives the kernel. */
    synchronized void created(Inode i) {
        i.lookups = 1;
        cache.put(i.ino, i);
        reservationCommitted();
    }

    void put(MetadataStore.Batch batch, Inode i) {
        synchronized (i) {
            i.checkNotRetired();
            batch.put(Keys.inode(i.ino), InodeCodec.encode(i));
            i.attributesDirty = false;
        }
    }

    /**
     * Adds to the batch that commits a new inode the numbers it may use, when the numbers reserved
     * are used up: the stored record stays above every number handed out, so a crash never hands
     * one out twice. Call {@link #reservationCommitted} once the batch is committed.
     */
    synchronized void putNextIno(MetadataStore.Batch batch) {
        long next = nextIno.get();
        if (next > reservedIno) {
            pendingReservation = next - 1 + INO_RESERVATION;
            batch.put(Keys.NEXT_INODE, ByteBuffer.allocate(8).putLong(pendingReservation).array());
        }
    }

    /** The batch {@link #putNextIno} added to is committed (a failed one leaves the next create to reserve again). */
    private synchronized void reservationCommitted() {
        if (pendingReservation != 0) {
            reservedIno = pendingReservation;
            pendingReservation = 0;
        }
    }

    /** Commits the inode's record if the data path changed it. */
    public void persistIfDirty(Inode i, boolean sync) {
        boolean dirty;
        synchronized (i) {
            if (i.retired) {
                return; // the kernel's ctime for a deleted file: nothing of it is stored any more
            }
            dirty = i.attributesDirty;
        }
        if (dirty || sync) {
            try (MetadataStore.Batch b = meta.newBatch()) {
                if (dirty) {
                    put(b, i);
                }
                if (b.size() > 0) {
                    meta.commit(b, sync);
                } else {
                    meta.sync();
                }
            }
        }
    }

    /** The kernel took one more reference (a lookup reply). */
    public synchronized Inode acquire(long ino) {
        Inode i = get(ino);
        i.lookups++;
        return i;
    }

    public void forget(long ino, long n) {
        Inode dead = null;
        synchronized (this) {
            Inode i = cache.get(ino);
            if (i != null) {
                i.lookups -= n;
                dead = releaseIfUnused(i);
            }
        }
        deleteIfDead(dead);
    }

    /** A file handle opened: the inode stays loaded, with its block table, until the last close. */
    public synchronized FileBlocks open(Inode i) {
        synchronized (i) {
            i.checkNotRetired(); // an open by a path looked up before the unlink: as if after it
        }
        i.opens++;
        return blocksOf(i);
    }

    /** Whether a handle is open on the file: its release persists what changed meanwhile. */
    public synchronized boolean isOpen(Inode i) {
        return i.opens > 0;
    }

    public void close(Inode i) {
        Inode dead;
        synchronized (this) {
            i.opens--;
            dead = releaseIfUnused(i);
        }
        deleteIfDead(dead);
    }

    public synchronized FileBlocks blocksOf(Inode i) {
        if (i.blocks == null) {
            i.blocks = i.fresh ? blocks.openNew(i.ino, i::blocksAdded) : blocks.open(i.ino, i::blocksAdded);
            i.fresh = false;
            if (evictedUnsynced.remove(i.ino)) {
                i.blocks.assumeUnsynced();
                synchronized (i) {
                    i.sizeChanges++;
                }
            }
            NativeIOException failure = evictedSyncFailures.remove(i.ino);
            if (failure != null) {
                i.blocks.failSyncs(failure);
            }
        }
        return i.blocks;
    }

    /**
     * In the batch that drops the last name of {@code i}: when no handle is open and the file has
     * no block, deletes its records there too. The kernel's remaining references need only the
     * inode in memory, so its forget costs no commit, and it needs no orphan record, as nothing of
     * it is left to free (at most empty tier files of a file truncated to nothing, which the caller
     * removes once {@link #unlinked} says so). Directories keep the orphan path.
     *
     * @return whether the records go in {@code b}; if not, the caller keeps the inode as an orphan
     */
    boolean retireIfUnused(MetadataStore.Batch b, Inode i) {
        boolean xattrs;
        synchronized (this) {
            if (i.opens > 0 || FileMode.isDirectory(i.mode()) || !holdsNoBlocks(i)) {
                return false;
            }
            synchronized (i) {
                i.retired = true;
                xattrs = i.mayHaveXattrs != Boolean.FALSE;
            }
        }
        deleteAttributes(meta, b, i.ino, xattrs);
        return true;
    }

    private boolean holdsNoBlocks(Inode i) {
        if (!mayHaveTierFiles(i)) {
            return true;
        }
        return i.blocks != null ? i.blocks.holdsNoBlocks() : !meta.anyOf(Keys.BLOCK, i.ino);
    }

    /**
     * Whether tier files of {@code i} may exist: not if it was made by this mount and never given
     * a block. Call holding this: a forget may close the block table meanwhile.
     */
    private static boolean mayHaveTierFiles(Inode i) {
        return !i.withoutBlocks || (i.blocks != null && i.blocks.allocatedBlocks());
    }

    /**
     * After a change that may have dropped the last name of an unreferenced inode.
     *
     * @return whether {@code i} was retired with tier files that may be left (empty ones, of a file
     *         truncated to nothing): the caller removes them ({@link #deleteTierFiles}) once it has
     *         let its own locks go
     */
    boolean unlinked(Inode i) {
        boolean tierFiles;
        Inode dead;
        synchronized (this) {
            tierFiles = retiredNow(i) && mayHaveTierFiles(i);
            dead = releaseIfUnused(i);
        }
        deleteIfDead(dead);
        return tierFiles;
    }

    /**
     * Drops an inode nobody references from memory.
     *
     * @return the inode if it has no name left either, for {@link #deleteIfDead} to delete
     */
    private Inode releaseIfUnused(Inode i) {
        if (i.lookups > 0 || i.opens > 0 || i.ino == ROOT || cache.get(i.ino) != i) {
            return null;
        }
        // once shutdown began, a dead inode's orphan record (durable at the shutdown's sync) tells
        // recovery to delete it: the metadata store may be closing under a late forget
        boolean dead = i.nlink() == 0 && !closing && !retiredNow(i);
        if (dead) {
            evictedUnsynced.remove(i.ino);
            evictedSyncFailures.remove(i.ino);
            dying.add(i.ino);
        } else if (i.nlink() > 0) {
            persistIfDirty(i, false);
            boolean sizeUnsynced;
            synchronized (i) {
                sizeUnsynced = i.sizeUnsynced();
            }
            if (sizeUnsynced || (i.blocks != null && i.blocks.hasUnsyncedChanges())) {
                evictedUnsynced.add(i.ino);
            }
            if (i.blocks != null && i.blocks.syncFailure() != null) {
                evictedSyncFailures.put(i.ino, i.blocks.syncFailure());
            }
        }
        cache.remove(i.ino);
        if (FileMode.isDirectory(i.mode())) {
            names.forget(i.ino); // the kernel forgot it: its names are not asked for soon
        }
        // out of the cache the object may still be in a caller's hands, while a new one loaded
        // for the same file gets blocks: a table it opens must read them from the store
        i.fresh = false;
        if (i.blocks != null) {
            i.withoutBlocks &= !i.blocks.allocatedBlocks();
            i.blocks.close();
            i.blocks = null;
        }
        return dead ? i : null;
    }

    /**
     * Deletes a released inode's records now and its data once that is durable. Outside this
     * object's lock, as the records of a large file take long to scan: nothing can reach the inode
     * any more (no name, no kernel reference, no open file), and {@link #load} refuses it while
     * it is dying.
     */
    private void deleteIfDead(Inode dead) {
        if (dead == null) {
            return;
        }
        try {
            boolean xattrs;
            synchronized (dead) {
                xattrs = dead.mayHaveXattrs != Boolean.FALSE;
            }
            if (dead.withoutBlocks) {
                // most deleted files are small ones made since the mount: one commit, no scan, no unlink
                deleteWithoutBlocks(meta, dead.ino, xattrs);
            } else if (deleteRecords(meta, dead.ino, ref -> blocks.account(ref, -1), true, xattrs)) {
                reclaimer.reclaim(dead.ino);
            } else {
                deleteTierFiles(dead.ino);
            }
        } finally {
            synchronized (this) {
                dying.remove(dead.ino);
                notifyAll();
            }
        }
    }

    /**
     * Removes the tier files of a deleted inode that had no block record: at most empty ones are
     * left (a file truncated to 0), which a crash would leave to the next unclean mount's sweep,
     * not a record to find them by. No sync: deleting a small file costs no fsync.
     */
    void deleteTierFiles(long ino) {
        try {
            blocks.deleteFile(ino);
        } catch (IOException | RuntimeException e) {
            LOG.warning("removing the empty tier files of deleted inode " + ino + " failed: " + e);
        }
    }

    private static boolean retiredNow(Inode i) {
        synchronized (i) {
            return i.retired;
        }
    }

    /**
     * Removes every record of {@code ino} but its orphan record, which stays until its data is freed
     * (Reclaimer), telling {@code freed} each block record dropped; with {@code orphanIfNoBlocks},
     * an inode without block records loses its orphan record in the same commit; without
     * {@code xattrs} (known to have none), no scan for them. Keys are deleted
     * one by one: RocksDB range tombstones slow every later read while they sit in the memtable,
     * and a deletion per file made `rm -r` quadratic.
     *
     * @return whether the inode had block records (and its orphan record stays)
     */
    public static boolean deleteRecords(MetadataStore meta, long ino, java.util.function.Consumer<BlockRef> freed,
        boolean orphanIfNoBlocks, boolean xattrs) {
        try (MetadataStore.Batch b = meta.newBatch()) {
            boolean[] any = {false};
            meta.scan(Keys.first(Keys.BLOCK, ino), Keys.after(Keys.BLOCK, ino), (k, v) -> {
                freed.accept(BlockRef.decode(v));
                b.delete(k);
                any[0] = true;
                return true;
            });
            if (orphanIfNoBlocks && !any[0]) {
                b.delete(Keys.orphan(ino));
            }
            if (any[0]) { // a rewrite journal entry goes with its block record
                io.tierfs.block.RewriteJournal.dropEntries(meta, b, ino, 0, Long.MAX_VALUE);
            }
            deleteAttributes(meta, b, ino, xattrs);
            meta.commit(b, false);
            return any[0];
        }
    }

    /** Removes every record of an inode known to have no block (nor any left to free), orphan record included. */
    private static void deleteWithoutBlocks(MetadataStore meta, long ino, boolean xattrs) {
        try (MetadataStore.Batch b = meta.newBatch()) {
            deleteAttributes(meta, b, ino, xattrs);
            b.delete(Keys.orphan(ino));
            meta.commit(b, false);
        }
    }

    /** Adds the deletion of the inode's record, its inline bytes and (unless known to have none) its xattrs. */
    private static void deleteAttributes(MetadataStore meta, MetadataStore.Batch b, long ino, boolean xattrs) {
        if (xattrs) {
            meta.scan(Keys.first(Keys.XATTR, ino), Keys.after(Keys.XATTR, ino), (k, v) -> {
                b.delete(k);
                return true;
            });
        }
        b.delete(Keys.inline(ino));
        b.delete(Keys.inode(ino));
    }

    /**
     * Persists what the data path changed, stops freeing space, closes the block tables.
     *
     * @return whether every file's data was synced (if not, the volume must not be marked clean)
     */
    public synchronized boolean closeAndSync() {
        closing = true;
        awaitDeletions();
        boolean synced = true;
        for (Inode i : cache.values()) {
            persistIfDirty(i, false);
            if (i.blocks != null) {
                try {
                    i.blocks.sync();
                } catch (IOException e) {
                    LOG.warning("syncing inode " + i.ino + " at shutdown failed: " + e);
                    synced = false;
                }
                i.blocks.close();
            }
        }
        if (!evictedSyncFailures.isEmpty()) {
            LOG.warning("data syncs failed earlier, the volume is not marked clean: inodes "
                + evictedSyncFailures.keySet());
            synced = false;
        }
        for (long ino : evictedUnsynced) {
            try (FileBlocks fb = blocks.open(ino, n -> { })) {
                fb.assumeUnsynced();
                fb.sync();
            } catch (IOException e) {
                LOG.warning("syncing inode " + ino + " at shutdown failed: " + e);
                synced = false;
            }
        }
        evictedUnsynced.clear();
        evictedSyncFailures.clear();
        reclaimer.close();
        cache.clear();
        return synced;
    }

    private void awaitDeletions() {
        Monitors.awaitUntil(this, dying::isEmpty);
    }
}
