package io.tierfs.migration;

import io.tierfs.block.BlockRef;
import io.tierfs.block.BlockStore;
import io.tierfs.meta.Keys;
import io.tierfs.namespace.Inode;
import io.tierfs.namespace.TierAttributes;
import java.nio.charset.StandardCharsets;
import java.util.logging.Logger;

/**
 * user.tierfs.tiers ("hot=N ssd=N hdd=N": where each block of the file is read from now) and
 * user.tierfs.blocks (the same per run of blocks: "0-3:hot 4:ssd"), from the block map and the
 * hot tier; and pins, handed to the migrator.
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
        long[] counts = new long[3]; // hot, ssd, hdd
        StringBuilder runs = new StringBuilder();
        long[] run = {-1, -1}; // first index, last index of the run being built
        String[] runTier = {null};
        store.meta().scan(Keys.first(Keys.BLOCK, file.ino), Keys.after(Keys.BLOCK, file.ino), (k, v) -> {
            long index = Keys.blockIndexOf(k);
            boolean hot = store.hot() != null && store.hot().holds(file.ino, index);
            String tier = hot ? "hot" : NAMES[BlockRef.decode(v).tier()];
            counts[hot ? 0 : BlockRef.decode(v).tier() + 1]++;
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
            ? "hot=" + counts[0] + " ssd=" + counts[1] + " hdd=" + counts[2]
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
    public void pin(Inode file, String tier) {
        if (migrator == null) {
            LOG.warning("inode " + file.ino + " pinned to " + tier + " while migration is off: its blocks stay where they are");
            return;
        }
        migrator.pin(file.ino, tier);
    }
}
