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
 * @param watermarks  the ssd tier's high and low watermarks, in percent of its capacity: new blocks
 *                    go to hdd above the high one; placement fills it to the low one
 * @param sealAfter   seconds a block must be left unwritten before it is sealed; 0 for only on a
 *                    move and at a clean unmount
 * @param compress    the tiers whose blocks moved there are stored compressed, by content
 */
public record MountSettings(Path mountpoint, Path data, Path ssd, Path hdd, int blockSize, long ssdCapacity,
                            long hddCapacity, long hotCapacity, boolean migrate, long migrateRate, Watermarks watermarks,
                            int threads, int sealAfter, Compression compress) {
    public static final long UNSET = -1;

    /** Which directory tiers compress the blocks moved to them: "hdd" (the default), "ssd,hdd", "ssd" or "none". */
    public record Compression(boolean ssd, boolean hdd) {
        public static final Compression DEFAULT = new Compression(false, true);

        public static Compression parse(String text) {
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
            return new Compression(ssd, hdd);
        }

        /** One flag per directory tier, fastest first. */
        public boolean[] tiers() {
            return new boolean[] {ssd, hdd};
        }

        @Override
        public String toString() {
            return ssd && hdd ? "ssd,hdd" : ssd ? "ssd" : hdd ? "hdd" : "none";
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
