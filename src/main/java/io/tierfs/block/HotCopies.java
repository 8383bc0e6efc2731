package io.tierfs.block;

import io.tierfs.meta.Keys;
import io.tierfs.nativeio.Memory;
import io.tierfs.tier.HotTier;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * At every mount, before it serves: every copy in the hot tier is checked, and dropped if it
 * fails or its block is gone. A sealed raw block's copy is checked against its page sums (a write
 * unseals a block, durably, before its bytes go anywhere, so a sealed record names the bytes the
 * copy must hold); any other against its block's own copy, a compressed one decompressed (which is what a write reaches first,
 * and what fsync makes durable). A write a crash cut between the tier and the copy leaves them
 * different; so may a power cut, which writes the map's pages back in no particular order.
 */
public final class HotCopies {
    private HotCopies() {
    }

    /** Reads the block's own copy raw (a compressed one decompressed, checked); false if it fails its checksum. */
    private static boolean readOwn(BlockStore store, TierFile file, BlockRef ref, long index, long own) throws IOException {
        if (ref.compressed()) {
            return store.compressed().readWhole(file, ref, index, own);
        }
        file.read(index, 0, own, store.blockSize());
        return true;
    }

    /** Checks every hot copy; returns how many were dropped. */
    public static int verify(BlockStore store) throws IOException {
        HotTier hot = store.hot();
        int bs = store.blockSize();
        long own = Memory.allocate(bs);
        long copy = Memory.allocate(bs);
        ByteBuffer ownView = Memory.IO.newDirectByteBuffer(own, bs);
        ByteBuffer copyView = Memory.IO.newDirectByteBuffer(copy, bs);
        PageSums sums = new PageSums();
        int dropped = 0;
        try {
            for (long ino : hot.storedInodes()) {
                List<Long> indexes = new ArrayList<>();
                hot.forEachBlock(ino, 0, Long.MAX_VALUE, indexes::add);
                for (long index : indexes) {
                    byte[] record = store.meta().get(Keys.block(ino, index));
                    boolean same = false;
                    if (record != null && hot.read(ino, index, 0, copy, bs)) {
                        BlockRef ref = BlockRef.decode(record);
                        if (ref.sealed() && !ref.compressed()) {
                            same = Arrays.equals(sums.of(copy, bs), ref.pageSums());
                        } else {
                            try (TierFile file = store.tier(ref.tier()).open(ino)) {
                                same = readOwn(store, file, ref, index, own) && ownView.clear().equals(copyView.clear());
                            }
                        }
                    }
                    if (!same) {
                        hot.remove(ino, index);
                        dropped++;
                    }
                }
            }
        } finally {
            Memory.free(own);
            Memory.free(copy);
        }
        return dropped;
    }
}
