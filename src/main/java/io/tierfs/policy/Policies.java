package io.tierfs.policy;

import com.fasterxml.jackson.jr.ob.JSON;
import io.tierfs.metrics.Condition;
import io.tierfs.metrics.Kpis;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Logger;

/**
 * The policy engine: rules evaluated once a second against the KPIs, like alerts; when a rule
 * has held for its duration its actions are carried out (on a thread of their own: a scope may be
 * a large tree), at most once per its period while it goes on holding. Every run is audited: the
 * values that triggered it and what each action changed, in {@code DATA/policy-audit.log} (a JSON
 * line each) and in the last {@link #AUDIT_KEPT} for `tierfs policy log`.
 */
public final class Policies implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Policies.class.getName());
    static final int AUDIT_KEPT = 100;

    /** Carries out one action on a scope and says what it changed; throws if it could not. */
    interface Executor {
        ScopeAttributes.Outcome apply(String scope, PolicyRule.Action action);
    }

    private final Executor actions;
    private final Path auditFile;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tierfs-policy");
        t.setDaemon(true);
        return t;
    });
    private List<PolicyRule> rules;
    /** Per rule {holding since, last run}, {@link #NEVER} for not holding, never run. */
    private Map<String, long[]> states = new LinkedHashMap<>();
    private static final long NEVER = Long.MIN_VALUE;
    private final Deque<Map<String, Object>> audit = new ArrayDeque<>();

    Policies(List<PolicyRule> rules, Executor actions, Path auditFile) {
        this.rules = List.copyOf(rules);
        this.actions = actions;
        this.auditFile = auditFile;
        rules.forEach(r -> states.put(r.name(), idle()));
    }

    /**
     * @param hot      the hot tier the cache actions resize, or null for none
     * @param promoter a file's blocks made to look much used, by the migrator; returns how many
     */
    public Policies(List<PolicyRule> rules, io.tierfs.namespace.Inodes inodes, io.tierfs.namespace.Namespace namespace,
                    io.tierfs.namespace.Xattrs xattrs, io.tierfs.tier.HotTier hot,
                    java.util.function.LongUnaryOperator promoter, Path auditFile) {
        this(rules, dispatch(new ScopeAttributes(inodes, namespace, xattrs, promoter), new HotTierSize(hot)), auditFile);
    }

    private static Executor dispatch(ScopeAttributes scopes, HotTierSize cache) {
        return (scope, action) -> switch (action.verb()) {
            case "grow-cache", "shrink-cache" -> cache.apply(action);
            case "promote" -> scopes.promote(scope);
            default -> scopes.apply(scope, action);
        };
    }

    /**
     * The rules by name ("off" for none), checked against the KPI names of these tiers.
     *
     * @throws IllegalArgumentException "policy.NAME: what is wrong"
     */
    public static List<PolicyRule> rules(Map<String, String> byName, List<String> tiers) {
        return Kpis.parseRules(byName, "policy.", tiers, PolicyRule::parse);
    }

    private static long[] idle() {
        return new long[] {NEVER, NEVER};
    }

    /** Evaluates the rules against {@code kpis} at {@code now}; once a second. */
    public synchronized void evaluate(Map<String, Double> kpis, long now) {
        for (PolicyRule r : rules) {
            long[] s = states.get(r.name());
            if (!r.conditions().stream().allMatch(c -> c.holds(kpis))) {
                s[0] = NEVER;
                continue;
            }
            if (s[0] == NEVER) {
                s[0] = now;
            }
            if (now - s[0] >= r.forMillis() && (s[1] == NEVER || now - s[1] >= r.everyMillis())) {
                s[1] = now;
                Map<String, Double> values = new TreeMap<>();
                for (Condition c : r.conditions()) {
                    values.put(c.metric(), c.value(kpis));
                }
                worker.execute(() -> run(r, values, now));
            }
        }
    }

    private void run(PolicyRule r, Map<String, Double> values, long now) {
        for (PolicyRule.Action a : r.actions()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("at", Instant.ofEpochMilli(now).toString());
            e.put("policy", r.name());
            e.put("rule", r.expression());
            e.put("triggeredBy", values);
            e.put("action", a.toString());
            e.put("scope", r.scope());
            try {
                ScopeAttributes.Outcome o = actions.apply(r.scope(), a);
                e.put("change", o.detail());
                e.put("result", o.changed() == 0 ? "no change: already so" : a.verb().equals("promote") ? "done"
                    : "changed");
                e.put("changed", o.changed());
                e.put("unchanged", o.unchanged());
                LOG.info("policy " + r.name() + ": " + a + " on " + r.scope() + ": " + o.detail() + ", " + o.changed()
                    + " changed, " + o.unchanged() + " already so (triggered by " + values + ")");
            } catch (RuntimeException ex) {
                e.put("result", "failed: " + ex.getMessage());
                LOG.warning("policy " + r.name() + ": " + a + " on " + r.scope() + " failed: " + ex.getMessage());
            }
            record(e);
        }
    }

    private void record(Map<String, Object> e) {
        synchronized (audit) {
            audit.addLast(e);
            while (audit.size() > AUDIT_KEPT) {
                audit.removeFirst();
            }
        }
        try {
            Files.writeString(auditFile, JSON.std.asString(e) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        } catch (IOException ex) {
            LOG.warning("cannot append to " + auditFile + ": " + ex.getMessage());
        }
    }

    /** Runs {@code next} from now on; a rule kept as it was keeps its timing. */
    public synchronized String replace(List<PolicyRule> next) {
        Map<String, long[]> kept = new LinkedHashMap<>();
        Map<String, PolicyRule> old = new LinkedHashMap<>();
        rules.forEach(r -> old.put(r.name(), r));
        int changed = 0;
        for (PolicyRule r : next) {
            PolicyRule before = old.remove(r.name());
            boolean same = before != null && before.expression().equals(r.expression());
            kept.put(r.name(), same ? states.get(r.name()) : idle());
            changed += same ? 0 : 1;
        }
        rules = List.copyOf(next);
        states = kept;
        return next.size() + " policies: " + changed + " new or changed, " + old.size() + " removed";
    }

    /** The rules, their state, and the audit kept, for `tierfs policy log` and the state file. */
    public synchronized Map<String, Object> status() {
        List<Map<String, Object>> now = new ArrayList<>();
        for (PolicyRule r : rules) {
            long[] s = states.get(r.name());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("policy", r.name());
            m.put("rule", r.expression());
            m.put("state", s[0] != NEVER ? "holding" : "idle");
            if (s[1] != NEVER) {
                m.put("lastRun", Instant.ofEpochMilli(s[1]).toString());
            }
            now.add(m);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rules", now);
        synchronized (audit) {
            out.put("audit", new ArrayList<>(audit));
        }
        return out;
    }

    /** Lets an action under way finish (before the daemon syncs and closes its stores), and stops. */
    @Override
    public void close() {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS)) {
                LOG.warning("a policy action still runs after 30 s; the shutdown goes on");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for the actions started so far (tests). */
    void drain() throws Exception {
        worker.submit(() -> { }).get();
    }
}
