package io.tierfs.cli;

import io.tierfs.daemon.DaemonLog;
import io.tierfs.daemon.VolumeException;
import io.tierfs.plugin.PluginServer;
import io.tierfs.plugin.VolumeDriver;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** `tierfs plugin`: serve container engines' volume requests until stopped. */
@Command(name = "plugin", mixinStandardHelpOptions = true,
    description = "Serve Docker's volume plugin protocol (Docker and podman) so that engines create and mount tierfs"
        + " volumes by driver name. Each volume is a tierfs volume of its own under --root, mounted by its own daemon"
        + " while containers use it; the volumes keep serving if the plugin stops.")
public final class PluginCommand implements Callable<Integer> {
    @Option(names = "--socket", paramLabel = "PATH", defaultValue = "/run/docker/plugins/tierfs.sock",
        description = "The unix socket to serve (default: ${DEFAULT-VALUE}, where engines discover plugins).")
    Path socket;

    @Option(names = "--root", paramLabel = "DIR", defaultValue = "/var/lib/tierfs/plugin",
        description = "The plugin's folder: its log, and in volumes/NAME each volume's data, options and mountpoint"
            + " (default: ${DEFAULT-VALUE}).")
    Path root;

    @Override
    public Integer call() throws Exception {
        Path sock = socket.toAbsolutePath().normalize();
        Path dir = root.toAbsolutePath().normalize();
        try {
            PluginServer.claimSocket(sock);
        } catch (VolumeException e) {
            System.err.println("tierfs: " + e.getMessage());
            return 1;
        }
        VolumeDriver driver = new VolumeDriver(dir);
        DaemonLog.toFile(dir.resolve("plugin.log"));
        PluginServer server = new PluginServer(driver, sock);
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.stop(); // the volumes' daemons serve on: containers keep their data
            } catch (Exception e) {
                System.err.println("tierfs: stopping the plugin: " + e);
            }
            DaemonLog.flush();
        }, "tierfs-plugin-stop"));
        SystemdNotify.ready("serving " + sock);
        System.out.println("tierfs plugin serving " + sock + " (volumes in " + dir + ", "
            + driver.list().size() + " known; log: " + dir.resolve("plugin.log") + ")");
        server.join();
        return 0;
    }
}
