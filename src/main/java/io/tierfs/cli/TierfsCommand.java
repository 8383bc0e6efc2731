package io.tierfs.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `tierfs` command. */
@Command(name = "tierfs", mixinStandardHelpOptions = true, version = "tierfs 0.1.0",
    description = "A tiered FUSE filesystem for container hosts.",
    subcommands = {MountCommand.class, UnmountCommand.class, StatusCommand.class, WhereCommand.class, ScrubCommand.class,
        StatsCommand.class, AlertsCommand.class, ReloadCommand.class, PolicyCommand.class, PluginCommand.class,
        SimulateCommand.class,
        CommandLine.HelpCommand.class})
public final class TierfsCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: mount, unmount, status, stats, alerts, policy, reload, where, scrub, simulate or plugin");
    }

    public static void main(String[] args) {
        io.tierfs.daemon.DaemonLog.install();
        CommandLine cl = commandLine();
        String[] mountArgs;
        try {
            mountArgs = MountHelperArgs.translate(args, cl.getSubcommands().keySet());
        } catch (IllegalArgumentException e) {
            System.err.println("tierfs: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(cl.execute(mountArgs != null ? mountArgs : args));
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new TierfsCommand());
        // Bad input gets one line on stderr, not a page of usage.
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("tierfs: " + ex.getMessage()
                + " (see: tierfs " + ex.getCommandLine().getCommandName().replace("tierfs", "").trim() + " --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, p) -> {
            c.getErr().println("tierfs: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            return 1;
        });
        return cl;
    }
}
