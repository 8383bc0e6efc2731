package io.tierfs.block;

import io.tierfs.nativeio.Memory;
import io.tierfs.tier.TierFile;
import java.io.IOException;

/**
 * The reads of one file's blocks from their tiers, verified: sealed raw blocks against the page
 * sums of the pages a read touches, compressed blocks against the checksum of their stored bytes,
 * read whole and decompressed. A block whose bytes fail is read again if its reference changed
 * meanwhile (a move, a write that unsealed or expanded it), and is otherwise a checksum failure:
 * reported once per bad copy ({@link Seals}). A block with a replica is then read from there
 * (also when its own tier fails the read), verified the same way, and the bad copy is handed to
 * the sealer to be rewritten from the good one; without one, or if both fail, the reader gets
 * EIO ({@link ChecksumMismatch}), never the bad bytes.
 */
final class VerifiedReads {
    /** The file's lock: a write expanding a compressed block holds it while the slot is rewritten. */
    private final Object owner;
    private final BlockTable table;
    private final TierFile[] files;
    private final BlockStore store;
    private final Seals seals;
    private final long ino;
    private final int blockSize;

    VerifiedReads(Object owner, BlockTable table, TierFile[] files, BlockStore store, long ino) {
        this.owner = owner;
        this.table = table;
        this.files = files;
        this.store = store;
        this.seals = store.seals();
        this.ino = ino;
        this.blockSize = store.blockSize();
    }

    /** Reads a run of blocks like {@code first} from their tier, verified; a compressed block is a run of its own. */
    void readRun(BlockRef first, long index, int inBlock, long address, int n) throws IOException {
        if (first.compressed()) {
            readPart(first, index, inBlock, address, n);
            return;
        }
        try {
            files[first.tier()].read(index, inBlock, address, n);
        } catch (IOException e) {
            readEach(index, inBlock, address, n); // block by block: those with a replica are read from there
            return;
        }
        verifyRun(index, inBlock, address, n);
    }

    /** Reads a run block by block, each as it is now ({@link #readPart}). */
    private void readEach(long index, int inBlock, long address, int n) throws IOException {
        long pos = inBlock;
        for (long i = index; pos < inBlock + n; i++) {
            long to = Math.min(inBlock + n, (i - index + 1) * blockSize);
            int start = (int) (pos - (i - index) * blockSize);
            readPart(table.get(i), i, start, address + (pos - inBlock), (int) (to - pos));
            pos = to;
        }
    }

    /**
     * Checks what was just read from {@code tier} into {@code address}, {@code n} bytes from
     * {@code inBlock} of block {@code index} on, against the page sums of the sealed blocks among
     * them. A page read only in part is read whole into a scratch page, checked there, and the
     * part copied from it, so what the reader gets is what was checked. A block whose reference
     * changed meanwhile (moved, or unsealed by a write: either makes a new reference) is read again
     * as it is now; one that still fails is a checksum failure: EIO, and the bytes are not given.
     */
    private void verifyRun(long index, int inBlock, long address, int n) throws IOException {
        long pos = inBlock;
        for (long i = index; pos < inBlock + n; i++) {
            long from = Math.max(pos, (i - index) * blockSize);
            long to = Math.min(inBlock + n, (i - index + 1) * blockSize);
            int start = (int) (from - (i - index) * blockSize);
            long at = address + (from - inBlock);
            int length = (int) (to - from);
            BlockRef ref = table.get(i);
            if (ref != null && ref.compressed()) {
                readPart(ref, i, start, at, length); // moved and compressed since: read as it is now
            } else if (ref != null && ref.sealed() && !pagesMatch(ref, ref.tier(), i, start, at, length)) {
                BlockRef now = refAfterFailure(i);
                if (now != ref) {
                    readPart(now, i, start, at, length);
                } else if (!fromReplica(ref, i, start, at, length, "stored bytes fail their checksum")) {
                    throw checksumFailure(ref, i);
                }
            }
            pos = to;
        }
    }

