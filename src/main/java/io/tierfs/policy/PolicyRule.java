package io.tierfs.policy;

import io.tierfs.codec.CompressionChoice;
import io.tierfs.metrics.AlertRule;
import io.tierfs.metrics.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * "read.p95_ms > 5 for 60s in /db do replicate, migrate ssd every 10m": conditions that must
 * all hold for a while, an optional scope (a path in the volume), the actions taken on it, and
 * how often at most they are taken again while the conditions go on holding.
 */
public record PolicyRule(String name, List<Condition> conditions, long forMillis, String scope, List<Action> actions,
                         long everyMillis) {
    static final long DEFAULT_EVERY_MILLIS = 300_000;
    private static final Set<String> TIERS = Set.of("hot", "ssd", "hdd", "none");

    /** One action and its argument ("" for none). */
    public record Action(String verb, String argument) {
        @Override
        public String toString() {
            return argument.isEmpty() ? verb : verb + " " + argument;
        }
    }

    /** @throws IllegalArgumentException naming what is wrong */
    public static PolicyRule parse(String name, String text, Set<String> knownMetrics) {
        int doAt = text.indexOf(" do ");
        if (doAt < 0) {
            throw new IllegalArgumentException("a policy is CONDITIONS [for D] [in PATH] do ACTION[, ACTION...] [every D]");
        }
        String when = text.substring(0, doAt).strip();
        String what = text.substring(doAt + 4).strip();
        long every = DEFAULT_EVERY_MILLIS;
        int ev = what.lastIndexOf(" every ");
        if (ev >= 0) {
            every = AlertRule.parseDuration(what.substring(ev + 7).strip());
            what = what.substring(0, ev).strip();
        }
        String scope = "/";
        int in = when.lastIndexOf(" in ");
        if (in >= 0) {
            scope = when.substring(in + 4).strip();
            when = when.substring(0, in).strip();
            if (!scope.startsWith("/") || scope.contains("/../") || scope.endsWith("/..") || scope.contains("//")) {
                throw new IllegalArgumentException("scope '" + scope + "' is a path inside the volume, from its root: /db");
            }
        }
        AlertRule conditions = AlertRule.parse(name, when, knownMetrics); // the same grammar: conditions and a duration
        List<Action> actions = new ArrayList<>();
        for (String a : what.split(",")) {
            actions.add(action(a.strip()));
        }
        return new PolicyRule(name, conditions.conditions(), conditions.forMillis(), scope, List.copyOf(actions), every);
    }

    private static Action action(String text) {
        String[] w = text.split("\\s+", 2);
        String arg = w.length > 1 ? w[1].strip() : "";
        switch (w[0]) {
            case "replicate" -> {
                if (!arg.isEmpty()) {
                    throw new IllegalArgumentException("replicate takes no argument");
                }
            }
            case "compress" -> {
                try {
                    CompressionChoice.parse(arg);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("compress takes auto, zstd, zstd:LEVEL, lz4 or none: " + e.getMessage());
                }
            }
            case "migrate" -> {
                if (!TIERS.contains(arg)) {
                    throw new IllegalArgumentException("migrate takes a tier: hot, ssd, hdd (or none to let placement decide)");
                }
            }
            case "grow-cache", "shrink-cache" -> {
                if (arg.isEmpty()) {
                    arg = "25%";
                }
                if (!arg.matches("\\d{1,3}%") || Integer.parseInt(arg.substring(0, arg.length() - 1)) == 0) {
                    throw new IllegalArgumentException(w[0] + " takes a step in percent of the hot tier, e.g. 25%, not '"
                        + arg + "'");
                }
            }
            case "promote" -> {
                if (!arg.isEmpty()) {
                    throw new IllegalArgumentException("promote takes no argument");
                }
            }
            default -> throw new IllegalArgumentException("unknown action '" + w[0] + "' (known: promote, replicate,"
                + " compress CODEC, migrate TIER, grow-cache [STEP%], shrink-cache [STEP%])");
        }
        return new Action(w[0], arg);
    }

    public String expression() {
        StringBuilder b = new StringBuilder();
        for (Condition c : conditions) {
            b.append(b.length() == 0 ? "" : " and ").append(c);
        }
        return b + " for " + forMillis / 1000 + "s in " + scope + " do " + actions.toString().replaceAll("^\\[|]$", "")
            + " every " + everyMillis / 1000 + "s";
    }
}
