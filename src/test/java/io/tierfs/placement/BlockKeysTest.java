package io.tierfs.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BlockKeysTest {

    @ParameterizedTest
    @ValueSource(longs = {4096, 65536, 131072, 1 << 20, 4 << 20})
    void packsAndUnpacksEveryBlockOfTheLargestFile(long blockSize) {
        BlockKeys keys = new BlockKeys(blockSize);
        long lastIndex = (1L << 44) / blockSize - 1;
        int indexBits = 44 - Long.numberOfTrailingZeros(blockSize);
        assertEquals(Long.MAX_VALUE >>> indexBits, keys.maxIno());
        for (long ino : new long[] {1, 2, 12345, keys.maxIno()}) {
            for (long index : new long[] {0, 1, lastIndex}) {
                long key = keys.pack(ino, index);
                assertTrue(key >= 0);
                assertEquals(ino, keys.inoOf(key));
                assertEquals(index, keys.indexOf(key));
            }
        }
        assertNotEquals(keys.pack(1, lastIndex), keys.pack(2, 0));
        assertThrows(IllegalArgumentException.class, () -> keys.pack(1, lastIndex + 1));
    }

    @ParameterizedTest
    @ValueSource(longs = {4096, 131072, 4 << 20})
    void anInodeTooLargeIsLeftUntracked(long blockSize) {
        BlockKeys keys = new BlockKeys(blockSize);
        assertEquals(BlockKeys.UNTRACKED, keys.pack(keys.maxIno() + 1, 0));
        assertEquals(BlockKeys.UNTRACKED, keys.pack(Long.MAX_VALUE, 3));
        assertEquals(BlockKeys.UNTRACKED, keys.pack(-1, 0));
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 2048, 8 << 20, 3 * 4096, -4096})
    void refusesBlockSizesTierfsDoesNotMake(long blockSize) {
        assertThrows(IllegalArgumentException.class, () -> new BlockKeys(blockSize));
    }
}
