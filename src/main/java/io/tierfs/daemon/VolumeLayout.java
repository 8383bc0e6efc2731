package io.tierfs.daemon;

import io.tierfs.nativeio.Durable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;
import java.util.UUID;

/**
 * The data folder of a volume and its descriptor, {@code volume.properties}, which fixes what may
 * not change once data exists: the format version, the block size and where the tiers are.
 * <pre>
 *   DATA/volume.properties   format-version, block-size, tier paths and limits, uuid
 *   DATA/meta/               the metadata store (RocksDB)
 *   DATA/ssd/, DATA/hdd/     the default tier directories
 *   DATA/tierfs.lock         held (flock) by the running daemon
 *   DATA/daemon.json         the running daemon's pid, mountpoint and tier usage
 *   DATA/tierfs.log          the daemon's log
 * </pre>
 */
public record VolumeLayout(Path data, int formatVersion, int blockSize, Path ssd, Path hdd, long ssdLimit,
                           long hddLimit, String uuid) {
    public static final int FORMAT_VERSION = 1;
    public static final int DEFAULT_BLOCK_SIZE = 128 * 1024;
    private static final String DESCRIPTOR = "volume.properties";

    public Path meta() {
        return data.resolve("meta");
    }

    public Path lockFile() {
        return data.resolve("tierfs.lock");
    }

    public Path stateFile() {
        return data.resolve("daemon.json");
    }

    public Path logFile() {
        return data.resolve("tierfs.log");
    }

    public static boolean exists(Path data) {
        return Files.exists(data.resolve(DESCRIPTOR));
    }

    /**
     * Opens the volume in {@code data}, creating it with the given settings if the folder holds none.
     * Settings given for an existing volume must match what it was created with.
     */
    public static VolumeLayout openOrCreate(MountSettings s) throws VolumeException, IOException {
        Path data = s.data();
        if (!exists(data)) {
            return create(s);
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(data.resolve(DESCRIPTOR))) {
            p.load(in);
        }
        int version = Integer.parseInt(p.getProperty("format-version", "0"));
        if (version != FORMAT_VERSION) {
            throw new VolumeException("data folder " + data + " holds tierfs format version " + version
                + "; this tierfs reads version " + FORMAT_VERSION);
        }
        VolumeLayout v = new VolumeLayout(data, version, Integer.parseInt(p.getProperty("block-size")),
            Path.of(p.getProperty("ssd")), Path.of(p.getProperty("hdd")),
            Long.parseLong(p.getProperty("ssd-capacity", "0")), Long.parseLong(p.getProperty("hdd-capacity", "0")),
            p.getProperty("uuid"));
        requireSame("--ssd", s.ssd(), v.ssd);
        requireSame("--hdd", s.hdd(), v.hdd);
        if (s.blockSize() != 0 && s.blockSize() != v.blockSize) {
            throw new VolumeException("volume in " + data + " has block size " + v.blockSize
                + "; the block size is fixed when a volume is created");
        }
        return v;
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
            s.ssdCapacity(), s.hddCapacity(), UUID.randomUUID().toString());
        Properties p = new Properties();
        p.setProperty("format-version", Integer.toString(FORMAT_VERSION));
        p.setProperty("block-size", Integer.toString(v.blockSize));
        p.setProperty("ssd", v.ssd.toString());
        p.setProperty("hdd", v.hdd.toString());
        p.setProperty("ssd-capacity", Long.toString(v.ssdLimit));
        p.setProperty("hdd-capacity", Long.toString(v.hddLimit));
        p.setProperty("uuid", v.uuid);
        Durable.writeAtomically(data.resolve(DESCRIPTOR), out -> p.store(out, "tierfs volume: do not edit"));
        return v;
    }
}
