package io.tierfs.daemon;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a mount was asked for, from the command line and the config file.
 *
 * @param ssd         null for DATA/ssd
 * @param hdd         null for DATA/hdd
 * @param blockSize   0 for the default (fixed when the volume is created)
 * @param ssdCapacity 0 for as much as its filesystem holds (or what the volume recorded)
 * @param hotCapacity bytes of the hot tier; 0 for none, {@link #UNSET} for what the volume
 *                    recorded, or the default for a new one
 * @param hotCapacityMax the most a policy may grow the hot tier to live ({@link #UNSET}: not beyond
 *                    hotCapacity); its map is made for that much
 * @param migrate     whether the migrator moves blocks (off: they stay where they were written)
 * @param migrateRate the most the migrator copies a second, in bytes
 * @param watermarks  the ssd tier's high and low watermarks, in percent of its capacity: new blocks
 *                    go to hdd above the high one; placement fills it to the low one
 * @param sealAfter   seconds a block must be left unwritten before it is sealed; 0 for only on a
 *                    move and at a clean unmount
 * @param writeback   whether the kernel caches buffered writes (FUSE's writeback cache), and how much
 * @param compress    the tiers whose blocks moved there are stored compressed, by content, and how
 * @param mountFlags  kernel mount flags beyond the fixed ones (see {@link #MOUNT_FLAGS})
 * @param metrics     where the Prometheus endpoint listens, HOST:PORT, or "off"
 * @param config      the config file, read again by a reload for its alert rules; null if none
 * @param alerts      the command line's alert rules by name, over the config file's: they change or
 *                    turn off ("off") the built-in ones, or add to them
 */
public record MountSettings(Path mountpoint, Path data, Path ssd, Path hdd, int blockSize, long ssdCapacity,
                            long hddCapacity, long hotCapacity, long hotCapacityMax, boolean migrate, long migrateRate, Watermarks watermarks,
                            int threads, int sealAfter, WritebackCache writeback, Compression compress,
                            List<String> mountFlags,
                            String metrics, Path config, Map<String, String> alerts) {
    public static final long UNSET = -1;

    /**
     * The kernel's generic mount flags a user may choose, as libfuse passes them to mount(2). A
     * tierfs mount is always nosuid and nodev (a container volume must not carry set-user-ID
     * programs or device nodes into the host) and always read-write.
     */
    public static final Set<String> MOUNT_FLAGS = Set.of("exec", "noexec", "atime", "noatime", "sync", "async",
        "dirsync");

    public MountSettings {
        if (writeback.on() && threads < 2) {
            // a worker answering SEEK_HOLE waits for the kernel to write a file's dirty pages back,
            // and those writes need another worker
            throw new IllegalArgumentException("writeback-cache on needs at least 2 threads, not " + threads
                + " (or writeback-cache off)");
        }
        mountFlags = List.copyOf(mountFlags);
        alerts = Map.copyOf(alerts);
        for (String f : mountFlags) {
            if (!MOUNT_FLAGS.contains(f)) {
                throw new IllegalArgumentException("mount flag '" + f + "' is not one tierfs takes (it takes: "
                    + String.join(", ", new TreeSet<>(MOUNT_FLAGS)) + "; its mounts are always rw, nosuid and nodev)");
            }
        }
    }

    /**
     * The kernel's writeback cache for the mount: whether it keeps buffered writes as dirty pages
     * (sent to tierfs later, in large writes), and the most it may keep, in bytes (the mount's
     * {@code max_bytes} in /sys/class/bdi).
     */
    public record WritebackCache(boolean on, long dirtyLimit) {
        public static final long MIN_DIRTY = 1L << 20, MAX_DIRTY = 4L << 30;

        public WritebackCache {
            if (dirtyLimit < MIN_DIRTY || dirtyLimit > MAX_DIRTY) {
                throw new IllegalArgumentException("dirty-limit must be from 1M to 4G, not " + dirtyLimit + " bytes");
            }
        }
    }

    /** "noexec,noatime" as the command line and the config file give them; "" for none. */
    public static List<String> parseMountFlags(String text) {
        return text.isBlank() ? List.of() : Arrays.stream(text.split(",")).map(String::strip).toList();
    }

    /**
     * Which directory tiers compress the blocks moved to them: "hdd" (the default), "ssd,hdd",
     * "ssd" or "none"; Zstd's level where a file names none (1 to 19, default 3); and the share of
     * a block, in percent, compression must save for the block to be stored compressed (0 to
     * below 100, default 12.5).
     */
    public record Compression(boolean ssd, boolean hdd, int zstdLevel, double minSavingPercent) {
        public Compression {
            if (zstdLevel < 1 || zstdLevel > 19) {
                throw new IllegalArgumentException("zstd-level is from 1 (fastest) to 19 (smallest), not " + zstdLevel);
            }
            if (!(minSavingPercent >= 0 && minSavingPercent < 100)) {
                throw new IllegalArgumentException("min-saving is a percentage from 0 to below 100, not " + minSavingPercent);
            }
        }

        /** From the command line's or the config file's compress, zstd-level and min-saving. */
        public static Compression parse(String tiers, String zstdLevel, String minSaving) {
            int level;
            double saving;
            try {
                level = Integer.parseInt(zstdLevel.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("zstd-level is a whole number from 1 to 19, not '" + zstdLevel + "'");
            }
            try {
                saving = Double.parseDouble(minSaving.strip().replaceFirst("%$", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("min-saving is a percentage, e.g. 12.5, not '" + minSaving + "'");
            }
            boolean[] t = parseTiers(tiers);
            return new Compression(t[0], t[1], level, saving);
        }

        private static boolean[] parseTiers(String text) {
            boolean ssd = false;
            boolean hdd = false;
            for (String part : text.split(",")) {
                switch (part.strip()) {
                    case "ssd" -> ssd = true;
                    case "hdd" -> hdd = true;
                    case "none" -> { }
                    default -> throw new IllegalArgumentException("compress is a list of tiers (ssd, hdd) or none, e.g. hdd"
                        + " or ssd,hdd, not '" + text + "'");
                }
            }
            return new boolean[] {ssd, hdd};
        }

        /** One flag per directory tier, fastest first. */
        public boolean[] tiers() {
            return new boolean[] {ssd, hdd};
        }

        /** The tiers, as --compress takes them. */
        public String tierList() {
            return ssd && hdd ? "ssd,hdd" : ssd ? "ssd" : hdd ? "hdd" : "none";
        }

        @Override
        public String toString() {
            return tierList() + " (zstd level " + zstdLevel + ", at least " + minSavingPercent + "% saved)";
        }
    }

    /** High and low, in percent, 0 < low <= high <= 100. */
    public record Watermarks(int high, int low) {
        public static final Watermarks DEFAULT = new Watermarks(98, 95);

        public Watermarks {
            if (low <= 0 || low > high || high > 100) {
                throw new IllegalArgumentException("watermarks are HIGH,LOW in percent with 0 < LOW <= HIGH <= 100, not "
                    + high + "," + low);
            }
        }

        /** "98,95" as the command line and the config file give them. */
        public static Watermarks parse(String text) {
            String[] parts = text.split(",");
            try {
                if (parts.length != 2) {
                    throw new NumberFormatException();
                }
                return new Watermarks(Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("watermarks are HIGH,LOW in percent, e.g. 98,95, not '" + text + "'");
            }
        }

        @Override
        public String toString() {
            return high + "," + low;
        }
    }
}
