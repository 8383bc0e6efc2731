package io.tierfs.namespace;

/**
 * tierfs's own extended attributes, in {@code user.tierfs.}: {@code pin} (stored like any other,
 * inherited by what is created in a directory that has it) says which tier a file's blocks
 * stay in; {@code tiers} and {@code blocks} are read-only views of where they are now, made up
 * when asked, never stored or listed (so cp -a, rsync -X and tar --xattrs never copy them).
 */
public interface TierAttributes {
    String PREFIX = "user.tierfs.";
    String PIN = PREFIX + "pin";
    String TIERS = PREFIX + "tiers";
    String BLOCKS = PREFIX + "blocks";

    /** For a volume without placement: nothing is where a pin could move it, and nothing is described. */
    TierAttributes NONE = new TierAttributes() {
        @Override
        public byte[] describe(Inode file, String name) {
            return new byte[0];
        }

        @Override
        public void pin(Inode file, String tier) {
        }
    };

    /** The value of read-only attribute {@link #TIERS} or {@link #BLOCKS} of a regular file. */
    byte[] describe(Inode file, String name);

    /**
     * Pins a regular file to {@code tier} (hot, ssd or hdd), or unpins it (none), before the
     * attribute is stored; ENOSPC if the file's blocks cannot fit there.
     */
    void pin(Inode file, String tier);
}
