package io.tierfs.migration;

import io.tierfs.nativeio.Errno;
import io.tierfs.tier.HotTier;
import io.tierfs.namespace.FsException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Files pinned to a tier (user.tierfs.pin): their blocks leave the placement policy and stay where
 * the pin says. A pin is refused (ENOSPC) when the tier cannot hold the file beside what is pinned
 * there already. The FUSE workers pin; the migrator learns of each change from {@link #changes}
 * and moves the blocks.
 */
final class Pins {
    static final int HOT = 0, SSD = 1, HDD = 2;

    /** A pin or unpin for the migrator: {@code tier} is -1 for unpinned. */
    record Change(long ino, int tier) {
    }

    /** The hot tier, whose capacity a policy may change live; null for none. */
    private final HotTier hot;
    /** What pins may take of ssd and hdd, in blocks. */
    private final long ssdBlocks, hddBlocks;
    /** Blocks of pinned files counted against each tier. */
    private final long[] pinnedBlocks = new long[3];
    private final Map<Long, long[]> pinned = new ConcurrentHashMap<>(); // ino -> {tier, blocks}
    final ConcurrentLinkedQueue<Change> changes = new ConcurrentLinkedQueue<>();

    /**
     * @param hot the hot tier, or null: what pins take of it is kept from a shrink ({@link HotTier#keepForPins})
     * @param ssdBlocks what pins may take of ssd, in blocks
     * @param hddBlocks what pins may take of hdd, in blocks
     */
    Pins(HotTier hot, long ssdBlocks, long hddBlocks) {
        this.hot = hot;
        this.ssdBlocks = ssdBlocks;
        this.hddBlocks = hddBlocks;
    }

    static int tierOf(String name) {
        return switch (name) {
            case "hot" -> HOT;
            case "ssd" -> SSD;
            case "hdd" -> HDD;
            default -> -1;
        };
    }

    /** Pins file {@code ino} of {@code blocks} blocks to {@code tier} (-1: unpins it), or refuses with ENOSPC. */
    synchronized void pin(long ino, int tier, long blocks) {
        long[] old = pinned.get(ino);
        if (old != null && old[0] == tier) {
            return;
        }
        if (old != null) {
            count(old, -1);
        }
        long[] now = {tier, blocks};
        if (tier >= 0) {
            count(now, 1);
            String full = overfull();
            if (full != null) {
                count(now, -1);
                if (old != null) {
                    count(old, 1);
                }
                hotRoomKept(); // as it was
                throw new FsException(Errno.ENOSPC, "the " + full + " tier cannot hold " + blocks
                    + " more pinned blocks");
            }
            pinned.put(ino, now);
        } else {
            pinned.remove(ino);
            hotRoomKept();
        }
        changes.add(new Change(ino, tier));
    }

    /** The tier file {@code ino} is pinned to, or -1. */
    int tierOf(long ino) {
        long[] p = pinned.get(ino);
        return p == null ? -1 : (int) p[0];
    }

    boolean any() {
        return !pinned.isEmpty();
    }

    /** A pinned file has {@code blocks} blocks now (written or truncated since it was pinned). */
    synchronized void recount(long ino, long blocks) {
        long[] p = pinned.get(ino);
        if (p != null) {
            count(p, -1);
            p[1] = blocks;
            count(p, 1);
            hotRoomKept(); // past the hot tier's capacity, its last blocks stay below
        }
    }

    /** Blocks pinned to {@code tier} now. */
    synchronized long pinnedBlocks(int tier) {
        return pinnedBlocks[tier];
    }

    private void count(long[] pin, int sign) {
        pinnedBlocks[(int) pin[0]] += sign * pin[1];
    }

    /** Whether the hot tier keeps room for what is pinned to it: a shrink leaves that much. */
    private boolean hotRoomKept() {
        return hot != null ? hot.keepForPins(pinnedBlocks[HOT]) : pinnedBlocks[HOT] == 0;
    }

    private String overfull() {
        return !hotRoomKept() ? "hot" : pinnedBlocks[SSD] > ssdBlocks ? "ssd" : pinnedBlocks[HDD] > hddBlocks ? "hdd" : null;
    }
}
