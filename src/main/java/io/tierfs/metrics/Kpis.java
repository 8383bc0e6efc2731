package io.tierfs.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The KPIs rules are written against, by name, from the last 10 s: per operation
 * ({@code read.p95_ms}, {@code write.iops}...), for the whole mount ({@code total.iops},
 * {@code total.bytes_per_second}, {@code in_flight}, {@code errors_per_second}) and per tier
 * ({@code hdd.use_percent}, {@code hot.hit_ratio}...).
 */
public final class Kpis {
    /** Errors that say something is wrong with the volume, not with the caller's request (ENOENT, EEXIST...). */
    public static final Set<String> FAULTS = Set.of("EIO", "ENOSPC", "EROFS", "EDQUOT", "ENOTCONN", "ENOMEM");
    static final Set<String> PER_OPERATION = Set.of("iops", "bytes_per_second", "avg_ms", "p50_ms", "p95_ms", "p99_ms",
        "max_ms");
    private static final Map<String, String> WINDOW_KEYS = Map.of("iops", "opsPerSecond", "bytes_per_second",
        "bytesPerSecond", "avg_ms", "avgMs", "p50_ms", "p50Ms", "p95_ms", "p95Ms", "p99_ms", "p99Ms", "max_ms", "maxMs");

    private Kpis() {
    }

    /** The names beyond OP.*: the mount's, and each tier's. */
    public static Set<String> volumeNames(List<String> tiers) {
        Set<String> names = new java.util.HashSet<>(Set.of("total.iops", "total.bytes_per_second", "in_flight",
            "errors_per_second", "checksum_failures"));
        for (String t : tiers) {
            for (String k : List.of("use_percent", "used_bytes", "capacity_bytes", "hit_ratio")) {
                names.add(t + "." + k);
            }
        }
        return names;
    }

    /** Parses one rule: its name, its text, and the KPI names it may use. */
    @FunctionalInterface
    public interface RuleParser<R> {
        R parse(String name, String text, Set<String> knownMetrics);
    }

    /**
     * Rules by name, in name order, each checked against the KPI names of these tiers; "off"
     * leaves one out.
     *
     * @throws IllegalArgumentException "PREFIX.NAME: what is wrong", e.g. "alert.slow: unknown operator"
     */
    public static <R> List<R> parseRules(Map<String, String> byName, String prefix, List<String> tiers,
                                         RuleParser<R> parser) {
        Set<String> known = volumeNames(tiers);
        List<R> out = new java.util.ArrayList<>();
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(byName).entrySet()) {
            if (e.getValue().strip().equals("off")) {
                continue;
            }
            try {
                out.add(parser.parse(e.getKey(), e.getValue(), known));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(prefix + e.getKey() + ": " + ex.getMessage(), ex);
            }
        }
        return out;
    }

    static boolean isPerOperation(String name) {
        int dot = name.indexOf('.');
        return dot > 0 && PER_OPERATION.contains(name.substring(dot + 1)) && !name.startsWith("total.");
    }

    /**
     * @param ops         the 10 s window by operation, as {@link FuseMetrics#window} gives it
     * @param faultsPerSecond errors of the {@link #FAULTS} kinds a second over the window
     * @param tiers       each tier's figures
     */
    public static Map<String, Double> of(Map<String, Map<String, Object>> ops, long inFlight, double faultsPerSecond,
                                         List<VolumeGauges.Tier> tiers, long checksumFailures) {
        Map<String, Double> k = new HashMap<>();
        double iops = 0;
        double bandwidth = 0;
        for (Map.Entry<String, Map<String, Object>> op : ops.entrySet()) {
            WINDOW_KEYS.forEach((name, key) -> k.put(op.getKey() + "." + name, ((Number) op.getValue().get(key)).doubleValue()));
            iops += ((Number) op.getValue().get("opsPerSecond")).doubleValue();
            bandwidth += ((Number) op.getValue().get("bytesPerSecond")).doubleValue();
        }
        k.put("total.iops", iops);
        k.put("total.bytes_per_second", bandwidth);
        k.put("in_flight", (double) inFlight);
        k.put("errors_per_second", faultsPerSecond);
        k.put("checksum_failures", (double) checksumFailures);
        long allReads = tiers.stream().mapToLong(VolumeGauges.Tier::reads).sum();
        for (VolumeGauges.Tier t : tiers) {
            k.put(t.name() + ".used_bytes", (double) t.usedBytes());
            k.put(t.name() + ".capacity_bytes", (double) t.capacityBytes());
            k.put(t.name() + ".use_percent", t.capacityBytes() == 0 ? 0 : 100.0 * t.usedBytes() / t.capacityBytes());
            k.put(t.name() + ".hit_ratio", allReads == 0 ? 0 : (double) t.reads() / allReads);
        }
        return k;
    }
}
