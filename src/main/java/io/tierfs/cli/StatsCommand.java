package io.tierfs.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;

/** `tierfs stats`: the live KPIs, for people (the same figures as the Prometheus endpoint). */
@Command(name = "stats", mixinStandardHelpOptions = true,
    description = "Show the volume's KPIs: operations and bytes a second, latency (avg, p50, p95, p99, max) by"
        + " operation over the last 10 s and minute, requests in flight, errors, tier use and hits, migration.")
public final class StatsCommand implements Callable<Integer> {
    @Mixin
    MountedVolume volume;

    @Option(names = "--watch", paramLabel = "SECONDS", description = "Refresh every SECONDS until interrupted.")
    Integer watch;

    @Override
    public Integer call() throws Exception {
        if (watch != null && watch < 1) {
            throw new IllegalArgumentException("--watch takes a whole number of seconds from 1, not " + watch);
        }
        Path mp = volume.mountpoint();
        boolean json = volume.json;
        while (true) {
            Map<String, Object> state = volume.state();
            if (state == null) {
                return 1;
            }
            Map<String, Object> kpis = kpis(state);
            if (watch != null && !json) {
                System.out.print("\033[H\033[2J"); // a terminal view that refreshes in place
            }
            System.out.println(json ? JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(kpis) : text(mp, kpis));
            if (watch == null) {
                return 0;
            }
            System.out.flush();
            Thread.sleep(watch * 1000L);
        }
    }

    private static Map<String, Object> kpis(Map<String, Object> state) {
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("mountpoint", state.get("mountpoint"));
        k.put("updatedMillis", state.get("updatedMillis"));
        k.put("metrics_url", state.get("metrics_url"));
        k.putAll(asMap(state.get("kpis")));
        k.put("tiers", state.get("tiers"));
        k.put("migration", state.get("migration"));
        k.put("integrity", state.get("integrity"));
        return k;
    }

    private static String text(Path mp, Map<String, Object> k) {
        StringBuilder b = new StringBuilder("tierfs " + mp + "   (metrics: " + k.get("metrics_url") + ")\n");
        for (String window : List.of("last10s", "last60s")) {
            Map<String, Object> w = asMap(k.get(window));
            b.append(String.format("%n%-12s %10s %10s %8s %8s %8s %8s %8s   (%s, %s errors in all)%n", "op", "ops/s",
                "MiB/s", "avg ms", "p50", "p95", "p99", "max", window, w.get("errorsTotal")));
            for (Map.Entry<String, Object> e : asMap(w.get("ops")).entrySet()) {
                Map<String, Object> o = asMap(e.getValue());
                b.append(String.format("%-12s %10.1f %10.1f %8.3f %8.3f %8.3f %8.3f %8.3f%n", e.getKey(), num(o, "opsPerSecond"),
                    num(o, "bytesPerSecond") / (1 << 20), num(o, "avgMs"), num(o, "p50Ms"), num(o, "p95Ms"),
                    num(o, "p99Ms"), num(o, "maxMs")));
            }
        }
        b.append(String.format("%nin flight %s%n", k.get("inFlight")));
        for (Object o : (List<?>) k.get("tiers")) {
            Map<String, Object> t = asMap(o);
            b.append(String.format("tier %-4s %9s of %9s used, %5.1f%% of block reads%n", t.get("name"),
                StatusCommand.human(((Number) t.get("usedBytes")).longValue()),
                StatusCommand.human(((Number) t.get("capacityBytes")).longValue()), 100 * num(t, "hitRatio")));
        }
        Map<String, Object> m = asMap(k.get("migration"));
        if (Boolean.TRUE.equals(m.get("enabled"))) {
            b.append(String.format("migration %s promotions, %s demotions, %s moved%n", m.get("promotions"),
                m.get("demotions"), StatusCommand.human(((Number) m.get("bytesMigrated")).longValue())));
        }
        return b.toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        return o == null ? Map.of() : (Map<String, Object>) o;
    }

    private static double num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v == null ? 0 : ((Number) v).doubleValue();
    }
}
