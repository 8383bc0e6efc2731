package io.tierfs.fuse;

import static io.tierfs.nativeio.Memory.IO;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tierfs.block.BlockStore;
import io.tierfs.block.FileBlocks;
import io.tierfs.meta.MetadataException;
import io.tierfs.metrics.FuseMetrics;
import io.tierfs.namespace.Attributes;
import io.tierfs.namespace.DirEntry;
import io.tierfs.namespace.FileMode;
import io.tierfs.namespace.FileOps;
import io.tierfs.namespace.FsException;
import io.tierfs.namespace.Inode;
import io.tierfs.namespace.Inodes;
import io.tierfs.namespace.Namespace;
import io.tierfs.namespace.Xattrs;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.LibC;
import io.tierfs.nativeio.Memory;
import io.tierfs.nativeio.NativeIOException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;
import jnr.ffi.Runtime;
import jnr.ffi.provider.ClosureManager;

/**
 * Turns libfuse's low-level requests, and the reads and writes the workers take from the device
 * themselves, into calls on the namespace and the block layer, and their results into replies.
 * Inode numbers are the kernel's node ids, so one file is one kernel inode whatever its names:
 * hard links share attributes and page cache. Every request gets exactly one
 * reply; a failure becomes an errno, never an exception into native code.
 */
public final class FuseAdapter {
    private static final Logger LOG = Logger.getLogger(FuseAdapter.class.getName());
    /**
     * How long the kernel may keep a name (found or not found) and an inode's attributes without
     * asking again. Every change to names and attributes comes through this mount, so the kernel's
     * copy goes stale only by what tierfs changes on its own (ctime when a policy sets an
     * attribute), while each round trip it saves is one a small-file workload pays per file: a
     * lookup before every create, unlink, rename and chmod of a name older than this.
     */
    private static final double TIMEOUT_SECONDS = 10.0;

    private final LibFuse fuse = LibFuse.INSTANCE;
    private final Inodes inodes;
    private final Namespace namespace;
    private final FileOps files;
    private final Xattrs xattrs;
    private final Privileges privileges;
    private final VolumeStats stats;
    private final int blockSize;
    private final HandleTable<OpenFile> openFiles = new HandleTable<>();
    private final HandleTable<List<DirEntry>[]> openDirs = new HandleTable<>();
    private final LongAdder inFlight = new LongAdder();
    private final FuseMetrics metrics;
    private volatile boolean closed;
    /** The closures must stay reachable as long as libfuse may call them. */
    private final List<Object> closures = new ArrayList<>();
    private final long operations;

    /** Reports capacity for statfs. */
    public interface VolumeStats {
        /** {total bytes, free bytes} of the tiers, each filesystem counted once. */
        long[] capacity();
    }

    /**
     * @param cachedWriter opened for writing through the page cache: with the writeback cache the
     *                     kernel may hold dirty pages of the file until the last such handle goes
     */
    private record OpenFile(Inode inode, FileBlocks blocks, boolean direct, boolean cachedWriter) {
    }

    /** With the writeback cache: handles per inode through which the kernel may hold dirty pages. */
    private final java.util.concurrent.ConcurrentHashMap<Long, Integer> cachedWriters =
        new java.util.concurrent.ConcurrentHashMap<>();
    private final boolean writebackCache;
    /**
     * Workers that may wait at once for the kernel to write a file's dirty pages back: one stays
     * free to take those writes.
     */
    private final java.util.concurrent.Semaphore writeBackWaiters;

    /**
     * @param writebackCache whether the kernel is asked for its writeback cache (see {@link InitNegotiation})
     * @param threads        the workers that will serve (with the writeback cache, at least two: see
     *                       {@code MountSettings})
     */
    public FuseAdapter(Inodes inodes, Namespace namespace, FileOps files, Xattrs xattrs, BlockStore blocks,
                       VolumeStats stats, PrometheusRegistry registry, boolean writebackCache, int threads) {
        this.writebackCache = writebackCache;
        this.writeBackWaiters = new java.util.concurrent.Semaphore(Math.max(1, threads - 1));
        this.metrics = new FuseMetrics(registry, inFlight::sum);
        this.inodes = inodes;
        this.namespace = namespace;
        this.files = files;
        this.xattrs = xattrs;
        this.privileges = new Privileges(files, xattrs);
        this.stats = stats;
        this.blockSize = blocks.blockSize();
        this.operations = buildOperations();
    }

