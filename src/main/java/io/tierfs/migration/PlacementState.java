package io.tierfs.migration;

import io.tierfs.nativeio.Durable;
import io.tierfs.placement.TierPolicy;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * {@code DATA/placement.state}: the placement policy and the moves not yet made, written at a
 * clean unmount so that the next mount starts warm. It describes the volume only as the clean
 * unmount left it, so it is read only after one (and removed once read: a crash later must not
 * leave a stale one behind). The policy's own format version comes first (see {@link TierPolicy#save}).
 */
public final class PlacementState {
    private static final Logger LOG = Logger.getLogger(PlacementState.class.getName());

    /** A policy read back, with its pending decisions. */
    public record Loaded(TierPolicy policy, Map<Long, Integer> pending) {
    }

    private PlacementState() {
    }

    public static void save(Path file, TierPolicy policy, Map<Long, Integer> pending) throws IOException {
        Durable.writeAtomically(file, raw -> {
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 16));
            policy.save(out);
            out.writeInt(pending.size());
            for (Map.Entry<Long, Integer> e : pending.entrySet()) {
                out.writeLong(e.getKey());
                out.writeInt(e.getValue());
            }
            out.flush();
        });
    }

    /**
     * The saved state, resized to {@code capacities} (the tiers may have changed size), or null if
     * there is none or it cannot be used (then the policy is rebuilt from the block map). The
     * file is removed either way.
     */
    public static Loaded load(Path file, long[] capacities, LongSupplier clock, long halfLifeNanos) {
        if (!Files.exists(file)) {
            return null;
        }
        try (InputStream raw = Files.newInputStream(file)) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16));
            TierPolicy policy = TierPolicy.load(in, clock, halfLifeNanos);
            if (policy.levels() != capacities.length) {
                LOG.info("placement state is for " + policy.levels() + " tiers, not " + capacities.length
                    + " (the hot tier came or went): placement starts from the block map");
                return null;
            }
            for (int level = 0; level < capacities.length; level++) {
                if (policy.capacity(level) != capacities[level]) {
                    policy.resize(level, capacities[level]);
                }
            }
            Map<Long, Integer> pending = new LinkedHashMap<>();
            for (int n = in.readInt(); n > 0; n--) {
                pending.put(in.readLong(), in.readInt());
            }
            return new Loaded(policy, pending);
        } catch (IOException | RuntimeException e) {
            LOG.warning("placement state " + file + " cannot be read (" + e + "): placement starts from the block map");
            return null;
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.warning("could not remove " + file + ": " + e);
            }
        }
    }
}
