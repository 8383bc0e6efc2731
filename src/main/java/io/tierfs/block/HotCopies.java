package io.tierfs.block;

import io.tierfs.meta.Keys;
import io.tierfs.nativeio.Memory;
import io.tierfs.tier.HotTier;
import io.tierfs.tier.TierFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * After a crash, before the mount serves: every copy in the hot tier is checked against its
 * block's own tier (which is what a write reaches first, and what fsync makes durable), and
 * dropped if it differs or its block is gone. A write the crash cut between the two leaves them
 * different; so may a power cut, which writes the map's pages back in no particular order.
 */
public final class HotCopies {
    private HotCopies() {
    }

    /** Checks every hot copy; returns how many were dropped. */
    public static int verify(BlockStore store) throws IOException {
        HotTier hot = store.hot();
        int bs = store.blockSize();
        long own = Memory.allocate(bs);
        long copy = Memory.allocate(bs);
        ByteBuffer ownView = Memory.IO.newDirectByteBuffer(own, bs);
        ByteBuffer copyView = Memory.IO.newDirectByteBuffer(copy, bs);
        int dropped = 0;
        try {
            for (long ino : hot.storedInodes()) {
                List<Long> indexes = new ArrayList<>();
                hot.forEachBlock(ino, 0, Long.MAX_VALUE, indexes::add);
                for (long index : indexes) {
                    byte[] record = store.meta().get(Keys.block(ino, index));
                    boolean same = false;
                    if (record != null && hot.read(ino, index, 0, copy, bs)) {
                        try (TierFile file = store.tier(BlockRef.decode(record).tier()).open(ino)) {
                            file.read(index, 0, own, bs);
                        }
                        same = ownView.clear().equals(copyView.clear());
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