    long operations() {
        return operations;
    }

    boolean writebackCache() {
        return writebackCache;
    }

    /** The inodes the kernel may hold dirty pages of now (with the writeback cache). */
    public java.util.Set<Long> inodesWithCachedWrites() {
        return java.util.Set.copyOf(cachedWriters.keySet());
    }

    public FuseMetrics metrics() {
        return metrics;
    }

    /** Refuses new requests and waits (up to {@code millis}) for those in flight to finish. */
    public boolean drain(long millis) throws InterruptedException {
        closed = true;
        long deadline = System.currentTimeMillis() + millis;
        while (inFlight.sum() > 0) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    private boolean enter(long req) {
        if (!admit()) {
            replyError(req, Errno.ENOTCONN);
            return false;
        }
        return true;
    }

    /** Counts a request in flight, unless draining; one that is admitted must be counted out. */
    private boolean admit() {
        inFlight.increment();
        if (closed) {
            inFlight.decrement();
            return false;
        }
        return true;
    }

    private void fail(long req, Throwable t) {
        replyError(req, errnoOf(t));
    }

    /**
     * libfuse, about to answer: the worker notes the time, so that a request's latency ends
     * before its answer is written, as on the raw paths ({@link FuseWorker#answered}).
     */
    private LibFuse reply() {
        FuseWorker.answering();
        return fuse;
    }

    /** Every error answer goes through here, so that the worker counts it in the KPIs. */
    private void replyError(long req, int errno) {
        FuseWorker.answeredWith(errno);
        reply().fuse_reply_err(req, errno);
    }

    private static int errnoOf(Throwable t) {
        if (t instanceof FsException e) {
            return e.errno();
        }
        if (t instanceof NativeIOException e) {
            if (e.errno() != Errno.ENOSPC && !e.alreadyReported()) {
                LOG.log(Level.WARNING, "I/O error", t);
            }
            return e.errno();
        }
        LOG.log(t instanceof MetadataException ? Level.SEVERE : Level.WARNING, "request failed", t);
        return Errno.EIO;
    }

    @FunctionalInterface
    private interface Handler {
        void handle() throws Exception;
    }

    /**
     * Runs a metadata request: admitted unless draining, failures answered as an errno. (read and
     * write spell this out instead, so that the hot path allocates no lambda.)
     */
    private void serve(long req, Handler handler) {
        if (!enter(req)) {
            return;
        }
        try {
            handler.handle();
        } catch (Throwable t) {
            fail(req, t);
        } finally {
            inFlight.decrement();
        }
    }

    private static FuseWorker worker() {
        return (FuseWorker) Thread.currentThread();
    }

    /** The caller of the request being served, from its raw header (libfuse processes it in place). */
    private static int callerUid() {
        return RawRequests.callerUid(worker().receiveBuffer);
    }

    private static int callerGid() {
        return RawRequests.callerGid(worker().receiveBuffer);
    }

    private void replyEntry(long req, Inode inode) {
        FuseWorker w = worker();
        inode.copyTo(w.attributes, blockSize);
        Structs.writeEntry(w.entry, w.attributes, TIMEOUT_SECONDS);
        reply().fuse_reply_entry(req, w.entry);
    }

    private void replyAttr(long req, Inode inode) {
        FuseWorker w = worker();
        inode.copyTo(w.attributes, blockSize);
        Structs.writeStat(w.stat, w.attributes);
        reply().fuse_reply_attr(req, w.stat, TIMEOUT_SECONDS);
    }

    private void replyBytes(long req, byte[] bytes) {
        long buf = worker().replyBuffer(bytes.length);
        IO.putByteArray(buf, bytes, 0, bytes.length);
        reply().fuse_reply_buf(req, buf, bytes.length);
    }

    // ---- requests -------------------------------------------------------------------------------

    private void lookup(long req, long parent, long name) {
        serve(req, () -> {
            Inode found;
            try {
                found = namespace.lookup(parent, Memory.readCString(name));
            } catch (FsException e) {
                if (e.errno() != Errno.ENOENT) {
                    throw e;
                }
                // the kernel keeps "no such name" too (a negative dentry, dropped when this mount
                // creates the name): a build looking for headers along a path asks once
                FuseWorker w = worker();
                Structs.writeNegativeEntry(w.entry, TIMEOUT_SECONDS);
                reply().fuse_reply_entry(req, w.entry);
                return;
            }
            replyEntry(req, found);
        });
    }

    private void forget(long req, long ino, long nlookup) {
        forgetOne(ino, nlookup);
        reply().fuse_reply_none(req);
    }

    private void forgetMulti(long req, long count, long forgets) {
        for (long i = 0; i < count; i++) {
            forgetOne(IO.getLong(forgets + 16 * i), IO.getLong(forgets + 16 * i + 8));
        }
        reply().fuse_reply_none(req);
    }

    /**
     * A forget has no answer to carry an error, and an exception out of it would end the worker
     * (and with it libfuse's session: every later request unanswered, the mount hung). A deleted
     * inode whose records could not be removed (the metadata store failing) keeps its orphan
     * record, which the next mount's recovery deletes.
     */
    private void forgetOne(long ino, long nlookup) {
        try {
            inodes.forget(ino, nlookup);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "forgetting inode " + ino + " failed; the next mount finishes its deletion", e);
        }
    }

