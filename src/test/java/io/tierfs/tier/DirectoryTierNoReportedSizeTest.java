package io.tierfs.tier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Capacity on a filesystem that reports no size: trusted from the configuration. (Refused without
 * one: checked on a real FUSE filesystem that reports none, native-test/tier-filesystems.sh.)
 */
class DirectoryTierNoReportedSizeTest {
    @TempDir
    Path dir;

    @Test
    void aConfiguredCapacityIsTrustedWhenTheFilesystemReportsNone() throws IOException {
        DirectoryTier t = DirectoryTier.restricted("ssd", dir.resolve("t"), 4096, 1 << 20,
            f -> new TierFeatures(f.filesystem(), false, f.fallocate(), f.punchHole(), f.seekHoles(), f.directIo()));
        try {
            assertEquals(1 << 20, t.capacityBytes());
            assertEquals((1 << 20) - 4096, t.freeBytes(4096), "the filesystem's own free space (0) is not used");
            assertTrue(t.features().fallbacks().get(0).contains("configured capacity"));
        } finally {
            t.close();
        }
    }
}
