package io.tierfs.daemon;

import java.nio.file.Path;

/**
 * What a mount was asked for, from the command line and the config file.
 *
 * @param ssd         null for DATA/ssd
 * @param hdd         null for DATA/hdd
 * @param blockSize   0 for the default (fixed when the volume is created)
 * @param ssdCapacity 0 for as much as its filesystem holds
 */
public record MountSettings(Path mountpoint, Path data, Path ssd, Path hdd, int blockSize, long ssdCapacity,
                            long hddCapacity, int threads) {
}
