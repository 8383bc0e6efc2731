package io.tierfs.daemon;

import java.nio.file.Path;

/**
 * What a mount was asked for, from the command line and the config file.
 *
 * @param ssd         null for DATA/ssd
 * @param hdd         null for DATA/hdd
 * @param blockSize   0 for the default (fixed when the volume is created)
 * @param ssdCapacity 0 for as much as its filesystem holds (or what the volume recorded)
 * @param hotCapacity bytes of the hot tier; 0 for none, {@link #UNSET} for what the volume
 *                    recorded, or the default for a new one
 * @param migrate     whether the migrator moves blocks (off: they stay where they were written)
 * @param migrateRate the most the migrator copies a second, in bytes
 */
public record MountSettings(Path mountpoint, Path data, Path ssd, Path hdd, int blockSize, long ssdCapacity,
                            long hddCapacity, long hotCapacity, boolean migrate, long migrateRate, int threads) {
    public static final long UNSET = -1;
}
