package io.tierfs.tier;

import static io.tierfs.nativeio.Memory.IO;

import io.tierfs.nativeio.Durable;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.Memory;
import io.tierfs.nativeio.NativeIOException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;
import java.util.function.LongConsumer;
import java.util.logging.Logger;
import net.openhft.chronicle.bytes.PointerBytesStore;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.hash.impl.VanillaChronicleHash;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

/**
 * The hot tier: whole blocks in a Chronicle Map persisted to a memory-mapped file
 * ({@code DIR/hot.map}), keyed by (inode, block index). Bytes move between the map's mapping and
 * FUSE's native buffers in one copy, with no allocation per call (a new copy's query reuses its
 * thread's key and value wrappers). Chronicle Map has no eviction and no bound in bytes of its own: the tier
 * counts its blocks and refuses a new one past its capacity, and what leaves it is decided by
 * the placement policy. It keeps no durability promise either: the block layer uses it as a
 * copy of blocks whose own tier is ssd or hdd (see ARCHITECTURE.md, "The hot tier").
 *
 * <p>Which blocks of which inode it holds is kept in memory too (rebuilt from the map when it
 * opens), so that deleting a file, punching a range or listing a file's hot blocks costs what
 * the file has here, not a pass over the map; and with each block where its bytes lie in the
 * mapping, so that reading and writing a copy is a lookup in memory and a lock of its own, not a
 * query of the map (see {@link Slot}).
 */
public final class HotTier implements Tier {
    private static final Logger LOG = Logger.getLogger(HotTier.class.getName());
    static final String FILE = "hot.map";
    /** What the map in {@link #FILE} was made for: its format, block size and capacity. */
    private static final String PARAMS = "hot.params";
    /** The capacity a live resize (a policy's grow-cache or shrink-cache) left, and the configured one it was made from. */
    private static final String RESIZED = "hot.resized";
    private static final int FORMAT = 1;
    private static final int KEY_SIZE = 16;

    private final Path dir;
    private final int blockSize;
    /** Blocks the map was made for: the most the tier can be grown to without a new map. */
    private final long mapBlocks;
    /** The capacity it was opened with (hot-capacity), which a recorded resize must have been made from. */
    private final long configuredBytes;
    /** Blocks it may hold now: a policy grows or shrinks it live, within the map. */
    private volatile long capacityBlocks;
    private long pinnedBlocks;
    private final ChronicleMap<byte[], byte[]> map;
    /** Each block's slot, looked up with the thread's own probe key: no allocation per read or write. */
    private final ConcurrentHashMap<BlockKey, Slot> slots = new ConcurrentHashMap<>();
    /** The blocks of each inode, in order, for what goes over a file's blocks (a delete, a punch, a listing). */
    private final Map<Long, NavigableSet<Long>> byInode = new ConcurrentHashMap<>();
    private final AtomicLong blocks = new AtomicLong();
    /** Entries found without a slot (never, unless the index has a bug; see {@link #put}). */
    private final AtomicLong slotsRepaired = new AtomicLong();
    /** A block of zeros, the value a block gets before its first bytes are written. */
    private final long zeros;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /**
     * A block held here: where its bytes lie in the mapping, and the lock its readers and writers
     * take instead of the map's segment lock. An entry of constant size never moves while it
     * exists (tierfs writes a whole value in place, never through the map), so the address holds
     * until the entry is removed, which marks its slot gone first, under the slot's write lock:
     * a copy in progress ends before the map may reuse the memory, and none begins after. A query
     * of the map (hash the key, lock the segment, search its table, in memory a FUSE round trip
     * left cold) cost a 4 KiB O_DIRECT write into a hot block about 1 us more than this lookup.
     */
    private static final class Slot extends StampedLock {
        final long address;
        /** The entry was removed: its memory may hold another block's bytes. Under the write lock. */
        boolean gone;

        Slot(long address) {
            this.address = address;
        }
    }

    /**
     * A block's key in {@link #slots}. The keys stored there are never changed; each thread looks
     * up with a probe of its own, set for each lookup (a boxed pair of longs cost 48 bytes a call).
     */
    private static final class BlockKey {
        long ino;
        long index;

