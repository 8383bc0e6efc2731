package io.tierfs.tier;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a directory tier's filesystem can do, as probed at mount ({@link TierProbe}). tierfs keeps
 * its guarantees without the optional ones, each by a fallback that costs something else.
 *
 * @param filesystem  the filesystem type, as the mount table names it (ext4, xfs, fuse.lossyfs...)
 * @param reportsSize statfs gives a size; without one only a configured capacity bounds the tier
 * @param fallocate   reserving space; else a reservation writes zeros
 * @param punchHole   freeing a range inside a file; else a freed slot keeps its space until the
 *                    file is truncated or deleted, and a new block is written whole
 * @param seekHoles   SEEK_DATA/SEEK_HOLE find real holes; else every byte of a tier file counts
 *                    as data (holes are still known from the block map)
 * @param directIo    O_DIRECT opens
 */
public record TierFeatures(String filesystem, boolean reportsSize, boolean fallocate, boolean punchHole,
                           boolean seekHoles, boolean directIo) {

    /** A tier whose filesystem does all of it (tiers not kept in a directory, and tests). */
    public static TierFeatures complete(String filesystem) {
        return new TierFeatures(filesystem, true, true, true, true, true);
    }

    /** What tierfs does instead of each missing feature, in words for the log and `tierfs status`. */
    public List<String> fallbacks() {
        List<String> out = new ArrayList<>();
        if (!reportsSize) {
            out.add("no size reported: the configured capacity is trusted");
        }
        if (!fallocate) {
            out.add("no fallocate: reservations write zeros");
        }
        if (!punchHole) {
            out.add("no punch hole: freed blocks keep their space until their file is truncated or deleted,"
                + " new blocks are written whole");
        }
        if (!seekHoles) {
            out.add("no SEEK_HOLE: holes are known from the block map only");
        }
        if (!directIo) {
            out.add("no O_DIRECT: tier files are read through the page cache");
        }
        return out;
    }

    /** For `tierfs status --json`: each feature by name, the fallbacks in use, and all of it in words. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("filesystem", filesystem);
        m.put("size_reported", reportsSize);
        m.put("fallocate", fallocate);
        m.put("punch_hole", punchHole);
        m.put("seek_hole", seekHoles);
        m.put("direct_io", directIo);
        m.put("fallbacks", fallbacks());
        m.put("summary", toString());
        return m;
    }

    @Override
    public String toString() {
        List<String> has = new ArrayList<>();
        if (fallocate) {
            has.add("fallocate");
        }
        if (punchHole) {
            has.add("punch hole");
        }
        if (seekHoles) {
            has.add("SEEK_HOLE");
        }
        if (directIo) {
            has.add("O_DIRECT");
        }
        List<String> fallbacks = fallbacks();
        return filesystem + ": " + (has.isEmpty() ? "none of fallocate, punch hole, SEEK_HOLE, O_DIRECT" : String.join(", ", has))
            + (fallbacks.isEmpty() ? "" : "; fallbacks: " + String.join("; ", fallbacks));
    }
}
