package io.tierfs.tier;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One storage tier. A tier stores blocks of many files; {@link #open} gives the handle through which
 * the data path reads and writes one file's blocks on this tier. Tier number 0 is the fastest.
 */
public interface Tier extends AutoCloseable {

    String name();

    /** The handle for {@code ino}'s blocks here. Nothing is created on disk until the first write. */
    TierFile open(long ino);

    /**
     * Frees every block of {@code ino} on this tier. That the data is gone may not survive a power
     * loss until {@link #syncDeletes}.
     */
    void delete(long ino) throws IOException;

    /** Makes every {@link #delete} so far durable. */
    void syncDeletes() throws IOException;

    /** The inode numbers that have blocks on this tier (for recovery's sweep of leaked data). */
    long[] storedInodes() throws IOException;

    /** Bytes this tier may hold at most: its configured limit, or its filesystem's size. */
    long capacityBytes() throws IOException;

    /** Bytes still free for this tier: its limit less its use, bounded by its filesystem's free space. */
    long freeBytes(long usedBytes) throws IOException;

    /** Where the tier's data lives, for statfs to count a filesystem shared by two tiers once. */
    Path location();

    /** What the tier's storage can do, and the fallbacks it uses for the rest. */
    TierFeatures features();

    /**
     * Why the tier cannot take new blocks now (its directory is gone, or read-only), or null if it
     * can. New blocks then go to other tiers; I/O on its blocks fails with EIO (EROFS for writes
     * to a read-only tier).
     */
    String unavailableReason();

    /** The {@link #unavailableReason} of a tier whose storage is there but read-only. */
    String READ_ONLY = "its filesystem is read-only";

    /** Looks whether the tier's storage is still there and writable; the daemon calls it every second. */
    void checkHealth();

    @Override
    void close();
}
