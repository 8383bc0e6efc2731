package io.tierfs.metrics;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Alert rules evaluated against the KPIs: an alert is pending while its conditions hold, fires
 * once they have held for its duration, and resolves when they stop; each change is logged and
 * kept (the last {@link #HISTORY}), and {@code tierfs_alerts_firing{alert}} says which fire now.
 */
public final class Alerts {
    private static final Logger LOG = Logger.getLogger(Alerts.class.getName());
    static final int HISTORY = 100;

    /**
     * The built-in rules (a config file's alert.NAME = off turns one off, alert.NAME = RULE
     * changes it). The ssd tier runs near full by design (the watermarks), so tier use is watched
     * on the last tier, which has nowhere to spill.
     */
    public static final Map<String, String> DEFAULTS = Map.of(
        "low-iops", "total.iops < 1 and in_flight >= 1 for 60s severity critical",
        "high-read-latency", "read.p99_ms > 50 for 60s severity warning",
        "high-write-latency", "write.p99_ms > 100 for 60s severity warning",
        "high-tier-use", "hdd.use_percent > 90 for 60s severity critical",
        "high-error-rate", "errors_per_second > 1 for 60s severity critical");

    private List<AlertRule> rules;
    private Map<String, State> states = new LinkedHashMap<>();
    private final Deque<Map<String, Object>> history = new ArrayDeque<>();

    /** One rule's state: since when its conditions hold (0: they do not), and when it fired (0: not firing). */
    private static final class State {
        long holdingSince;
        long firedAt;
        double[] values = new double[0];
    }

    /**
     * The rules a mount runs: the {@link #DEFAULTS}, changed or turned off ("off") by
     * {@code overrides}, each checked against the KPI names of these tiers.
     *
     * @throws IllegalArgumentException "alert.NAME: what is wrong"
     */
    public static List<AlertRule> rules(Map<String, String> overrides, List<String> tiers) {
        Map<String, String> all = new java.util.TreeMap<>(DEFAULTS);
        all.putAll(overrides);
        return Kpis.parseRules(all, "alert.", tiers, AlertRule::parse);
    }

    public Alerts(List<AlertRule> rules, PrometheusRegistry registry) {
        this.rules = List.copyOf(rules);
        for (AlertRule r : rules) {
            states.put(r.name(), new State());
        }
        GaugeWithCallback.builder().name("tierfs_alerts_firing").help("1 while the alert fires, else 0")
            .labelNames("alert").callback(cb -> {
                synchronized (this) {
                    states.forEach((name, s) -> cb.call(s.firedAt != 0 ? 1 : 0, name));
                }
            }).register(registry);
    }

    /**
     * Runs {@code next} from now on: a rule kept as it was keeps its state (a firing alert goes
     * on firing); a changed or new one starts afresh, and a firing one that is dropped or changed
     * is recorded as ended by the reload.
     *
     * @return what changed, in words
     */
    public synchronized String replace(List<AlertRule> next, long now) {
        Map<String, AlertRule> old = new LinkedHashMap<>();
        rules.forEach(r -> old.put(r.name(), r));
        Map<String, State> kept = new LinkedHashMap<>();
        int added = 0;
        int changed = 0;
        for (AlertRule r : next) {
            AlertRule before = old.remove(r.name());
            if (before != null && before.expression().equals(r.expression())) {
                kept.put(r.name(), states.get(r.name()));
                continue;
            }
            if (before == null) {
                added++;
            } else {
                changed++;
                endByReload(before, now);
            }
            kept.put(r.name(), new State());
        }
        old.values().forEach(r -> endByReload(r, now));
        int removed = old.size();
        rules = List.copyOf(next);
        states = kept;
        return next.size() + " alert rules: " + added + " added, " + changed + " changed, " + removed + " removed, "
            + (next.size() - added - changed) + " unchanged";
    }

    private void endByReload(AlertRule r, long now) {
        State s = states.get(r.name());
        if (s != null && s.firedAt != 0) {
            record(r, "ended by reload", s, now);
        }
    }

    /** Evaluates every rule against {@code kpis} at {@code now} (milliseconds); once a second. */
    public synchronized void evaluate(Map<String, Double> kpis, long now) {
        for (AlertRule r : rules) {
            State s = states.get(r.name());
            boolean holds = r.conditions().stream().allMatch(c -> c.holds(kpis));
            s.values = r.conditions().stream().mapToDouble(c -> c.value(kpis)).toArray();
            if (!holds) {
                if (s.firedAt != 0) {
                    record(r, "resolved", s, now);
                    LOG.info("alert " + r.name() + " resolved after " + (now - s.firedAt) / 1000 + " s: " + values(r, s));
                }
                s.holdingSince = 0;
                s.firedAt = 0;
                continue;
            }
            if (s.holdingSince == 0) {
                s.holdingSince = now;
            }
            if (s.firedAt == 0 && now - s.holdingSince >= r.forMillis()) {
                s.firedAt = now;
                record(r, "firing", s, now);
                LOG.warning("alert " + r.name() + " (" + r.severity() + ") firing: " + values(r, s) + " since "
                    + Instant.ofEpochMilli(s.holdingSince));
            }
        }
    }

    private void record(AlertRule r, String event, State s, long now) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("alert", r.name());
        e.put("event", event);
        e.put("at", Instant.ofEpochMilli(now).toString());
        if (!event.equals("firing")) {
            e.put("firedAt", Instant.ofEpochMilli(s.firedAt).toString());
        }
        e.put("severity", r.severity());
        e.put("values", values(r, s));
        history.addLast(e);
        while (history.size() > HISTORY) {
            history.removeFirst();
        }
    }

    private static String values(AlertRule r, State s) {
        StringBuilder b = new StringBuilder();
        if (s.values.length == 0) {
            return "not evaluated yet";
        }
        for (int i = 0; i < r.conditions().size(); i++) {
            b.append(i == 0 ? "" : ", ").append(r.conditions().get(i).metric()).append(" = ")
                .append(String.format("%.3f", s.values[i])).append(" (rule: ").append(r.conditions().get(i)).append(')');
        }
        return b.toString();
    }

    /** Each rule's state now, and the changes kept, for `tierfs alerts`. */
    public synchronized Map<String, Object> status() {
        List<Map<String, Object>> now = new ArrayList<>();
        for (AlertRule r : rules) {
            State s = states.get(r.name());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("alert", r.name());
            m.put("rule", r.expression());
            m.put("severity", r.severity());
            m.put("state", s.firedAt != 0 ? "firing" : s.holdingSince != 0 ? "pending" : "ok");
            if (s.holdingSince != 0) {
                m.put("holdingSince", Instant.ofEpochMilli(s.holdingSince).toString());
            }
            if (s.firedAt != 0) {
                m.put("firedAt", Instant.ofEpochMilli(s.firedAt).toString());
            }
            m.put("values", values(r, s));
            now.add(m);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rules", now);
        out.put("history", new ArrayList<>(history));
        return out;
    }
}
