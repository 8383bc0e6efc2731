package io.tierfs.migration;

import io.tierfs.block.BlockRef;
import io.tierfs.block.BlockStore;
import io.tierfs.meta.Keys;
import io.tierfs.namespace.Inode;
import io.tierfs.namespace.TierAttributes;
import java.nio.charset.StandardCharsets;
import java.util.logging.Logger;

/**
 * user.tierfs.tiers ("hot=N ssd=N hdd=N replicas=N logical=BYTES stored=BYTES inline=BYTES": where
 * each block of the file is read from now, how many of its blocks have a replica, the bytes its
 * blocks hold and take on the ssd and hdd tiers, compressed and replicated as they are, and the
 * bytes of a small file kept in the metadata store instead of blocks) and user.tierfs.blocks (the
 * same per run of blocks: "0-3:hot 4:ssd", or "0:inline"), from the block map and the hot tier;
 * pins, handed to the migrator; and changes of a file's replicas, for the sealer.
 */
public final class FileTiers implements TierAttributes {
    private static final Logger LOG = Logger.getLogger(FileTiers.class.getName());
    private static final String[] NAMES = {"ssd", "hdd"};

    private final BlockStore store;
    /** Null when migration is off: pins are stored, and nothing moves. */
    private final Migrator migrator;

    public FileTiers(BlockStore store, Migrator migrator) {
        this.store = store;
        this.migrator = migrator;
    }

    @Override
    public byte[] describe(Inode file, String name) {
        byte[] inline = store.meta().get(Keys.inline(file.ino));
        if (inline != null) { // the file's data while it exists, whatever block records are left
            return (name.equals(TIERS)
                ? "hot=0 ssd=0 hdd=0 replicas=0 logical=" + inline.length + " stored=" + inline.length + " inline=" + inline.length
                : "0:inline").getBytes(StandardCharsets.US_ASCII);
        }
        long[] counts = new long[6]; // hot, ssd, hdd, replicated, logical bytes, stored bytes
        StringBuilder runs = new StringBuilder();
        long[] run = {-1, -1}; // first index, last index of the run being built
        String[] runTier = {null};
        store.meta().scan(Keys.first(Keys.BLOCK, file.ino), Keys.after(Keys.BLOCK, file.ino), (k, v) -> {
            long index = Keys.blockIndexOf(k);
            boolean hot = store.hot() != null && store.hot().holds(file.ino, index);
            BlockRef ref = BlockRef.decode(v);
            String tier = hot ? "hot" : NAMES[ref.tier()];
            counts[hot ? 0 : ref.tier() + 1]++;
            counts[3] += ref.replica() >= 0 ? 1 : 0;
            counts[4] += store.blockSize();
            counts[5] += (long) ref.storedLength() * (ref.replica() >= 0 ? 2 : 1);
            if (tier.equals(runTier[0]) && index == run[1] + 1) {
                run[1] = index;
            } else {
                appendRun(runs, run, runTier[0]);
                run[0] = run[1] = index;
                runTier[0] = tier;
            }
            return true;
        });
        appendRun(runs, run, runTier[0]);
        String value = name.equals(TIERS)
            ? "hot=" + counts[0] + " ssd=" + counts[1] + " hdd=" + counts[2] + " replicas=" + counts[3]
                + " logical=" + counts[4] + " stored=" + counts[5] + " inline=0"
            : runs.toString();
        return value.getBytes(StandardCharsets.US_ASCII);
    }

    private static void appendRun(StringBuilder out, long[] run, String tier) {
        if (tier == null) {
            return;
        }
        out.append(out.length() == 0 ? "" : " ").append(run[0]);
        if (run[1] != run[0]) {
            out.append('-').append(run[1]);
        }
        out.append(':').append(tier);
    }

    @Override
    public void replicasChanged(Inode file) {
        store.seals().fileChanged(file.ino, false);
    }

    @Override
    public void compressionChanged(Inode file) {
        store.seals().fileChanged(file.ino, true);
    }

    @Override
    public void pin(Inode file, String tier) {
        if (migrator == null) {
            LOG.warning("inode " + file.ino + " pinned to " + tier + " while migration is off: its blocks stay where they are");
            return;
        }
        migrator.pin(file.ino, tier);
    }
}
