package io.tierfs.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * `tierfs scrub`: asks the daemon to verify every copy of every sealed block (see
 * {@code integrity.Scrubber}), through a request file in the data folder, and follows it in the
 * state the daemon writes every second.
 */
@Command(name = "scrub", mixinStandardHelpOptions = true,
    description = {"Verify every copy of every sealed block against its checksums in the background, rewrite bad"
        + " copies from their replicas, and report blocks checked, bad, repaired and unrecoverable (with paths).",
        "A scrub stopped (--stop, an unmount, a crash) resumes where it stopped: after a remount by itself, after"
            + " --stop when asked again. Ctrl-C stops the waiting, not the scrub.",
        "Exit status: 0 if every block checked has a good copy, 4 if some have none, 1 on errors."})
public final class ScrubCommand implements Callable<Integer> {
    private static final long WAIT_FOR_DAEMON_MILLIS = 10_000;

    @Parameters(index = "0", paramLabel = "MOUNTPOINT")
    Path mountpoint;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--rate", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "64M",
        description = "The most the scrub reads a second (default: ${DEFAULT-VALUE}).")
    long rate;

    @Option(names = "--stop", description = "Stop the scrub under way; the next `tierfs scrub` resumes it.")
    boolean stop;

    @Option(names = "--status", description = "Report the scrub under way, or the last one, without starting one.")
    boolean status;

    @Option(names = "--no-wait", description = "Start the scrub and return; follow it with --status.")
    boolean noWait;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path mp = mountpoint.toAbsolutePath().normalize();
        Path data = StatusCommand.servedFrom(mp);
        if (data == null) {
            return 1;
        }
        if (rate <= 0) {
            System.err.println("tierfs: --rate must be positive");
            return 2;
        }
        if (status) {
            return report(scrubState(data));
        }
        long id = System.currentTimeMillis();
        request(data, stop ? "stop " + id : "start " + id + " " + rate);
        Map<?, ?> scrub = awaitTaken(data, id);
        if (scrub == null) {
            System.err.println("tierfs: the daemon of " + mp + " did not take the scrub request within "
                + WAIT_FOR_DAEMON_MILLIS / 1000 + " s");
            return 1;
        }
        if (stop || noWait) {
            return report(scrub);
        }
        long lastProgress = System.currentTimeMillis();
        while ("running".equals(scrub.get("phase"))) {
            Thread.sleep(500);
            scrub = StatusCommand.daemonOf(data, mp).isPresent() ? scrubState(data) : null;
            if (scrub == null) {
                System.err.println("tierfs: the daemon of " + mp + " stopped; the scrub resumes at its next mount");
                return 1;
            }
            if (!json && System.currentTimeMillis() - lastProgress > 10_000) {
                lastProgress = System.currentTimeMillis();
                System.err.printf("scrub: %s blocks checked, %s skipped, %s bad, %s repaired, %s unrecoverable%n",
                    scrub.get("checked"), scrub.get("skipped"), scrub.get("bad"), scrub.get("repaired"), scrub.get("unrecoverable"));
            }
        }
        return report(scrub);
    }

    /** Leaves {@code line} for the daemon, whole: written aside, then renamed into place. */
    private static void request(Path data, String line) throws IOException {
        Path file = data.resolve("scrub.request");
        Path tmp = data.resolve("scrub.request.tmp");
        Files.writeString(tmp, line + "\n");
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The scrub's state once it shows request {@code id} taken, or null if it does not in time. */
    private static Map<?, ?> awaitTaken(Path data, long id) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_FOR_DAEMON_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            Map<?, ?> scrub = scrubState(data);
            if (scrub != null && ((Number) scrub.get("request")).longValue() == id) {
                return scrub;
            }
            Thread.sleep(100);
        }
        return null;
    }

    private static Map<?, ?> scrubState(Path data) throws IOException {
        Map<String, Object> state = StatusCommand.readState(data);
        if (state == null) {
            return null;
        }
        return (Map<?, ?>) ((Map<?, ?>) state.get("integrity")).get("scrub");
    }

    private int report(Map<?, ?> scrub) throws IOException {
        if (scrub == null) {
            System.err.println("tierfs: the daemon is not running");
            return 1;
        }
        if (json) {
            System.out.println(JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(scrub));
        } else {
            System.out.printf("scrub %s: %s blocks checked, %s skipped, %s bad, %s repaired, %s unrecoverable%n",
                scrub.get("phase"), scrub.get("checked"), scrub.get("skipped"), scrub.get("bad"), scrub.get("repaired"),
                scrub.get("unrecoverable"));
            for (Object block : (List<?>) scrub.get("unrecoverableBlocks")) {
                System.out.println("  unrecoverable: " + block);
            }
        }
        return ((Number) scrub.get("unrecoverable")).longValue() > 0 ? 4 : 0;
    }
}
