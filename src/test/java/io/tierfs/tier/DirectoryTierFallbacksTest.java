package io.tierfs.tier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tierfs.testutil.NativeBuffer;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The tier contract for a {@link DirectoryTier} whose filesystem has none of the optional features
 * (as on a FUSE filesystem like LazyFS): no fallocate, no punch hole, no SEEK_HOLE, no size
 * reported. Every fallback must keep the contract.
 */
class DirectoryTierFallbacksTest extends TierContractTest {

    @Override
    protected Tier newTier(Path dir, int blockSize, long limitBytes) throws IOException {
        return DirectoryTier.restricted("test", dir, blockSize, limitBytes,
            f -> new TierFeatures(f.filesystem(), f.reportsSize(), false, false, false, false));
    }

    @Test
    void aTierWithoutHolesToSeekCallsEveryByteData() throws IOException {
        TierFile f = open(tier, 50);
        write(f, 2, 100, NativeBuffer.pattern(50, 10));
        assertEquals(0, f.seek(2, 0, true), "all data: from where the search starts");
        assertEquals(BS, f.seek(2, 0, false), "no hole inside the block");
    }

    @Test
    void withoutFallocateOrPunchAReservationWritesZerosOverAnOldBlock() throws IOException {
        TierFile f = open(tier, 51);
        for (long i = 0; i < 3; i++) {
            write(f, i, 0, NativeBuffer.pattern(i, BS));
        }
        f.discard(1, 2); // in the middle: no space freed, the bytes stay
        f.reserve(1);
        assertArrayEquals(new byte[BS], read(f, 1, 0, BS));
        assertArrayEquals(NativeBuffer.pattern(2, BS), read(f, 2, 0, BS), "the next block is untouched");
    }
}