        BlockKey set(long ino, long index) {
            this.ino = ino;
            this.index = index;
            return this;
        }

        @Override
        public int hashCode() {
            long h = ino * 0x9E3779B97F4A7C15L ^ index;
            return (int) (h ^ (h >>> 32));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof BlockKey k && k.ino == ino && k.index == index;
        }
    }

    /** Each thread's key buffer, probe and the wrappers Chronicle reads keys and values through. */
    private static final class Scratch {
        final BlockKey probe = new BlockKey();
        final long keyAddress = Memory.allocate(KEY_SIZE);
        final PointerBytesStore key = new PointerBytesStore();
        final PointerBytesStore value = new PointerBytesStore();

        Scratch() {
            key.set(keyAddress, KEY_SIZE);
        }
    }

    /** Opens the hot tier in {@code dir} as after a clean shutdown (see {@link #HotTier(Path, int, long, boolean)}). */
    public HotTier(Path dir, int blockSize, long capacityBytes) throws IOException {
        this(dir, blockSize, capacityBytes, capacityBytes, true);
    }

    /**
     * Opens the hot tier in {@code dir}, creating its map if there is none or if the one there was
     * made for another capacity or block size (the hot tier holds copies only: a new one starts
     * empty).
     *
     * @param maxBytes the most it may be grown to live ({@link #resize}): its map is made for that
     * @param clean whether the map was closed cleanly; if not, it is recovered (Chronicle frees the
     *              locks a dead process held), and its copies must be checked before they are used
     */
    public HotTier(Path dir, int blockSize, long capacityBytes, long maxBytes, boolean clean) throws IOException {
        if (capacityBytes < blockSize || maxBytes < capacityBytes) {
            throw new IllegalArgumentException("a hot tier holds at least one block, and at most its map's");
        }
        this.dir = dir;
        this.blockSize = blockSize;
        this.configuredBytes = capacityBytes;
        this.mapBlocks = maxBytes / blockSize;
        this.capacityBlocks = Math.max(1, Math.min(mapBlocks, resizedBytes(dir, capacityBytes) / blockSize));
        Durable.createDirectories(dir);
        this.map = openMap(dir.resolve(FILE).toFile(), clean);
        this.zeros = Memory.allocate(blockSize);
        map.forEachEntry(e -> {
            Data<byte[]> k = e.key();
            long at = k.bytes().addressForRead(k.offset());
            held(IO.getLong(at), IO.getLong(at + 8), valueAddress(e));
            blocks.incrementAndGet();
        });
    }

    private ChronicleMap<byte[], byte[]> openMap(File file, boolean clean) throws IOException {
        ChronicleMapBuilder<byte[], byte[]> builder = ChronicleMapBuilder.of(byte[].class, byte[].class)
            .name("tierfs-hot")
            .constantKeySizeBySample(new byte[KEY_SIZE])
            .constantValueSizeBySample(new byte[blockSize])
            .entries(mapBlocks)
            // tierfs checks blocks with its own checksums; Chronicle's would rehash a whole block
            // on every small write (20x slower in-place writes, measured)
            .checksumEntries(false)
            // a hard bound on the file: full segments refuse rather than grow the file
            .allowSegmentTiering(false)
            .actualSegments((int) Math.max(1, Math.min(8, mapBlocks / 64)))
            .putReturnsNull(true)
            .removeReturnsNull(true);
        Path params = dir.resolve(PARAMS);
        String wanted = params(blockSize, mapBlocks);
        if (file.exists()) {
            if (Files.exists(params) && Files.readString(params).trim().equals(wanted)) {
                try {
                    // recovery is for a map a dead process left: it takes the segment locks back
                    return clean ? builder.createPersistedTo(file) : builder.recoverPersistedTo(file, true);
                } catch (IOException | RuntimeException e) {
                    // torn by a power cut: the copies are lost, never the data (it lives on its own tier)
                }
            }
            Files.delete(file.toPath());
        }
        Durable.writeAtomically(params, out -> out.write((wanted + "\n").getBytes(StandardCharsets.US_ASCII)));
        return builder.createPersistedTo(file);
    }

