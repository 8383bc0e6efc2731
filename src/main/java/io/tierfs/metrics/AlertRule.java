package io.tierfs.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * "read.p99_ms > 50 for 60s severity warning": conditions that must all hold, for how long,
 * before the alert fires, and how bad that is.
 */
public record AlertRule(String name, List<Condition> conditions, long forMillis, String severity) {
    private static final Set<String> SEVERITIES = Set.of("info", "warning", "critical");

    /**
     * Parses {@code COND [and COND]... [for DURATION] [severity info|warning|critical]}; a
     * DURATION is seconds with s, m or h (default 0s, severity warning).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static AlertRule parse(String name, String text, Set<String> knownMetrics) {
        if (!name.matches("[a-z0-9][a-z0-9_-]*")) {
            throw new IllegalArgumentException("alert name '" + name + "' must be lower-case letters, digits, - and _");
        }
        String rest = text.strip();
        String severity = "warning";
        long forMillis = 0;
        int sev = rest.lastIndexOf(" severity ");
        if (sev >= 0) {
            severity = rest.substring(sev + 10).strip();
            rest = rest.substring(0, sev).strip();
            if (!SEVERITIES.contains(severity)) {
                throw new IllegalArgumentException("severity '" + severity + "' is not info, warning or critical");
            }
        }
        int dur = rest.lastIndexOf(" for ");
        if (dur >= 0) {
            forMillis = parseDuration(rest.substring(dur + 5).strip());
            rest = rest.substring(0, dur).strip();
        }
        List<Condition> conditions = new ArrayList<>();
        for (String part : rest.split("\\s+and\\s+")) {
            conditions.add(Condition.parse(part, knownMetrics));
        }
        return new AlertRule(name, List.copyOf(conditions), forMillis, severity);
    }

    /** "30s", "5m", "1h" to milliseconds. */
    public static long parseDuration(String text) {
        if (text.matches("\\d+[smh]")) {
            long n = Long.parseLong(text.substring(0, text.length() - 1));
            long unit = switch (text.charAt(text.length() - 1)) {
                case 's' -> 1000L;
                case 'm' -> 60_000L;
                default -> 3_600_000L;
            };
            return n * unit;
        }
        throw new IllegalArgumentException("duration '" + text + "' is a whole number with s, m or h, e.g. 60s or 5m");
    }

    public String expression() {
        StringBuilder b = new StringBuilder();
        for (Condition c : conditions) {
            b.append(b.length() == 0 ? "" : " and ").append(c);
        }
        return b + " for " + forMillis / 1000 + "s severity " + severity;
    }
}