    private void getattr(long req, long ino, long fi) {
        serve(req, () -> {
            replyAttr(req, inodes.get(ino));
        });
    }

    private void setattr(long req, long ino, long st, int toSet, long fi) {
        serve(req, () -> {
            Inode inode = inodes.get(ino);
            int set = toSet;
            FuseWorker w = worker();
            if (w.privilegeRequest != Privileges.NONE) {
                set |= privileges.forSetattr(w.receiveBuffer, inode, w.privilegeRequest);
            }
            files.setattr(inode, set, IO.getInt(st + 24), IO.getInt(st + 28), IO.getInt(st + 32),
                IO.getLong(st + 48), Structs.statAtime(st), Structs.statMtime(st));
            replyAttr(req, inode);
        });
    }

    private void readlink(long req, long ino) {
        serve(req, () -> {
            byte[] target = files.readlink(inodes.get(ino));
            long buf = worker().replyBuffer(target.length + 1);
            IO.putByteArray(buf, target, 0, target.length);
            IO.putByte(buf + target.length, (byte) 0);
            reply().fuse_reply_readlink(req, buf);
        });
    }

    private void make(long req, long parent, long name, int mode, long rdev, byte[] target) {
        serve(req, () -> {
            replyEntry(req, namespace.create(parent, Memory.readCString(name), mode, rdev, target,
                callerUid(), callerGid()));
        });
    }

    private void remove(long req, long parent, long name, boolean directory) {
        serve(req, () -> {
            namespace.unlink(parent, Memory.readCString(name), directory);
            reply().fuse_reply_err(req, 0);
        });
    }

    private void rename(long req, long parent, long name, long newParent, long newName) {
        serve(req, () -> {
            namespace.rename(parent, Memory.readCString(name), newParent, Memory.readCString(newName));
            reply().fuse_reply_err(req, 0);
        });
    }

    private void link(long req, long ino, long newParent, long newName) {
        serve(req, () -> {
            replyEntry(req, namespace.link(ino, newParent, Memory.readCString(newName)));
        });
    }

    /**
     * Registers a handle; O_DIRECT opens bypass the page cache, all others keep it across opens.
     * tierfs's handles do not check the access mode, so one opened write-only also serves the
     * reads the kernel makes to fill a page it caches; and O_APPEND is the kernel's (every write
     * comes with its offset).
     */
    private void openHandle(Inode inode, long fi) {
        int flags = IO.getInt(fi + Structs.FI_FLAGS);
        boolean direct = (flags & LibC.O_DIRECT) != 0;
        boolean cachedWriter = writebackCache && !direct && (flags & LibC.O_ACCMODE) != LibC.O_RDONLY;
        long fh = openFiles.add(new OpenFile(inode, inodes.open(inode), direct, cachedWriter));
        if (cachedWriter) {
            cachedWriters.merge(inode.ino, 1, Integer::sum); // after the handle: release counts it out
        }
        IO.putLong(fi + Structs.FI_FH, fh);
        int bits = IO.getInt(fi + Structs.FI_BITS);
        bits |= (flags & LibC.O_DIRECT) != 0 ? Structs.FI_DIRECT_IO : Structs.FI_KEEP_CACHE;
        IO.putInt(fi + Structs.FI_BITS, bits);
    }

