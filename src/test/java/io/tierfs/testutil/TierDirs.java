package io.tierfs.testutil;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reuse of tier directories between tests of one class. A directory tier makes 256 shard directories
 * and syncs them, which costs far more than the tests that use it; tests that are not about that step
 * share one tier directory per class and empty it before each test. (So they must not run in parallel,
 * which is JUnit's default.)
 */
public final class TierDirs {
    private TierDirs() {
    }

    /** Deletes every file in the shards of the tier directory {@code root}, if it exists. */
    public static void empty(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(root)) {
            for (Path shard : shards) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
                    for (Path f : files) {
                        Files.delete(f);
                    }
                }
            }
        }
    }
}
