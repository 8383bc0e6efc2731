package io.tierfs.block;

import io.tierfs.nativeio.Memory;
import io.tierfs.tier.HotTier;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Moves blocks between tiers for the migrator, by the rule of ARCHITECTURE.md: copy, verify,
 * switch the block map only if no write came meanwhile, then free the old copy. A write that
 * races a move always wins (the move gives up and tries again later); a reader never finds a
 * freed copy (the old one goes only once the reads that might use it are done); a crash at any
 * moment leaves the block whole in one place or the other. One mover per thread: it owns a
 * block-sized buffer.
 */
public final class BlockMover implements AutoCloseable {
    /** How a promotion into the hot tier ended. */
    public enum Promotion {
        /** The block has a hot copy now (or had one already). */
        DONE,
        /** A write came meanwhile, or the block went: nothing changed. */
        SPOILED,
        /** The hot tier is full: room must be made first. */
        NO_ROOM
    }

    private final BlockStore store;
    private final int blockSize;
    private final long buffer;
    private final ByteBuffer bufferView;
    private final CRC32C crc = new CRC32C();

    public BlockMover(BlockStore store) {
        this.store = store;
        this.blockSize = store.blockSize();
        this.buffer = Memory.allocate(blockSize);
        this.bufferView = Memory.IO.newDirectByteBuffer(buffer, blockSize);
    }

    /**
     * Moves block {@code index} of {@code file} to directory tier {@code to}: the copy is written,
     * synced and read back from the tier (its cached pages dropped first) before the block map
     * points at it, and the switch is committed synced before the old copy is freed.
     *
     * @return the bytes moved: the block size, or 0 if the block is gone, already there, or a
     *     write came meanwhile
     */
    public long move(FileBlocks file, long index, int to) throws IOException {
        FileBlocks.MoveTicket t = file.beginMove(index);
        if (t == null) {
            return 0;
        }
        int from = t.ref.tier();
        boolean switched = false;
        try {
            if (from == to) {
                return 0;
            }
            store.epochs().synchronize(); // writes that began before the ticket are done
            file.tierFile(from).read(index, 0, buffer, blockSize);
            int sum = checksum();
            TierFile dest = file.tierFile(to);
            writeCopy(dest, store.tier(to).features().punchHole(), index);
            dest.sync(); // the copy is durable before the map points at it
            dest.dropCache(index, 0, blockSize);
            dest.read(index, 0, buffer, blockSize);
            if (checksum() != sum) {
                throw new IOException("block " + index + " of inode " + file.ino() + " read back from tier " + to
                    + " differs from what was written there");
            }
            switched = file.finishMove(t, t.ref.onTier(to));
        } finally {
            file.cancelMove(t);
            if (!switched && from != to) {
                file.discardUnused(index, to);
            }
        }
        if (!switched) {
            return 0;
        }
        store.epochs().synchronize(); // reads that found the old place are done
        // unless the file was cut meanwhile and a new block took the old slot
        file.discardUnused(index, from);
        return blockSize;
    }

    /**
     * Puts a copy of block {@code index} into the hot tier and marks it there, unless a write
     * came meanwhile; the block's own tier then drops its cached pages (memory is spent once).
     *
     */
    public Promotion promote(FileBlocks file, long index) throws IOException {
        HotTier hot = store.hot();
        FileBlocks.MoveTicket t = file.beginMove(index);
        if (t == null) {
            return Promotion.SPOILED;
        }
        try {
            if (t.ref.hot()) {
                return Promotion.DONE;
            }
            store.epochs().synchronize();
            TierFile own = file.tierFile(t.ref.tier());
            own.read(index, 0, buffer, blockSize);
            if (!hot.put(file.ino(), index, buffer)) {
                return Promotion.NO_ROOM;
            }
            if (!file.finishMove(t, t.ref.withHot(true))) {
                hot.remove(file.ino(), index);
                return Promotion.SPOILED;
            }
            own.dropCache(index, 0, blockSize);
            return Promotion.DONE;
        } finally {
            file.cancelMove(t);
        }
    }

    /** Drops the hot copy of block {@code index}: reads go to the block's own tier again. */
    public void evict(FileBlocks file, long index) {
        file.unmarkHot(index);
        store.hot().remove(file.ino(), index);
    }

    /**
     * Writes the block in the buffer to {@code dest}. Where freed slots are punched out, the slot
     * is a hole already, and only the pages holding something are written: a sparse block stays
     * sparse (its holes still seen by SEEK_HOLE, its space not taken); elsewhere all of it.
     */
    private void writeCopy(TierFile dest, boolean slotIsHole, long index) throws IOException {
        if (!slotIsHole) {
            dest.writeNew(index, 0, buffer, blockSize);
            return;
        }
        for (int page = 0; page < blockSize; ) {
            while (page < blockSize && Memory.isZero(buffer + page, PAGE)) {
                page += PAGE;
            }
            int start = page;
            while (page < blockSize && !Memory.isZero(buffer + page, PAGE)) {
                page += PAGE;
            }
            if (page > start) {
                dest.write(index, start, buffer + start, page - start);
            }
        }
    }

    private static final int PAGE = 4096;

    private int checksum() {
        crc.reset();
        bufferView.clear();
        crc.update(bufferView);
        return (int) crc.getValue();
    }

    @Override
    public void close() {
        Memory.free(buffer);
    }
}