    /** Whether {@code dir} holds a map made for this block size and capacity (opening it takes no new space). */
    public static boolean exists(Path dir, int blockSize, long capacityBytes) throws IOException {
        Path params = dir.resolve(PARAMS);
        return Files.exists(dir.resolve(FILE)) && Files.exists(params)
            && Files.readString(params).trim().equals(params(blockSize, capacityBytes / blockSize));
    }

    /** About what a new map for {@code capacityBytes} takes on disk: each block's slot and the map's own (measured: 1.1-1.6x). */
    public static long mapBytes(long capacityBytes) {
        return capacityBytes + capacityBytes / 2 + (16L << 20);
    }

    private static String params(int blockSize, long capacityBlocks) {
        return "format=" + FORMAT + " block-size=" + blockSize + " blocks=" + capacityBlocks;
    }

    // ---- the cache operations the block layer uses --------------------------------------------

    /** Copies [offset, offset+length) of the block into {@code address}; false if it is not here. */
    public boolean read(long ino, long index, int offset, long address, int length) {
        Slot slot = slot(ino, index);
        if (slot == null) {
            return false;
        }
        assert offset >= 0 && length >= 0 && offset + length <= blockSize : "past the block";
        long stamp = slot.readLock();
        try {
            if (slot.gone) {
                return false;
            }
            IO.copyMemory(slot.address + offset, address, length);
            return true;
        } finally {
            slot.unlockRead(stamp);
        }
    }

    /** Whether [offset, offset+length) of the block reads as zeros (a block not here does). */
    boolean readsZeros(long ino, long index, int offset, int length) {
        Slot slot = slot(ino, index);
        if (slot == null) {
            return true;
        }
        assert offset >= 0 && length >= 0 && offset + length <= blockSize : "past the block";
        long stamp = slot.readLock();
        try {
            return slot.gone || Memory.isZero(slot.address + offset, length);
        } finally {
            slot.unlockRead(stamp);
        }
    }

    /** Writes into the block if it is here (and only then): the copy follows its block's own tier. */
    public boolean update(long ino, long index, int offset, long address, int length) {
        return write(slot(ino, index), offset, address, length);
    }

    /** Copies into the slot's block unless it is gone (a write lock: readers must not see half a write). */
    private boolean write(Slot slot, int offset, long address, int length) {
        if (slot == null) {
            return false;
        }
        assert offset >= 0 && length >= 0 && offset + length <= blockSize : "past the block";
        long stamp = slot.writeLock();
        try {
            if (!slot.gone) {
                IO.copyMemory(address, slot.address + offset, length);
            }
            return !slot.gone;
        } finally {
            slot.unlockWrite(stamp);
        }
    }

    /** Zeroes part of the block if it is here. */
    public void zeroIfPresent(long ino, long index, int offset, int length) {
        Slot slot = slot(ino, index);
        if (slot != null) {
            assert offset >= 0 && length >= 0 && offset + length <= blockSize : "past the block";
            long stamp = slot.writeLock();
            try {
                if (!slot.gone) {
                    IO.setMemory(slot.address + offset, length, (byte) 0);
                }
            } finally {
                slot.unlockWrite(stamp);
            }
        }
    }

    /** Whether every block of the capacity is taken: a new block would not be stored. */
    public boolean full() {
        return blocks.get() >= capacityBlocks;
    }

    /**
     * Stores a whole block from {@code address}, replacing any copy.
     *
     * @return false if the tier is full (or the block's segment of the map is)
     */
    public boolean put(long ino, long index, long address) {
        if (write(slot(ino, index), 0, address, blockSize)) {
            return true;
        }
        try (ExternalMapQueryContext<byte[], byte[], ?> c = context(ino, index)) {
            c.updateLock().lock();
            if (write(slot(ino, index), 0, address, blockSize)) {
                return true; // a put of the same block came first
            }
            MapEntry<byte[], byte[]> e = c.entry();
            if (e != null) {
                // an entry without a slot is a bug of the index: held again, never inserted twice
                if (slotsRepaired.getAndIncrement() == 0) {
                    LOG.warning("the hot tier's index had lost block " + index + " of inode " + ino + " (repaired)");
                }
                return write(held(ino, index, valueAddress(e)), 0, address, blockSize);
            }
            if (blocks.incrementAndGet() > capacityBlocks) {
                blocks.decrementAndGet();
                return false;
            }
            Scratch s = scratch.get();
            s.value.set(address, blockSize);
            try {
                c.insert(c.absentEntry(), c.wrapValueBytesAsData(s.value, 0, blockSize));
            } catch (RuntimeException notInserted) {
                blocks.decrementAndGet();
                if (notInserted instanceof IllegalStateException) {
                    return false; // its segment is full before the map is
                }
                throw notInserted;
            }
            // under the segment's lock, so that a remove of the same block cannot come between
            held(ino, index, valueAddress(c.entry()));
            return true;
        }
    }

