package io.tierfs.daemon;

import io.tierfs.nativeio.Durable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * {@code TIER/.tierfs-tier}: says which volume and tier a tier directory holds. Without it, a tier
 * whose filesystem was not mounted at boot would look like an empty tier on the filesystem below
 * it: every block of the volume would read as zeros, and new ones would land in the wrong place.
 * The daemon refuses such a directory instead (format version 2 on).
 */
final class TierMarker {
    static final String NAME = ".tierfs-tier";

    private TierMarker() {
    }

    /** Marks a tier directory of a new volume, creating it. */
    static void create(Path dir, String tier, String uuid) throws IOException {
        Durable.createDirectories(dir);
        write(dir, tier, uuid);
    }

    /** Marks the tier directory of a format-1 volume being upgraded, which must hold its shards. */
    static void claimExisting(Path dir, String tier, String uuid) throws VolumeException, IOException {
        if (Files.exists(dir.resolve(NAME))) {
            return;
        }
        if (!Files.isDirectory(dir.resolve("00"))) {
            throw new VolumeException(missing(dir, tier));
        }
        write(dir, tier, uuid);
    }

    /** Refuses a tier directory that is not this volume's tier. */
    static void check(Path dir, String tier, String uuid) throws VolumeException, IOException {
        Path marker = dir.resolve(NAME);
        if (!Files.isDirectory(dir) || !Files.exists(marker)) {
            throw new VolumeException(missing(dir, tier));
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(marker)) {
            p.load(in);
        }
        if (!uuid.equals(p.getProperty("volume")) || !tier.equals(p.getProperty("tier"))) {
            throw new VolumeException(tier + " tier directory " + dir + " holds the " + p.getProperty("tier")
                + " tier of another volume (" + p.getProperty("volume") + "), not this one's (" + uuid + ")");
        }
    }

    private static String missing(Path dir, String tier) {
        return tier + " tier directory " + dir + " does not hold this volume's " + tier + " tier (no " + NAME
            + " in it): if the tier is on a filesystem of its own, mount that filesystem there first";
    }

    private static void write(Path dir, String tier, String uuid) throws IOException {
        Properties p = new Properties();
        p.setProperty("volume", uuid);
        p.setProperty("tier", tier);
        Durable.writeAtomically(dir.resolve(NAME), out -> p.store(out, "tierfs tier: do not remove"));
    }
}
