package io.tierfs.cli;

import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/** `tierfs policy log`: the policies, and what they did and why. */
@Command(name = "policy", mixinStandardHelpOptions = true, description = "The volume's policies.",
    subcommands = PolicyCommand.Log.class)
public final class PolicyCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: log");
    }

    @Command(name = "log", mixinStandardHelpOptions = true,
        description = "List the policies with their state, and the audit of their actions: when, the values that"
            + " triggered each, and what it changed (also in DATA/policy-audit.log).")
    static final class Log extends StateSectionCommand {
        @Override
        String section() {
            return "policy";
        }

        @Override
        void printText(Map<?, ?> policy) {
            List<?> rules = (List<?>) policy.get("rules");
            System.out.println(rules.isEmpty() ? "no policies (policy.NAME = RULE in the config file)" : "policies:");
            for (Object o : rules) {
                Map<?, ?> r = (Map<?, ?>) o;
                System.out.printf("  %-16s %-8s %s%s%n", r.get("policy"), r.get("state"), r.get("rule"),
                    r.get("lastRun") != null ? " (last run " + r.get("lastRun") + ")" : "");
            }
            List<?> audit = (List<?>) policy.get("audit");
            System.out.println(audit.isEmpty() ? "\nno action taken since the mount" : "\naudit:");
            for (Object o : audit) {
                Map<?, ?> e = (Map<?, ?>) o;
                System.out.printf("  %s %s: %s on %s (%s): %s, %s changed, %s already so; triggered by %s%n", e.get("at"),
                    e.get("policy"), e.get("action"), e.get("scope"), e.get("change"), e.get("result"),
                    e.get("changed"), e.get("unchanged"), e.get("triggeredBy"));
            }
        }
    }
}
