package io.tierfs.placement;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.function.LongToIntFunction;

/**
 * The level changes not yet drained, as (key, level it left) in order. Draining keeps each key's
 * first entry, which names where its data physically was at the last drain, compares that with
 * where the key belongs now, and reports only the keys that differ: a block that went up and came
 * back down reports nothing. {@link #GONE} marks a block deleted (nothing to move) or placed anew by
 * the data path; the entry after it, if any, says where its new data was put.
 */
final class ChangeLog {
    /** The block stopped existing: no physical level to move it from. */
    static final byte GONE = -1;

    private long[] keys = new long[64];
    private byte[] from = new byte[64];
    private int count;

    void record(long key, int levelLeft) {
        if (count == keys.length) {
            keys = Arrays.copyOf(keys, count * 2);
            from = Arrays.copyOf(from, count * 2);
        }
        keys[count] = key;
        from[count] = (byte) levelLeft;
        count++;
    }

    int pending() {
        return count;
    }

    /** Reports each key whose level now ({@code levelOf}) differs from its physical level, then empties the log. */
    void drain(LongToIntFunction levelOf, TierPolicy.ChangeSink sink) {
        long[] distinct = new long[count];
        byte[] physical = new byte[count];
        KeyIndex seen = new KeyIndex(count);
        int distinctCount = 0;
        for (int i = 0; i < count; i++) {
            int d = seen.get(keys[i], distinct);
            if (d == KeyIndex.ABSENT) {
                distinct[distinctCount] = keys[i];
                physical[distinctCount] = from[i];
                seen.put(distinctCount++, distinct);
            } else if (from[i] == GONE || physical[d] == GONE) {
                physical[d] = from[i];
            }
        }
        count = 0;
        for (int d = 0; d < distinctCount; d++) {
            int now = levelOf.applyAsInt(distinct[d]);
            if (physical[d] != GONE && now != physical[d]) {
                sink.moved(distinct[d], now);
            }
        }
    }

    void save(DataOutput out) throws IOException {
        out.writeInt(count);
        for (int i = 0; i < count; i++) {
            out.writeLong(keys[i]);
            out.writeByte(from[i]);
        }
    }

    void load(DataInput in) throws IOException {
        count = 0;
        for (int i = in.readInt(); i > 0; i--) {
            record(in.readLong(), in.readByte());
        }
    }
}
