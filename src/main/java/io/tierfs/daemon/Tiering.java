package io.tierfs.daemon;

import io.tierfs.block.BlockStore;
import io.tierfs.block.HotCopies;
import io.tierfs.migration.MigrationStats;
import io.tierfs.migration.Migrator;
import io.tierfs.migration.PlacementState;
import io.tierfs.meta.Keys;
import io.tierfs.migration.FileTiers;
import io.tierfs.namespace.FileMode;
import io.tierfs.namespace.FsException;
import io.tierfs.namespace.Inodes;
import io.tierfs.namespace.TierAttributes;
import io.tierfs.namespace.Xattrs;
import io.tierfs.placement.TierPolicy;
import io.tierfs.tier.HotTier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.logging.Logger;

/**
 * The daemon's part of tiering: opens the hot tier (checking its copies after a crash), and runs
 * the migrator with a placement policy that starts warm after a clean unmount and is rebuilt from
 * the block map otherwise; at shutdown it stops the migrator and saves the policy.
 */
final class Tiering {
    private static final Logger LOG = Logger.getLogger(Tiering.class.getName());
    /** Frequencies halve at least this often: an old hot set cools even when little else happens. */
    private static final long HALF_LIFE_NANOS = 10L * 60 * 1_000_000_000L;

    private final VolumeLayout layout;
    private final MountSettings settings;
    private Migrator migrator;

    Tiering(VolumeLayout layout, MountSettings settings) {
        this.layout = layout;
        this.settings = settings;
    }

    /** The hot tier the volume asks for, or null for none. */
    HotTier openHot(boolean clean) throws IOException, VolumeException {
        long capacity = layout.hotCapacity();
        if (capacity == 0) {
            return null;
        }
        if (capacity < layout.blockSize()) {
            throw new VolumeException("hot-capacity " + capacity + " is less than one block (" + layout.blockSize()
                + " bytes): give at least one block, or 0 for no hot tier");
        }
        long max = Math.max(capacity, settings.hotCapacityMax());
        requireRoomForMap(max);
        HotTier hot = new HotTier(layout.hot(), layout.blockSize(), capacity, max, clean);
        LOG.info(hot + ": " + hot.capacityBlocks() + " blocks, " + hot.blockCount() + " held");
        return hot;
    }

    /**
     * The hot tier's map file is allocated whole when it is made (Chronicle Map reserves it): a
     * data folder without room for it refuses the mount in words, not with Chronicle's exception.
     */
    private void requireRoomForMap(long capacity) throws IOException, VolumeException {
        if (HotTier.exists(layout.hot(), layout.blockSize(), capacity)) {
            return;
        }
        long need = HotTier.mapBytes(capacity);
        java.nio.file.Path dir = layout.hot();
        while (!java.nio.file.Files.exists(dir)) {
            dir = dir.getParent();
        }
        long free = java.nio.file.Files.getFileStore(dir).getUsableSpace();
        if (free < need) {
            throw new VolumeException("the hot tier's map for hot-capacity " + (capacity >> 20) + " MiB needs about "
                + (need >> 20) + " MiB in " + layout.hot() + ", where " + (free >> 20) + " MiB are free: give a smaller"
                + " --hot-capacity (or 0 for none), or put the data folder on a larger filesystem");
        }
    }

    /** Drops every hot copy that fails its block's checksums or differs from its block (run before the mount serves). */
    static void verifyHot(BlockStore blocks, boolean unclean) throws IOException {
        int dropped = HotCopies.verify(blocks);
        LOG.info("hot tier checked" + (unclean ? " after an unclean shutdown" : "") + ": " + dropped
            + " copies dropped, " + blocks.hot().blockCount() + " kept");
    }

    /**
     * Starts the migrator (unless migration is off) and gives it the pins the volume holds. Call
     * once the mount serves.
     */
    void start(BlockStore blocks, Inodes inodes, Xattrs xattrs, boolean clean) throws IOException {
        if (!settings.migrate()) {
            LOG.info("migration is off: blocks stay where they are written");
            xattrs.setTierAttributes(new FileTiers(blocks, null));
            return;
        }
        blocks.setHighWatermark(0, settings.watermarks().high());
        int low = settings.watermarks().low();
        long[] levels = Migrator.levels(blocks, low);
        PlacementState.Loaded saved = clean
            ? PlacementState.load(layout.placementState(), levels, System::nanoTime, HALF_LIFE_NANOS) : null;
        TierPolicy policy = saved != null ? saved.policy() : new TierPolicy(levels, System::nanoTime, HALF_LIFE_NANOS);
        migrator = new Migrator(blocks, inodes, policy, settings.migrateRate(), low);
        if (saved != null) {
            migrator.resume(saved.pending());
            LOG.info("placement resumed from the last clean unmount");
        } else {
            migrator.populate();
            LOG.info("placement rebuilt from the block map");
        }
        restorePins(blocks, inodes);
        xattrs.setTierAttributes(new FileTiers(blocks, migrator));
        migrator.start();
    }

    /** The pins stored as user.tierfs.pin on regular files (a directory's pin is only inherited). */
    private void restorePins(BlockStore blocks, Inodes inodes) {
        byte[] pinName = TierAttributes.PIN.getBytes(StandardCharsets.US_ASCII);
        int[] restored = {0};
        blocks.meta().scan(Keys.all(Keys.XATTR), Keys.allEnd(Keys.XATTR), (k, v) -> {
            if (k.length != 9 + pinName.length || !Arrays.equals(k, 9, k.length, pinName, 0, pinName.length)) {
                return true;
            }
            long ino = Keys.inoOf(k);
            String tier = new String(v, StandardCharsets.US_ASCII);
            if (FileMode.isRegular(inodes.get(ino).mode()) && !tier.equals("none")) {
                try {
                    migrator.pin(ino, tier);
                    restored[0]++;
                } catch (FsException e) {
                    LOG.warning("inode " + ino + " stays unpinned: its pin to " + tier + " no longer fits (" + e.getMessage()
                        + "); placement decides where its blocks go");
                }
            }
            return true;
        });
        if (restored[0] > 0) {
            LOG.info(restored[0] + " pinned files");
        }
    }

    /** A policy's promote of file {@code ino}; the blocks it has. */
    long promote(long ino) {
        if (migrator == null) {
            throw new IllegalStateException("migration is off (--migrate off): nothing moves blocks up");
        }
        return migrator.promote(ino);
    }

    /** The migrator's figures, or null when migration is off. */
    MigrationStats stats() {
        return migrator == null ? null : migrator.stats();
    }

    /** Stops the migrator and saves the policy for the next mount. Before the files are closed. */
    void stop() {
        if (migrator == null) {
            return;
        }
        migrator.close();
        try {
            PlacementState.save(layout.placementState(), migrator.policy(), migrator.pending());
        } catch (IOException e) {
            LOG.warning("could not save the placement state (the next mount rebuilds it): " + e);
        }
    }
}