    private void open(long req, long ino, long fi) {
        serve(req, () -> {
            Inode inode = inodes.get(ino);
            if (FileMode.isDirectory(inode.mode())) {
                throw new FsException(Errno.EISDIR, "open of a directory as a file");
            }
            openHandle(inode, fi);
            reply().fuse_reply_open(req, fi);
        });
    }

    private void create(long req, long parent, long name, int mode, long fi) {
        serve(req, () -> {
            Inode inode = namespace.create(parent, Memory.readCString(name), mode, 0, null, callerUid(), callerGid());
            openHandle(inode, fi);
            FuseWorker w = worker();
            inode.copyTo(w.attributes, blockSize);
            Structs.writeEntry(w.entry, w.attributes, TIMEOUT_SECONDS);
            reply().fuse_reply_create(req, w.entry, fi);
        });
    }

    /**
     * Answers the FUSE_READ {@code request} (raw, as the worker received it) on the device: the
     * data goes from the tier files straight behind the reply's header (see {@link RawRequests}).
     */
    void read(FuseWorker w, long request, int deviceFd) {
        long size = RawRequests.size(request);
        long reply = w.replyBuffer(RawRequests.OUT_HEADER + size);
        long n = 0;
        int errno = 0;
        if (!admit()) {
            errno = Errno.ENOTCONN;
        } else {
            try {
                n = readFile(RawRequests.fh(request), RawRequests.offset(request), size, reply + RawRequests.OUT_HEADER);
            } catch (Throwable t) {
                errno = errnoOf(t);
            } finally {
                inFlight.decrement();
            }
        }
        w.answered(errno, n);
        RawRequests.reply(deviceFd, request, reply, n, errno);
    }

    private long readFile(long fh, long off, long size, long buf) throws IOException {
        OpenFile f = openFiles.get(fh);
        if (f == null) {
            throw new FsException(Errno.EBADF, "unknown file handle");
        }
        long n = Math.max(0, Math.min(size, f.inode.size() - off));
        f.blocks.read(off, buf, (int) n);
        return n;
    }

    /** Answers the FUSE_WRITE {@code request} (raw, as the worker received it) on the device. */
    void write(FuseWorker w, long request, int deviceFd) {
        long size = RawRequests.size(request);
        int errno = 0;
        if (!admit()) {
            errno = Errno.ENOTCONN;
            if (RawRequests.isWriteBack(request)) {
                LOG.severe("a write-back of " + size + " bytes at offset " + RawRequests.offset(request) + " of inode "
                    + RawRequests.nodeId(request) + " came after the daemon stopped taking requests: those bytes are lost");
            }
        } else {
            try {
                writeFile(w, request, size);
            } catch (Throwable t) {
                errno = errnoOf(t);
            } finally {
                inFlight.decrement();
            }
        }
        long reply = w.replyBuffer(RawRequests.OUT_HEADER + RawRequests.WRITE_OUT);
        IO.putInt(reply + RawRequests.OUT_HEADER, (int) size);
        IO.putInt(reply + RawRequests.OUT_HEADER + 4, 0);
        w.answered(errno, errno == 0 ? size : 0);
        RawRequests.reply(deviceFd, request, reply, RawRequests.WRITE_OUT, errno);
    }

    private void writeFile(FuseWorker w, long request, long size) throws IOException {
        OpenFile f = openFiles.get(RawRequests.fh(request));
        if (f == null) {
            throw new FsException(Errno.EBADF, "unknown file handle");
        }
        long off = RawRequests.offset(request);
        FileOps.checkWriteRange(off, size);
        boolean flagged = RawRequests.privilegeRequest(request) == Privileges.FLAGGED;
        if ((flagged || f.direct) && privileges.beforeWrite(request, f.inode, flagged, f.direct)) {
            w.invalidateAttributes(f.inode.ino);
        }
        boolean writeBack = RawRequests.isWriteBack(request);
        try {
            f.blocks.write(off, RawRequests.writeData(request), (int) size);
        } catch (IOException | RuntimeException e) {
            if (writeBack) {
                // the writer heard of success at write(2); the kernel reports this failure once,
                // so every later fsync of the file fails too, and no retry calls lost data safe
                f.blocks.failSyncs(new NativeIOException("a write-back of the kernel's cached pages at offset " + off
                    + " failed: " + e.getMessage(), errnoOf(e)));
            }
            throw e;
        }
        if (writeBack) {
            files.wroteBack(f.inode, off + size);
        } else {
            files.wrote(f.inode, off + size);
        }
    }

