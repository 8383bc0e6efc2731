package io.tierfs.namespace;

/**
 * tierfs's own extended attributes, in {@code user.tierfs.}: {@code pin} (stored like any other,
 * inherited by what is created in a directory that has it) says which tier a file's blocks
 * stay in; {@code replicas} (1 or 2, stored and inherited the same way) how many copies of its
 * sealed blocks a file keeps; {@code compress} (see {@code codec.CompressionChoice}) how its
 * blocks are compressed where they are; {@code tiers} and {@code blocks} are read-only views of where they are now, made up
 * when asked, never stored or listed (so cp -a, rsync -X and tar --xattrs never copy them).
 */
public interface TierAttributes {
    String PREFIX = "user.tierfs.";
    String PIN = PREFIX + "pin";
    String REPLICAS = PREFIX + "replicas";
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

        @Override
        public void replicasChanged(Inode file) {
        }

        @Override
        public void compressionChanged(Inode file) {
        }
    };

    /** The value of read-only attribute {@link #TIERS} or {@link #BLOCKS} of a regular file. */
    byte[] describe(Inode file, String name);

    /**
     * Pins a regular file to {@code tier} (hot, ssd or hdd), or unpins it (none), before the
     * attribute is stored; ENOSPC if the file's blocks cannot fit there.
     */
    void pin(Inode file, String tier);

    /** A regular file's {@link #REPLICAS} was set or removed (stored already): its replicas are made or dropped. */
    void replicasChanged(Inode file);

    /**
     * A regular file's compression choice ({@code user.tierfs.compress}) was set or removed (stored
     * already): its sealed blocks are compressed again by it.
     */
    void compressionChanged(Inode file);
}