    /** Drops the block's copy; false if there was none. */
    public boolean remove(long ino, long index) {
        try (ExternalMapQueryContext<byte[], byte[], ?> c = context(ino, index)) {
            c.updateLock().lock();
            MapEntry<byte[], byte[]> e = c.entry();
            Slot slot = detach(ino, index);
            if (slot != null) {
                markGone(slot); // waits out the copies in progress
            }
            if (e == null) {
                return false;
            }
            c.remove(e);
            blocks.decrementAndGet();
            return true;
        }
    }

    /**
     * Records a block's slot, and the block among its inode's. The inode's set changes in one step
     * (as in {@link #detach}): a block added while another of its inode leaves must not land in a
     * set just dropped, where no delete or punch of the file would find it.
     */
    private Slot held(long ino, long index, long valueAddress) {
        Slot slot = new Slot(valueAddress);
        slots.put(new BlockKey().set(ino, index), slot);
        byInode.compute(ino, (k, set) -> {
            NavigableSet<Long> s = set == null ? new ConcurrentSkipListSet<>() : set;
            s.add(index);
            return s;
        });
        return slot;
    }

    /** Takes a block's slot out, and the block out of its inode's set (dropped once empty); the slot, or null. */
    private Slot detach(long ino, long index) {
        Slot slot = slots.remove(scratch.get().probe.set(ino, index));
        byInode.computeIfPresent(ino, (k, set) -> {
            set.remove(index);
            return set.isEmpty() ? null : set;
        });
        return slot;
    }

    private static void markGone(Slot slot) {
        long stamp = slot.writeLock();
        slot.gone = true;
        slot.unlockWrite(stamp);
    }

    private Slot slot(long ino, long index) {
        return slots.get(scratch.get().probe.set(ino, index));
    }

    /** The indexes of {@code ino}'s blocks here from {@code from} on (below {@code to}), in order. */
    public void forEachBlock(long ino, long from, long to, LongConsumer action) {
        NavigableSet<Long> set = byInode.get(ino);
        if (set != null && from < to) {
            for (long index : set.subSet(from, true, to, false)) {
                action.accept(index);
            }
        }
    }

    /** Whether the block is here (from memory: no lookup in the map). */
    public boolean holds(long ino, long index) {
        return slot(ino, index) != null;
    }

    /** Writes the map's changed pages to its file and waits for them (msync). */
    void msync() {
        ((VanillaChronicleHash<?, ?, ?, ?>) map).msync();
    }

    /** How many entries {@link #put} found without a slot: 0 unless the index has a bug. */
    long slotsRepaired() {
        return slotsRepaired.get();
    }

    /** Blocks held now. */
    public long blockCount() {
        return blocks.get();
    }

    public long capacityBlocks() {
        return capacityBlocks;
    }

    /** The most {@link #resize} may grow it to. */
    public long maxCapacityBytes() {
        return mapBlocks * blockSize;
    }

    /**
     * Grows or shrinks what the tier may hold, live, to {@code bytes} (whole blocks, at least one
     * and what pins hold, at most its map's), and records it for the next mount. Shrunk below what
     * it holds, it takes no new block until the migrator has moved the excess down (it follows the
     * capacity at its next round).
     *
     * @return the capacity now, in bytes
     */
    public synchronized long resize(long bytes) throws IOException {
        long next = Math.max(Math.max(1, pinnedBlocks), Math.min(mapBlocks, bytes / blockSize));
        if (next != capacityBlocks) {
            // recorded first: a resize that could not be kept is not made
            String line = "configured=" + configuredBytes + " now=" + next * blockSize + "\n";
            Durable.writeAtomically(dir.resolve(RESIZED), out -> out.write(line.getBytes(StandardCharsets.US_ASCII)));
            capacityBlocks = next;
        }
        return capacityBytes();
    }

