package io.tierfs.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The volume's figures beyond the FUSE requests, read when Prometheus scrapes: capacity, use and
 * block reads per tier, migration, and integrity. The daemon's own counters are the source; these
 * only expose them.
 */
public final class VolumeGauges {
    /** One tier's figures: bytes it may hold, bytes its copies take, logical bytes they hold, blocks it served. */
    public record Tier(String name, long capacityBytes, long usedBytes, long logicalBytes, long reads) {
    }

    /** The volume's counters, as the daemon keeps them. */
    public interface Source {
        List<Tier> tiers();

        /** Bytes moved since the mount, by "from->to". */
        Map<String, Long> migratedBytes();

        long checksumFailures();

        long repaired();
    }

    private VolumeGauges() {
    }

    public static void register(PrometheusRegistry registry, Supplier<Source> source) {
        GaugeWithCallback.builder().name("tierfs_tier_capacity_bytes").help("Bytes the tier may hold").unit(Unit.BYTES)
            .labelNames("tier").callback(cb -> source.get().tiers().forEach(t -> cb.call(t.capacityBytes(), t.name())))
            .register(registry);
        GaugeWithCallback.builder().name("tierfs_tier_used_bytes").help("Bytes the tier's copies take (compressed: stored)")
            .unit(Unit.BYTES).labelNames("tier")
            .callback(cb -> source.get().tiers().forEach(t -> cb.call(t.usedBytes(), t.name()))).register(registry);
        GaugeWithCallback.builder().name("tierfs_tier_logical_bytes").help("Bytes of file data the tier's copies hold")
            .unit(Unit.BYTES).labelNames("tier")
            .callback(cb -> source.get().tiers().forEach(t -> cb.call(t.logicalBytes(), t.name()))).register(registry);
        CounterWithCallback.builder().name("tierfs_tier_reads_total").help("Block reads each tier served (its hits)")
            .labelNames("tier").callback(cb -> source.get().tiers().forEach(t -> cb.call(t.reads(), t.name())))
            .register(registry);
        CounterWithCallback.builder().name("tierfs_migrated_bytes_total").help("Bytes the migrator moved between tiers")
            .unit(Unit.BYTES).labelNames("from", "to")
            .callback(cb -> {
                // every route between two tiers, moved or not yet: a rate over a series that
                // appears only at its first move would miss that move
                Source s = source.get();
                Map<String, Long> moved = s.migratedBytes();
                for (Tier from : s.tiers()) {
                    for (Tier to : s.tiers()) {
                        if (from != to) {
                            cb.call(moved.getOrDefault(from.name() + "->" + to.name(), 0L), from.name(), to.name());
                        }
                    }
                }
            }).register(registry);
        CounterWithCallback.builder().name("tierfs_checksum_failures_total")
            .help("Block copies that failed their checksum when read").callback(cb -> cb.call(source.get().checksumFailures()))
            .register(registry);
        CounterWithCallback.builder().name("tierfs_repairs_total").help("Bad copies rewritten from a good replica")
            .callback(cb -> cb.call(source.get().repaired())).register(registry);
    }
}
