package io.tierfs.daemon;

import io.tierfs.nativeio.Durable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * The data folder of a volume and its descriptor, {@code volume.properties}, which fixes what may
 * not change once data exists: the format version, the block size and where the tiers are. Tier
 * capacities are recorded there too, and may be changed at any mount.
 * <pre>
 *   DATA/volume.properties   format-version, block-size, tier paths and capacities, uuid
 *   DATA/meta/               the metadata store (RocksDB)
 *   DATA/ssd/, DATA/hdd/     the default tier directories, each with its marker (TierMarker)
 *   DATA/hot/                the hot tier's map (hot.map, hot.params)
 *   DATA/placement.state     the placement policy, saved at a clean unmount
 *   DATA/tierfs.lock         held (flock) by the running daemon
 *   DATA/daemon.json         the running daemon's pid, mountpoint and tier usage
 *   DATA/tierfs.log          the daemon's log
 *   DATA/scrub.request       a request of `tierfs scrub`, taken and removed by the daemon
 * </pre>
 * Format 2 added the tier markers and the hot tier; format 3, sealed blocks (block records of
 * version 2, with page checksums, which an older tierfs would misread as unsealed); format 4,
 * replicas (block records of version 3, whose second copy an older tierfs would take for leaked
 * space and free). A volume of
 * an older format is upgraded in place at its first mount (format 1 gets its tier markers; its
 * block records stay as they are, read as unsealed, and are sealed as the volume is used); a
 * newer one is refused.
 */
