package io.tierfs.daemon;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Logger;
import io.tierfs.metrics.FuseMetrics;
import io.tierfs.migration.MigrationStats;

/** {@code DATA/daemon.json}: what `tierfs status` reports, rewritten every second while mounted. */
final class DaemonState {
    private static final Logger LOG = Logger.getLogger(DaemonState.class.getName());

    private final VolumeLayout layout;
    private final Path mountpoint;
    private final TierStats stats;
    private final Supplier<MigrationStats> migration;
    private final Supplier<Map<String, Object>> integrity;
    private final long started = System.currentTimeMillis();
    private final String metricsUrl;
    private final FuseMetrics kpis;
    private final Supplier<Map<String, Object>> alerts;
    private final Supplier<Map<String, Object>> policies;
    private volatile Map<String, Object> lastReload;

    /** @param metricsUrl the Prometheus endpoint's URL, or null if there is none */
    DaemonState(VolumeLayout layout, Path mountpoint, TierStats stats, Supplier<MigrationStats> migration,
                Supplier<Map<String, Object>> integrity, String metricsUrl, FuseMetrics kpis,
                Supplier<Map<String, Object>> alerts, Supplier<Map<String, Object>> policies) {
        this.alerts = alerts;
        this.policies = policies;
        this.metricsUrl = metricsUrl;
        this.kpis = kpis;
        this.layout = layout;
        this.integrity = integrity;
        this.mountpoint = mountpoint;
        this.stats = stats;
        this.migration = migration;
    }

    void write() throws IOException {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("pid", ProcessHandle.current().pid());
        s.put("mountpoint", mountpoint.toString());
        s.put("data", layout.data().toString());
        s.put("formatVersion", layout.formatVersion());
        s.put("blockSize", layout.blockSize());
        s.put("startedMillis", started);
        s.put("updatedMillis", System.currentTimeMillis());
        s.put("tiers", stats.perTier());
        s.put("migration", migration(migration.get()));
        s.put("integrity", integrity.get());
        s.put("space", stats.space());
        s.put("metrics_url", metricsUrl);
        // `tierfs stats`: the last 10 s and the last minute (the windows the dashboards use)
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("inFlight", kpis.inFlight());
        k.put("last10s", kpis.window(10));
        k.put("last60s", kpis.window(60));
        s.put("kpis", k);
        s.put("alerts", alerts.get());
        s.put("reload", lastReload);
        s.put("policy", policies.get());
        Path tmp = layout.stateFile().resolveSibling("daemon.json.tmp");
        Files.writeString(tmp, JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(s));
        Files.move(tmp, layout.stateFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static Map<String, Object> migration(MigrationStats m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("enabled", m != null);
        if (m != null) {
            out.put("promotions", m.promotions());
            out.put("demotions", m.demotions());
            out.put("bytesMigrated", m.bytesMigrated());
            out.put("bytesByRoute", m.bytesByRoute());
            out.put("backlog", m.backlog());
            out.put("copiedFromReads", m.copiedFromReads());
            out.put("spoiledByWrites", m.spoiledByWrites());
            out.put("failures", m.failures());
        }
        return out;
    }

    /** The outcome of the last reload, for `tierfs reload` to wait for and print. */
    void reloaded(boolean ok, String message) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("atMillis", System.currentTimeMillis());
        r.put("ok", ok);
        r.put("message", message);
        lastReload = r;
    }

    void writeQuietly() {
        try {
            write();
        } catch (IOException | RuntimeException e) {
            LOG.warning("could not update " + layout.stateFile() + ": " + e);
        }
    }

    void remove() {
        try {
            Files.deleteIfExists(layout.stateFile());
        } catch (IOException e) {
            LOG.warning("could not remove " + layout.stateFile() + ": " + e);
        }
    }
}