    /** Answers the FUSE_LSEEK {@code request} (SEEK_DATA or SEEK_HOLE; the kernel handles the rest). */
    void lseek(FuseWorker w, long request, int deviceFd) {
        long reply = w.replyBuffer(RawRequests.OUT_HEADER + RawRequests.LSEEK_OUT);
        int errno = 0;
        if (!admit()) {
            errno = Errno.ENOTCONN;
        } else {
            try {
                OpenFile f = openFiles.get(RawRequests.fh(request));
                int whence = RawRequests.whence(request);
                if (f == null) {
                    throw new FsException(Errno.EBADF, "unknown file handle");
                }
                if (whence != LibC.SEEK_DATA && whence != LibC.SEEK_HOLE) {
                    throw new FsException(Errno.EINVAL, "lseek whence " + whence);
                }
                writeBackKernelPages(w, f.inode.ino);
                long found = files.seek(f.inode, RawRequests.offset(request), whence == LibC.SEEK_DATA);
                IO.putLong(reply + RawRequests.OUT_HEADER, found);
            } catch (Throwable t) {
                errno = errnoOf(t);
            } finally {
                inFlight.decrement();
            }
        }
        w.answered(errno, 0);
        RawRequests.reply(deviceFd, request, reply, RawRequests.LSEEK_OUT, errno);
    }

    /**
     * SEEK_DATA and SEEK_HOLE see only what tierfs holds, and the kernel does not write a file's
     * dirty pages back before it asks (it answers from its own size only without FUSE_LSEEK): a
     * hole reported where the kernel holds data would make `cp` skip that data. So a file the
     * kernel may hold dirty pages of has them written back first.
     */
    private void writeBackKernelPages(FuseWorker w, long ino) throws InterruptedException, NativeIOException {
        if (!cachedWriters.containsKey(ino)) {
            return;
        }
        writeBackWaiters.acquire();
        try {
            w.session().writeBackKernelPages(ino);
        } finally {
            writeBackWaiters.release();
        }
    }

    private void release(long req, long ino, long fi) {
        // Runs even while draining: a close must always let go of its handle.
        inFlight.increment();
        try {
            OpenFile f = openFiles.remove(IO.getLong(fi + Structs.FI_FH));
            if (f != null && f.cachedWriter) {
                // the kernel wrote the file's dirty pages back before it let go of the handle
                cachedWriters.computeIfPresent(f.inode.ino, (k, n) -> n == 1 ? null : n - 1);
            }
            if (f != null && !closed) {
                try {
                    // what a flush at each close did: the size and times a write changed reach the
                    // store (unsynced), so that a kill -9 of the daemon after the close keeps them
                    inodes.persistIfDirty(f.inode, false);
                } finally {
                    inodes.close(f.inode); // a failed commit must not keep the inode open forever
                }
            }
            reply().fuse_reply_err(req, 0);
        } catch (Throwable t) {
            fail(req, t);
        } finally {
            inFlight.decrement();
        }
    }

    private void fsync(long req, long ino, int datasync, long fi) {
        serve(req, () -> {
            Inode inode = inodes.get(ino);
            files.fsync(inode, datasync != 0);
            if (writebackCache && inode.blocksChangedSinceAsked(blockSize)) {
                // st_blocks is tierfs's: the kernel's copy may predate the writes it sent back
                // for this sync. Only then: fresh attributes cost the next write a getattr and a
                // getxattr (a database's commits rewrite blocks that exist, and pay neither)
                worker().invalidateAttributes(ino);
            }
            reply().fuse_reply_err(req, 0);
        });
    }

    @SuppressWarnings("unchecked")
    private void opendir(long req, long ino, long fi) {
        serve(req, () -> {
            if (!FileMode.isDirectory(inodes.get(ino).mode())) {
                throw new FsException(Errno.ENOTDIR, "not a directory");
            }
            IO.putLong(fi + Structs.FI_FH, openDirs.add(new List[1]));
            reply().fuse_reply_open(req, fi);
        });
    }