public record VolumeLayout(Path data, int formatVersion, int blockSize, Path ssd, Path hdd, long ssdLimit,
                           long hddLimit, long hotCapacity, String uuid) {
    public static final int FORMAT_VERSION = 5;
    /** What each format version after the first added, in order: the upgrade's log line names them. */
    private static final java.util.List<String> ADDED =
        java.util.List.of("tier markers", "sealed blocks", "replicas", "small files' bytes in the metadata store");
    public static final int DEFAULT_BLOCK_SIZE = 128 * 1024;
    /** The hot tier a new volume gets: 512 MiB, or an eighth of the memory if that is less. */
    static final long DEFAULT_HOT_CAPACITY = 512L << 20;
    private static final String DESCRIPTOR = "volume.properties";
    private static final Logger LOG = Logger.getLogger(VolumeLayout.class.getName());

    public Path meta() {
        return data.resolve("meta");
    }

    public Path lockFile() {
        return lockFile(data);
    }

    static Path lockFile(Path data) {
        return data.resolve("tierfs.lock");
    }

    public Path stateFile() {
        return data.resolve("daemon.json");
    }

    /** Where `tierfs scrub` leaves its request for the daemon (see {@code Scrubber#take}). */
    public Path scrubRequest() {
        return data.resolve("scrub.request");
    }

    public Path logFile() {
        return data.resolve("tierfs.log");
    }

    public Path hot() {
        return data.resolve("hot");
    }

    public Path placementState() {
        return data.resolve("placement.state");
    }

    public static boolean exists(Path data) {
        return Files.exists(data.resolve(DESCRIPTOR));
    }

    /**
     * Reads the volume in {@code data} as it is, and checks that the settings given fit it. Changes
     * nothing: for the checks made before a daemon holds the volume.
     */
    public static VolumeLayout read(MountSettings s) throws VolumeException, IOException {
        Path data = s.data();
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(data.resolve(DESCRIPTOR))) {
            p.load(in);
        }
        int version = Integer.parseInt(p.getProperty("format-version", "0"));
        if (version < 1 || version > FORMAT_VERSION) {
            throw new VolumeException("data folder " + data + " holds tierfs format version " + version
                + "; this tierfs reads versions 1 to " + FORMAT_VERSION
                + (version > FORMAT_VERSION ? " (the volume was made by a newer tierfs)" : ""));
        }
        VolumeLayout v = new VolumeLayout(data, version, Integer.parseInt(p.getProperty("block-size")),
            Path.of(p.getProperty("ssd")), Path.of(p.getProperty("hdd")),
            Long.parseLong(p.getProperty("ssd-capacity", "0")), Long.parseLong(p.getProperty("hdd-capacity", "0")),
            Long.parseLong(p.getProperty("hot-capacity", Long.toString(defaultHotCapacity()))), p.getProperty("uuid"));
        requireSame("--ssd", s.ssd(), v.ssd);
        requireSame("--hdd", s.hdd(), v.hdd);
        if (s.blockSize() != 0 && s.blockSize() != v.blockSize) {
            throw new VolumeException("volume in " + data + " has block size " + v.blockSize
                + "; the block size is fixed when a volume is created");
        }
        return v;
    }

    /**
     * Opens the volume in {@code data} for the daemon that holds its lock, creating it with the
     * given settings if the folder holds none: upgrades an older format in place, records
     * capacities given now, and checks that each tier directory is this volume's.
     */
    public static VolumeLayout openOrCreate(MountSettings s) throws VolumeException, IOException {
        if (!exists(s.data())) {
            return create(s);
        }
        VolumeLayout v = read(s);
        if (v.formatVersion == 1) {
            // format 1 had no tier markers: the directories it used are its tiers
            TierMarker.claimExisting(v.ssd, "ssd", v.uuid);
            TierMarker.claimExisting(v.hdd, "hdd", v.uuid);
        }
        if (v.formatVersion < FORMAT_VERSION) {
            LOG.info("volume in " + v.data + " upgraded from format version " + v.formatVersion + " to " + FORMAT_VERSION
                + " (" + String.join("; ", ADDED.subList(v.formatVersion - 1, ADDED.size())) + ")");
        }
        TierMarker.check(v.ssd, "ssd", v.uuid);
        TierMarker.check(v.hdd, "hdd", v.uuid);
        VolumeLayout now = new VolumeLayout(v.data, FORMAT_VERSION, v.blockSize, v.ssd, v.hdd,
            s.ssdCapacity() != 0 ? s.ssdCapacity() : v.ssdLimit, s.hddCapacity() != 0 ? s.hddCapacity() : v.hddLimit,
            s.hotCapacity() != MountSettings.UNSET ? s.hotCapacity() : v.hotCapacity, v.uuid);
        if (!now.equals(v)) {
            now.store();
        }
        return now;
    }

    private static void requireSame(String option, Path given, Path recorded) throws VolumeException {
        if (given != null && !given.toAbsolutePath().normalize().equals(recorded)) {
            throw new VolumeException(option + " " + given + " differs from the tier this volume was created with ("
                + recorded + "); moving a tier is not supported");
        }
    }

    private static VolumeLayout create(MountSettings s) throws IOException {
        Path data = s.data();
        Durable.createDirectories(data);
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
        Durable.syncDirectory(data.toAbsolutePath().getParent());
        VolumeLayout v = new VolumeLayout(data, FORMAT_VERSION,
            s.blockSize() != 0 ? s.blockSize() : DEFAULT_BLOCK_SIZE,
            (s.ssd() != null ? s.ssd() : data.resolve("ssd")).toAbsolutePath().normalize(),
            (s.hdd() != null ? s.hdd() : data.resolve("hdd")).toAbsolutePath().normalize(),
            s.ssdCapacity(), s.hddCapacity(),
            s.hotCapacity() != MountSettings.UNSET ? s.hotCapacity() : defaultHotCapacity(), UUID.randomUUID().toString());
        // the markers first: the descriptor is what makes the volume exist
        TierMarker.create(v.ssd, "ssd", v.uuid);
        TierMarker.create(v.hdd, "hdd", v.uuid);
        v.store();
        return v;
    }

    private static long defaultHotCapacity() {
        long memory = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
            .getOperatingSystemMXBean()).getTotalMemorySize();
        return Math.min(DEFAULT_HOT_CAPACITY, memory / 8);
    }

    private void store() throws IOException {
        Properties p = new Properties();
        p.setProperty("format-version", Integer.toString(formatVersion));
        p.setProperty("block-size", Integer.toString(blockSize));
        p.setProperty("ssd", ssd.toString());
        p.setProperty("hdd", hdd.toString());
        p.setProperty("ssd-capacity", Long.toString(ssdLimit));
        p.setProperty("hdd-capacity", Long.toString(hddLimit));
        p.setProperty("hot-capacity", Long.toString(hotCapacity));
        p.setProperty("uuid", uuid);
        Durable.writeAtomically(data.resolve(DESCRIPTOR), out -> p.store(out, "tierfs volume: do not edit"));
    }
}
