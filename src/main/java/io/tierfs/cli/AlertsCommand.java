package io.tierfs.cli;

import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/** `tierfs alerts`: each alert rule's state, and when alerts fired and resolved. */
@Command(name = "alerts", mixinStandardHelpOptions = true,
    description = "List the volume's alert rules with their state (ok, pending, firing) and values, and the alerts"
        + " that fired and resolved, with both times.")
public final class AlertsCommand extends StateSectionCommand {
    @Override
    String section() {
        return "alerts";
    }

    @Override
    void printText(Map<?, ?> alerts) {
        System.out.printf("%-20s %-8s %-8s %s%n", "alert", "state", "severity", "rule / values");
        for (Object o : (List<?>) alerts.get("rules")) {
            Map<?, ?> r = (Map<?, ?>) o;
            System.out.printf("%-20s %-8s %-8s %s%n%39s%s%s%n", r.get("alert"), r.get("state"), r.get("severity"),
                r.get("rule"), "", r.get("values"), r.get("firedAt") != null ? " (firing since " + r.get("firedAt") + ")"
                    : r.get("holdingSince") != null ? " (holding since " + r.get("holdingSince") + ")" : "");
        }
        List<?> history = (List<?>) alerts.get("history");
        System.out.println(history.isEmpty() ? "\nno alert has fired since the mount" : "\nhistory:");
        for (Object o : history) {
            Map<?, ?> e = (Map<?, ?>) o;
            System.out.printf("  %s %-8s %-20s %s%s%n", e.get("at"), e.get("event"), e.get("alert"), e.get("values"),
                e.get("firedAt") != null ? " (fired " + e.get("firedAt") + ")" : "");
        }
    }
}
