package io.tierfs.block;

import io.tierfs.nativeio.Memory;
import io.tierfs.tier.TierFile;
import java.io.IOException;

/**
 * The reads of one file's blocks from their tiers, verified: sealed raw blocks against the page
 * sums of the pages a read touches, compressed blocks against the checksum of their stored bytes,
 * read whole and decompressed. A block whose bytes fail is read again if its reference changed
 * meanwhile (a move, a write that unsealed or expanded it), and is otherwise a checksum failure:
 * reported once per bad copy ({@link Seals}) and EIO to the reader ({@link ChecksumMismatch}).
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
        } else {
            files[first.tier()].read(index, inBlock, address, n);
            verifyRun(index, inBlock, address, n);
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
            } else if (ref != null && ref.sealed() && !pagesMatch(ref, i, start, at, length)) {
                BlockRef now = refAfterFailure(i);
                if (now == ref) {
                    throw checksumFailure(ref, i);
                }
                readPart(now, i, start, at, length);
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
            if (ref.compressed()) {
                CompressedBlocks.Buffers b = store.compressed().buffers();
                intact = store.compressed().readWhole(files[ref.tier()], ref, index, b.rawAddress);
                if (intact) {
                    Memory.IO.copyMemory(b.rawAddress + start, at, length);
                }
            } else {
                files[ref.tier()].read(index, start, at, length);
                intact = !ref.sealed() || pagesMatch(ref, index, start, at, length);
            }
            if (intact) {
                return;
            }
            BlockRef now = refAfterFailure(index);
            if (now == ref || tries == 2) {
                throw checksumFailure(ref, index);
            }
            ref = now;
        }
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
        seals.failed(ino, index, ref, "stored bytes fail their checksum");
        return new ChecksumMismatch(ino, index, ref.tier());
    }

    /** Whether {@code length} bytes from {@code start} of block {@code index}, read to {@code at}, match {@code ref}'s page sums. */
    private boolean pagesMatch(BlockRef ref, long index, int start, long at, int length) throws IOException {
        PageSums sums = PageSums.local();
        int unit = BlockRef.SUM_UNIT;
        int end = start + length;
        for (int page = start / unit * unit; page < end; page += unit) {
            int pageLength = Math.min(unit, ref.storedLength() - page);
            int sum;
            if (page >= start && page + pageLength <= end) {
                sum = sums.sum(at + (page - start), pageLength);
            } else {
                files[ref.tier()].read(index, page, sums.scratch(), pageLength);
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
