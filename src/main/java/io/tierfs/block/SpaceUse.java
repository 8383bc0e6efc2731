package io.tierfs.block;

import io.tierfs.codec.Codec;
import io.tierfs.codec.ContentClass;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the blocks take, counted in memory as their records come and go (rebuilt from the block map
 * at each mount): per tier, the slots its copies hold (a block's own and its replica) and the
 * bytes they take there, which for a compressed copy are its stored bytes (the rest of its slot is
 * a hole); and per codec and per content class, the bytes the blocks hold and the bytes their own
 * copies take. No lock: one atomic add per counter, on the slow paths that change a record.
 */
final class SpaceUse {
    private static final ContentClass[] CLASSES = ContentClass.values();

    private final int blockSize;
    private final AtomicLongArray slots;
    private final AtomicLongArray stored;
    private final AtomicLongArray logicalByCodec = new AtomicLongArray(Codec.values().length);
    private final AtomicLongArray storedByCodec = new AtomicLongArray(Codec.values().length);
    /** Index 0: blocks not classified since their last write; then one per {@link ContentClass}. */
    private final AtomicLongArray logicalByClass = new AtomicLongArray(CLASSES.length + 1);
    private final AtomicLongArray storedByClass = new AtomicLongArray(CLASSES.length + 1);
    private final AtomicLong blocks = new AtomicLong();
    private final AtomicLong sealed = new AtomicLong();

    SpaceUse(int blockSize, int tiers) {
        this.blockSize = blockSize;
        this.slots = new AtomicLongArray(tiers);
        this.stored = new AtomicLongArray(tiers);
    }

    /** Block record {@code ref} came ({@code sign} 1) or went (-1). */
    void count(BlockRef ref, int sign) {
        long bytes = (long) sign * ref.storedLength();
        slots.addAndGet(ref.tier(), sign);
        stored.addAndGet(ref.tier(), bytes);
        if (ref.replica() >= 0) {
            slots.addAndGet(ref.replica(), sign);
            stored.addAndGet(ref.replica(), bytes);
        }
        logicalByCodec.addAndGet(ref.codec(), (long) sign * blockSize);
        storedByCodec.addAndGet(ref.codec(), bytes);
        logicalByClass.addAndGet(ref.contentClass() + 1, (long) sign * blockSize);
        storedByClass.addAndGet(ref.contentClass() + 1, bytes);
        blocks.addAndGet(sign);
        if (ref.sealed()) {
            sealed.addAndGet(sign);
        }
    }

    /** A record changed from {@code from} to {@code to}. */
    void change(BlockRef from, BlockRef to) {
        count(from, -1);
        count(to, 1);
    }

    /** Bytes the copies on {@code tier} take. */
    long stored(int tier) {
        return stored.get(tier);
    }

    /** Slots of {@code tier} that hold a copy. */
    long slots(int tier) {
        return slots.get(tier);
    }

    /** The volume's blocks, sealed and not; their bytes and what they take, per codec and per content class. */
    Map<String, Object> summary() {
        Map<String, Object> out = new LinkedHashMap<>();
        long all = blocks.get();
        long sealedNow = sealed.get();
        out.put("blocks", all);
        out.put("sealedBlocks", sealedNow);
        out.put("unsealedBlocks", all - sealedNow);
        out.put("byCodec", byCodec());
        out.put("byClass", byClass());
        return out;
    }

    /** Per codec ("none", "lz4", "zstd"): logical and stored bytes and their ratio. */
    private Map<String, Object> byCodec() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Codec c : Codec.values()) {
            out.put(c.name().toLowerCase(Locale.ROOT), ratio(logicalByCodec.get(c.id), storedByCodec.get(c.id)));
        }
        return out;
    }

    /** Per content class ("text", ..., and "unclassified"): logical and stored bytes and their ratio. */
    private Map<String, Object> byClass() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (ContentClass c : CLASSES) {
            out.put(c.name().toLowerCase(Locale.ROOT), ratio(logicalByClass.get(c.ordinal() + 1),
                storedByClass.get(c.ordinal() + 1)));
        }
        out.put("unclassified", ratio(logicalByClass.get(0), storedByClass.get(0)));
        return out;
    }

    private static Map<String, Object> ratio(long logical, long stored) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("logicalBytes", logical);
        out.put("storedBytes", stored);
        out.put("ratio", stored == 0 ? 1.0 : Math.round(100.0 * logical / stored) / 100.0);
        return out;
    }
}