    /**
     * The capacity a live resize left, kept across mounts while the configured one is the same
     * (a new {@code hot-capacity} is the operator's word, and starts from it); {@code configured}
     * if there was none.
     */
    private static long resizedBytes(Path dir, long configured) throws IOException {
        Path file = dir.resolve(RESIZED);
        if (!Files.exists(file)) {
            return configured;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("configured=(\\d+) now=(\\d+)")
            .matcher(Files.readString(file, StandardCharsets.US_ASCII).trim());
        return m.matches() && Long.parseLong(m.group(1)) == configured ? Long.parseLong(m.group(2)) : configured;
    }

    /**
     * Keeps room for {@code blocks} blocks of pinned files (user.tierfs.pin=hot), which a shrink
     * leaves; false if the capacity now is smaller (then it keeps all it has).
     */
    public synchronized boolean keepForPins(long blocks) {
        pinnedBlocks = Math.min(blocks, capacityBlocks);
        return blocks <= capacityBlocks;
    }

    /** The least {@link #resize} leaves: one block, or what pins hold ({@link #keepForPins}). */
    public synchronized long minCapacityBytes() {
        return Math.max(1, pinnedBlocks) * blockSize;
    }

    private ExternalMapQueryContext<byte[], byte[], ?> context(long ino, long index) {
        Scratch s = scratch.get();
        IO.putLong(s.keyAddress, ino);
        IO.putLong(s.keyAddress + 8, index);
        return map.queryContext(s.key, 0, KEY_SIZE);
    }

    private static long valueAddress(MapEntry<byte[], byte[]> e) {
        Data<byte[]> v = e.value();
        return v.bytes().addressForRead(v.offset());
    }

    // ---- the Tier contract ---------------------------------------------------------------------

    @Override
    public String name() {
        return "hot";
    }

    @Override
    public TierFile open(long ino) {
        return new HotTierFile(this, ino, blockSize);
    }

    /** A block of zeros of the block size, never written to. */
    long zeros() {
        return zeros;
    }

    /** Makes the block exist here, zeroed, unless it does. */
    void ensure(long ino, long index) throws IOException {
        if (!holds(ino, index) && !put(ino, index, zeros)) {
            throw new NativeIOException("the hot tier is full", Errno.ENOSPC);
        }
    }

    @Override
    public void delete(long ino) {
        NavigableSet<Long> set = byInode.get(ino);
        if (set != null) {
            for (long index : set.toArray(new Long[0])) {
                remove(ino, index);
            }
        }
    }

    /** Copies need no durable deletion: after a crash the hot tier is checked against their tiers. */
    @Override
    public void syncDeletes() {
    }

    @Override
    public long[] storedInodes() {
        long[] inodes = byInode.keySet().stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(inodes);
        return inodes;
    }

    long[] storedBlocks(long ino) {
        NavigableSet<Long> set = byInode.get(ino);
        return set == null ? new long[0] : set.stream().mapToLong(Long::longValue).toArray();
    }

    @Override
    public long capacityBytes() {
        return capacityBlocks * blockSize;
    }

    @Override
    public long freeBytes(long usedBytes) {
        return Math.max(0, capacityBlocks * blockSize - usedBytes);
    }

    @Override
    public Path location() {
        return dir;
    }

    @Override
    public TierFeatures features() {
        return TierFeatures.complete("chronicle-map");
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public void checkHealth() {
        // memory and a file of its own: nothing to go away under it
    }

    /** Closes the map; every thread that reads or writes it must have stopped (a read of an unmapped map crashes the JVM). */
    @Override
    public void close() {
        // a copy begun after this (a request the shutdown did not wait out) finds its block gone
        // rather than the unmapped memory
        slots.values().forEach(HotTier::markGone);
        map.close();
        Memory.free(zeros);
    }

    @Override
    public String toString() {
        return "hot tier at " + dir;
    }
}