    /**
     * Reads {@code length} bytes from {@code start} of block {@code index}, as {@code ref} names it
     * (a hole, a raw block, or a compressed one, which is read whole), to {@code at}, verified. A
     * block whose reference changed meanwhile is read again as it is now, at most twice.
     */
    void readPart(BlockRef ref, long index, int start, long at, int length) throws IOException {
        for (int tries = 0; ; tries++) {
            if (ref == null) {
                Memory.IO.setMemory(at, length, (byte) 0);
                return;
            }
            boolean intact;
            try {
                intact = readCopy(ref, ref.tier(), index, start, at, length);
            } catch (IOException e) {
                if (fromReplica(ref, index, start, at, length, "its tier failed the read: " + e.getMessage())) {
                    return;
                }
                throw e;
            }
            if (intact) {
                return;
            }
            BlockRef now = refAfterFailure(index);
            if (now == ref || tries == 2) {
                if (fromReplica(ref, index, start, at, length, "stored bytes fail their checksum")) {
                    return;
                }
                throw checksumFailure(ref, index);
            }
            ref = now;
        }
    }

    /**
     * Reads {@code length} bytes from {@code start} of block {@code index} from its copy on
     * {@code tier} (its own tier's or its replica's: the same stored bytes) to {@code at}; whether
     * they match its checksums.
     */
    private boolean readCopy(BlockRef ref, int tier, long index, int start, long at, int length) throws IOException {
        if (ref.compressed()) {
            CompressedBlocks.Buffers b = store.compressed().buffers();
            if (!store.compressed().readWhole(files[tier], ref, index, b.rawAddress)) {
                return false;
            }
            Memory.IO.copyMemory(b.rawAddress + start, at, length);
            return true;
        }
        files[tier].read(index, start, at, length);
        return !ref.sealed() || pagesMatch(ref, tier, index, start, at, length);
    }

    /**
     * Serves a read whose copy on the block's own tier failed ({@code what}) from the block's
     * replica, if it has one and that is intact: the failure is reported, and the bad copy handed
     * to the sealer to be rewritten from the good one; a block changed meanwhile is read as it is
     * now. False if there is no good replica (a bad one is reported too).
     */
    private boolean fromReplica(BlockRef ref, long index, int start, long at, int length, String what)
        throws IOException {
        if (ref.replica() < 0) {
            return false;
        }
        boolean intact;
        try {
            intact = readCopy(ref, ref.replica(), index, start, at, length);
        } catch (IOException e) {
            intact = false;
        }
        if (intact) {
            seals.servedFromReplica(ino, index, ref, what);
            return true;
        }
        BlockRef now = refAfterFailure(index);
        if (now != ref) {
            // a write unsealed the block (and freed its replica) meanwhile: read it as it is now
            readPart(now, index, start, at, length);
            return true;
        }
        seals.failed(ino, index, ref, ref.replica(), "its replica fails too: unrecoverable");
        return false;
    }

    /**
     * The block's reference after its bytes failed their checksum: taken under this object's lock,
     * so that a failure seen while a write expanded a compressed block in place (under the lock)
     * finds the new reference, not the one it read with.
     */
    private BlockRef refAfterFailure(long index) {
        synchronized (owner) {
            return table.get(index);
        }
    }

    ChecksumMismatch checksumFailure(BlockRef ref, long index) {
        seals.failed(ino, index, ref, ref.tier(), "stored bytes fail their checksum"
            + (ref.replica() >= 0 ? ", and so do its replica's" : "") + "; reads of that block fail with EIO");
        return new ChecksumMismatch(ino, index, ref.tier());
    }

    /**
     * Whether {@code length} bytes from {@code start} of block {@code index}, read from its copy on
     * {@code tier} to {@code at}, match {@code ref}'s page sums.
     */
    private boolean pagesMatch(BlockRef ref, int tier, long index, int start, long at, int length) throws IOException {
        PageSums sums = PageSums.local();
        int unit = BlockRef.SUM_UNIT;
        int end = start + length;
        for (int page = start / unit * unit; page < end; page += unit) {
            int pageLength = Math.min(unit, ref.storedLength() - page);
            int sum;
            if (page >= start && page + pageLength <= end) {
                sum = sums.sum(at + (page - start), pageLength);
            } else {
                files[tier].read(index, page, sums.scratch(), pageLength);
                sum = sums.sumScratch(pageLength);
                int from = Math.max(page, start);
                Memory.IO.copyMemory(sums.scratch() + (from - page), at + (from - start), Math.min(page + pageLength, end) - from);
            }
            if (sum != ref.pageSums()[page / unit]) {
                return false;
            }
        }
        return true;
    }
}