    /**
     * Lists from a snapshot taken when the listing starts (offset 0), so that a listing interrupted
     * by changes neither repeats nor skips names. Entries are written in the kernel's fuse_dirent
     * layout directly: ino, next offset, name length, type, name padded to 8 bytes.
     */
    private void readdir(long req, long ino, long size, long off, long fi) {
        serve(req, () -> {
            List<DirEntry>[] snapshot = openDirs.get(IO.getLong(fi + Structs.FI_FH));
            if (snapshot == null) {
                throw new FsException(Errno.EBADF, "unknown directory handle");
            }
            if (off == 0 || snapshot[0] == null) {
                snapshot[0] = namespace.list(ino);
            }
            List<DirEntry> entries = snapshot[0];
            long buf = worker().replyBuffer(size);
            long used = 0;
            for (int i = (int) off; i < entries.size(); i++) {
                DirEntry e = entries.get(i);
                long recordLength = (24 + e.name().length + 7) & ~7L;
                if (used + recordLength > size) {
                    break;
                }
                long at = buf + used;
                IO.putLong(at, e.ino());
                IO.putLong(at + 8, i + 1);
                IO.putInt(at + 16, e.name().length);
                IO.putInt(at + 20, e.type());
                IO.putByteArray(at + 24, e.name(), 0, e.name().length);
                IO.setMemory(at + 24 + e.name().length, recordLength - 24 - e.name().length, (byte) 0);
                used += recordLength;
            }
            reply().fuse_reply_buf(req, buf, used);
        });
    }

    private void releasedir(long req, long ino, long fi) {
        openDirs.remove(IO.getLong(fi + Structs.FI_FH));
        reply().fuse_reply_err(req, 0);
    }

    private void fsyncdir(long req, long ino, int datasync, long fi) {
        serve(req, () -> {
            files.fsyncDirectory();
            reply().fuse_reply_err(req, 0);
        });
    }

    private void statfs(long req, long ino) {
        serve(req, () -> {
            long[] capacity = stats.capacity();
            long unit = 4096;
            FuseWorker w = worker();
            Structs.writeStatvfs(w.statvfs, unit, capacity[0] / unit, capacity[1] / unit,
                Long.MAX_VALUE / 2, Long.MAX_VALUE / 2, Namespace.NAME_MAX);
            reply().fuse_reply_statfs(req, w.statvfs);
        });
    }

    private void setxattr(long req, long ino, long name, long value, long size, int flags) {
        serve(req, () -> {
            byte[] v = new byte[(int) size];
            IO.getByteArray(value, v, 0, v.length);
            xattrs.set(inodes.get(ino), Memory.readCString(name), v, flags);
            reply().fuse_reply_err(req, 0);
        });
    }

    /**
     * The kernel asks for security.capability before every buffered write, so a file without
     * extended attributes is answered from memory, with no allocation.
     */
    private void getxattr(long req, long ino, long name, long size) {
        if (!enter(req)) {
            return;
        }
        try {
            Inode inode = inodes.get(ino);
            if (Xattrs.supportedNamespace(name) && !Xattrs.tierfsName(name) && !xattrs.mayHave(inode)) {
                replyError(req, Errno.ENODATA);
            } else {
                replySized(req, xattrs.get(inode, Memory.readCString(name)), size);
            }
        } catch (Throwable t) {
            fail(req, t);
        } finally {
            inFlight.decrement();
        }
    }

    private void listxattr(long req, long ino, long size) {
        serve(req, () -> {
            replySized(req, xattrs.list(inodes.get(ino)), size);
        });
    }

    /** The xattr protocol: size 0 asks for the length only; a buffer too small is ERANGE. */
    private void replySized(long req, byte[] value, long size) {
        if (size == 0) {
            reply().fuse_reply_xattr(req, value.length);
        } else if (size < value.length) {
            replyError(req, Errno.ERANGE);
        } else {
            replyBytes(req, value);
        }
    }

    private void removexattr(long req, long ino, long name) {
        serve(req, () -> {
            xattrs.remove(inodes.get(ino), Memory.readCString(name));
            reply().fuse_reply_err(req, 0);
        });
    }

    private void fallocate(long req, long ino, int mode, long offset, long length, long fi) {
        serve(req, () -> {
            files.fallocate(inodes.get(ino), mode, offset, length);
            reply().fuse_reply_err(req, 0);
        });
    }

    // ---- the operations table -------------------------------------------------------------------

