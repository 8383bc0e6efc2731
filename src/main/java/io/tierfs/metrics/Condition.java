package io.tierfs.metrics;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** "read.p95_ms > 5": a KPI compared with a threshold; the building block of alert and policy rules. */
public record Condition(String metric, String operator, double threshold) {
    private static final Set<String> OPERATORS = Set.of(">", ">=", "<", "<=", "==", "!=");

    /**
     * @throws IllegalArgumentException saying what is wrong: an unknown metric (with the known
     *     ones), an unknown operator, a threshold that is no number
     */
    public static Condition parse(String text, Set<String> knownMetrics) {
        String[] w = text.strip().split("\\s+");
        if (w.length != 3) {
            throw new IllegalArgumentException("a condition is METRIC OPERATOR NUMBER, e.g. read.p95_ms > 5, not '"
                + text.strip() + "'");
        }
        if (!knownMetrics.contains(w[0]) && !Kpis.isPerOperation(w[0])) {
            throw new IllegalArgumentException("unknown metric '" + w[0] + "' (known: " + String.join(", ",
                new TreeSet<>(knownMetrics)) + ", and OP.iops, OP.bytes_per_second, OP.avg_ms, OP.p50_ms, OP.p95_ms,"
                + " OP.p99_ms, OP.max_ms for an operation OP such as read, write, lookup, create, fsync)");
        }
        if (!OPERATORS.contains(w[1])) {
            throw new IllegalArgumentException("unknown operator '" + w[1] + "' (known: >, >=, <, <=, ==, !=)");
        }
        double threshold;
        try {
            threshold = Double.parseDouble(w[2]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("threshold '" + w[2] + "' is not a number");
        }
        if (!Double.isFinite(threshold)) {
            throw new IllegalArgumentException("threshold '" + w[2] + "' is not a finite number");
        }
        return new Condition(w[0], w[1], threshold);
    }

    /** Whether it holds for these KPIs; a KPI without a value (no traffic of that kind) is 0. */
    public boolean holds(Map<String, Double> kpis) {
        double v = value(kpis);
        return switch (operator) {
            case ">" -> v > threshold;
            case ">=" -> v >= threshold;
            case "<" -> v < threshold;
            case "<=" -> v <= threshold;
            case "==" -> v == threshold;
            default -> v != threshold;
        };
    }

    public double value(Map<String, Double> kpis) {
        return kpis.getOrDefault(metric, 0.0);
    }

    @Override
    public String toString() {
        return metric + " " + operator + " " + (threshold == Math.rint(threshold) ? Long.toString((long) threshold)
            : Double.toString(threshold));
    }
}