    /** struct fuse_lowlevel_ops: 41 function pointers in declaration order; absent ones stay NULL. */
    private long buildOperations() {
        long ops = Memory.allocate(Structs.OPS_SIZE);
        ClosureManager cm = Runtime.getSystemRuntime().getClosureManager();
        set(ops, cm, 2, Callbacks.ReqParentName.class, (Callbacks.ReqParentName) this::lookup);
        set(ops, cm, 3, Callbacks.Forget.class, (Callbacks.Forget) this::forget);
        set(ops, cm, 4, Callbacks.ReqInoFi.class, (Callbacks.ReqInoFi) this::getattr);
        set(ops, cm, 5, Callbacks.SetAttr.class, (Callbacks.SetAttr) this::setattr);
        set(ops, cm, 6, Callbacks.ReqIno.class, (Callbacks.ReqIno) this::readlink);
        set(ops, cm, 7, Callbacks.Mknod.class,
            (Callbacks.Mknod) (req, parent, name, mode, rdev) -> make(req, parent, name, mode, rdev, null));
        set(ops, cm, 8, Callbacks.Mkdir.class, (Callbacks.Mkdir) (req, parent, name, mode) ->
            make(req, parent, name, FileMode.S_IFDIR | (mode & FileMode.PERMISSION_BITS), 0, null));
        set(ops, cm, 9, Callbacks.ReqParentName.class,
            (Callbacks.ReqParentName) (req, parent, name) -> remove(req, parent, name, false));
        set(ops, cm, 10, Callbacks.ReqParentName.class,
            (Callbacks.ReqParentName) (req, parent, name) -> remove(req, parent, name, true));
        set(ops, cm, 11, Callbacks.Symlink.class, (Callbacks.Symlink) (req, link, parent, name) ->
            make(req, parent, name, FileMode.S_IFLNK | 0777, 0, Memory.readCString(link)));
        set(ops, cm, 12, Callbacks.Rename.class, (Callbacks.Rename) this::rename);
        set(ops, cm, 13, Callbacks.Link.class, (Callbacks.Link) this::link);
        set(ops, cm, 14, Callbacks.ReqInoFi.class, (Callbacks.ReqInoFi) this::open);
        // 15 and 16, read and write: answered by the workers from the raw request (RawRequests)
        // 17, flush: none, so libfuse answers ENOSYS and the kernel sends no more (one round trip
        // less per close; it still writes a file's dirty pages back at close, and the release
        // that follows the last close keeps the attributes)
        set(ops, cm, 18, Callbacks.ReqInoFi.class, (Callbacks.ReqInoFi) this::release);
        set(ops, cm, 19, Callbacks.Fsync.class, (Callbacks.Fsync) this::fsync);
        set(ops, cm, 20, Callbacks.ReqInoFi.class, (Callbacks.ReqInoFi) this::opendir);
        set(ops, cm, 21, Callbacks.ReadLike.class, (Callbacks.ReadLike) this::readdir);
        set(ops, cm, 22, Callbacks.ReqInoFi.class, (Callbacks.ReqInoFi) this::releasedir);
        set(ops, cm, 23, Callbacks.Fsync.class, (Callbacks.Fsync) this::fsyncdir);
        set(ops, cm, 24, Callbacks.ReqIno.class, (Callbacks.ReqIno) this::statfs);
        set(ops, cm, 25, Callbacks.SetXattr.class, (Callbacks.SetXattr) this::setxattr);
        set(ops, cm, 26, Callbacks.GetXattr.class, (Callbacks.GetXattr) this::getxattr);
        set(ops, cm, 27, Callbacks.ListXattr.class, (Callbacks.ListXattr) this::listxattr);
        set(ops, cm, 28, Callbacks.ReqParentName.class, (Callbacks.ReqParentName) this::removexattr);
        set(ops, cm, 30, Callbacks.Create.class, (Callbacks.Create) this::create);
        set(ops, cm, 38, Callbacks.ForgetMulti.class, (Callbacks.ForgetMulti) this::forgetMulti);
        set(ops, cm, 40, Callbacks.Fallocate.class, (Callbacks.Fallocate) this::fallocate);
        return ops;
    }

    private <T> void set(long ops, ClosureManager cm, int index, Class<T> type, T callback) {
        closures.add(callback);
        IO.putLong(ops + 8L * index, cm.getClosurePointer(type, callback).address());
    }
}
