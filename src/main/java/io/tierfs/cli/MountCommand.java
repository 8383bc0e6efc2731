package io.tierfs.cli;

import io.tierfs.daemon.ConfigFile;
import io.tierfs.daemon.Daemon;
import io.tierfs.daemon.MountSettings;
import io.tierfs.daemon.Mounts;
import io.tierfs.daemon.Preflight;
import io.tierfs.daemon.VolumeException;
import io.tierfs.metrics.MetricsEndpoint;
import io.tierfs.nativeio.LibC;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `tierfs mount`: start a daemon for a volume and return once its mount serves. */
@Command(name = "mount", mixinStandardHelpOptions = true,
    description = "Mount a tierfs volume. Without --foreground, returns once the mount serves, leaving the daemon in the background.")
public final class MountCommand implements Callable<Integer> {
    private static final long READY_TIMEOUT_MILLIS = 60_000;
    /** The migrator's rate unless told otherwise: a tenth of a fast SSD, enough to settle in minutes. */
    static final long DEFAULT_MIGRATE_RATE = 128L << 20;
    /** Measured in ARCHITECTURE.md ("Buffered writes"): a 256 MiB working set stays in memory. */
    static final long DEFAULT_DIRTY_LIMIT = 512L << 20;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MOUNTPOINT",
        description = "An existing, empty directory (or the config file's mountpoint).")
    Path mountpoint;

    @Option(names = "--config", paramLabel = "FILE", description = "A properties file with any of: " +
        "data, ssd, hdd, ssd-capacity, hdd-capacity, hot-capacity, migrate, migrate-rate, watermarks, block-size,"
        + " threads, seal-after, compress, zstd-level, min-saving, mount-flags, mountpoint, metrics, writeback-cache,"
        + " dirty-limit."
        + " Options given on the command line win.")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", description = "The volume's data folder (default: ./tierfs-data).")
    Path data;

    @Option(names = "--ssd", paramLabel = "DIR", description = "The fast tier's directory (default: DATA/ssd).")
    Path ssd;

    @Option(names = "--hdd", paramLabel = "DIR", description = "The slow tier's directory (default: DATA/hdd).")
    Path hdd;

    @Option(names = "--ssd-capacity", paramLabel = "SIZE", converter = SizeConverter.class,
        description = "Most the ssd tier may hold, e.g. 20G (default: its filesystem's size; required where the filesystem reports none). Recorded; a later mount may change it.")
    Long ssdCapacity;

    @Option(names = "--hdd-capacity", paramLabel = "SIZE", converter = SizeConverter.class,
        description = "Most the hdd tier may hold (default: its filesystem's size; required where the filesystem reports none). Recorded; a later mount may change it.")
    Long hddCapacity;

    @Option(names = "--hot-capacity", paramLabel = "SIZE", converter = SizeConverter.class,
        description = "Memory for the hot tier, a memory-mapped cache of the most used blocks (default for a new"
            + " volume: 512M, at most an eighth of the RAM; 0: no hot tier). Recorded; a later mount may change it.")
    Long hotCapacity;

    @Option(names = "--hot-capacity-max", paramLabel = "SIZE", converter = SizeConverter.class,
        description = "The most a policy's grow-cache may make the hot tier, live (default: --hot-capacity, no growth);"
            + " its memory-mapped file is made for this much.")
    Long hotCapacityMax;

    @Option(names = "--migrate", paramLabel = "on|off",
        description = "Whether blocks move between tiers by use (default: on). Off: they stay where they were written.")
    String migrate;

    @Option(names = "--migrate-rate", paramLabel = "SIZE", converter = SizeConverter.class,
        description = "The most the migrator copies a second (default: 128M).")
    Long migrateRate;

    @Option(names = "--watermarks", paramLabel = "HIGH,LOW",
        description = "The ssd tier's watermarks in percent: new blocks go to hdd above HIGH, placement fills it to LOW"
            + " (default: 98,95).")
    String watermarks;

    @Option(names = "--block-size", paramLabel = "SIZE", converter = SizeConverter.class,
        description = "Block size of a new volume: a power of two from 4K to 4M (default: 128K).")
    Long blockSize;

    @Option(names = "--seal-after", paramLabel = "SECONDS",
        description = "Seal a block (checksums every later read verifies) once it was left unwritten this long"
            + " (default: 30; 0: only on a move and at a clean unmount).")
    Integer sealAfter;

    @Option(names = "--compress", paramLabel = "TIERS",
        description = "The tiers that store the blocks moved to them compressed, LZ4 or Zstd by content: hdd, ssd,hdd,"
            + " ssd or none (default: hdd).")
    String compress;

    @Option(names = "--zstd-level", paramLabel = "N",
        description = "Zstd's level for text blocks, 1 (fastest) to 19 (smallest); a file's user.tierfs.compress"
            + " may name its own (default: 3).")
    Integer zstdLevel;

    @Option(names = "--min-saving", paramLabel = "PERCENT",
        description = "A block is stored compressed only if that saves at least this share of it (default: 12.5).")
    Double minSaving;

    @Option(names = "--mount-flags", paramLabel = "FLAGS",
        description = "Kernel mount flags, comma-separated: noexec, exec, noatime, atime, sync, async, dirsync"
            + " (a tierfs mount is always rw, nosuid and nodev).")
    String mountFlags;

    @Option(names = "--metrics", paramLabel = "ADDRESS:PORT|off",
        description = "Where the Prometheus endpoint listens (default: " + MetricsEndpoint.DEFAULT_ADDRESS
            + ", loopback on a free port; `tierfs status --json` gives its URL as metrics_url); off: none.")
    String metrics;

    @Option(names = "--alert", paramLabel = "NAME=RULE", mapFallbackValue = "",
        description = "An alert rule, e.g. --alert 'slow-reads=read.p99_ms > 20 for 30s severity warning', or"
            + " NAME=off to turn a built-in one off (config file: alert.NAME = RULE). Repeatable.")
    Map<String, String> alert;

    @Option(names = "--writeback-cache", paramLabel = "on|off",
        description = "Whether the kernel keeps buffered writes as dirty pages and sends them in large writes later"
            + " (default: on); fsync and close still write them through. Off: every write waits for tierfs.")
    String writebackCache;

    @Option(names = "--dirty-limit", paramLabel = "SIZE", converter = SizeConverter.class,
        description = "The most unwritten data the kernel may hold for this mount with the writeback cache (default: "
            + "512M; from 1M to 4G).")
    Long dirtyLimit;

    @Option(names = "--threads", paramLabel = "N", description = "FUSE worker threads (default: 8).")
    Integer threads;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing once mounted (errors still go to stderr).")
    boolean quiet;

    @Option(names = "--foreground", description = "Serve in this process until unmounted or signalled.")
    boolean foreground;

    @Override
    public Integer call() throws Exception {
        MountSettings s = settings();
        try {
            if (foreground) {
                Daemon daemon = new Daemon(s);
                daemon.start();
                stopOnSignals(daemon);
                SystemdNotify.ready("serving " + s.mountpoint());
                daemon.awaitUnmount();
                return 0;
            }
            long pid = launch(s);
            if (!quiet) {
                System.out.println("tierfs mounted at " + s.mountpoint() + " (data in " + s.data() + ", pid " + pid
                    + "); unmount with: tierfs unmount " + s.mountpoint());
            }
            return 0;
        } catch (VolumeException e) {
            System.err.println("tierfs: " + e.getMessage());
            return 1;
        }
    }

    /**
     * SIGTERM and SIGINT end the daemon as an unmount does, and with it the process with status 0:
     * a service manager counts the JVM's own way out (status 143) as a failure. A signal the
     * process inherited as ignored (a background job's SIGINT) stays ignored.
     */
    private static void stopOnSignals(Daemon daemon) {
        for (String name : List.of("TERM", "INT")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                    daemon.stop();
                    // its files closed and synced: exiting closes the FUSE device, which ends the
                    // connection, so a process still holding a file on the detached mount gets
                    // errors rather than waiting on a daemon that no longer answers
                    System.exit(0);
                });
            } catch (IllegalArgumentException taken) {
                // left to the JVM's shutdown hook, which stops the daemon as well
            }
        }
        // SIGHUP, as daemons take it (and `tierfs reload` sends it): read the config file's alert
        // rules again. Also when the daemon inherited it ignored (started under nohup): the JVM
        // would keep it so, and every reload would go unanswered.
        LibC.INSTANCE.signal(LibC.SIGHUP, LibC.SIG_DFL);
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> daemon.reload());
    }

    /**
     * The settings `tierfs mount ARGS...` would mount with, checked as the command checks them.
     *
     * @throws IllegalArgumentException naming the first bad option or value
     */
    public static MountSettings parse(String... args) throws IOException {
        MountCommand c = new MountCommand();
        try {
            new picocli.CommandLine(c).parseArgs(args);
        } catch (picocli.CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return c.settings();
    }

    /**
     * Checks the request, starts a daemon in the background and returns its pid once the mount
     * serves.
     */
    public static long launch(MountSettings s) throws VolumeException, IOException, InterruptedException {
        Preflight.checkMountpoint(s.mountpoint(), s.data());
        Preflight.checkDataFolder(s);
        return spawnDaemon(s);
    }

    MountSettings settings() throws IOException {
        Properties p = new Properties();
        if (config != null) {
            p = ConfigFile.load(config, ConfigFile.KEYS);
        }
        Path dataDir = pick(data, p, "data", Path.of("tierfs-data"));
        long bs = blockSize != null ? blockSize : p.containsKey("block-size") ? SizeConverter.parse(p.getProperty("block-size")) : 0;
        if (bs != 0 && (bs < 4096 || bs > (4 << 20) || Long.bitCount(bs) != 1)) {
            throw new IllegalArgumentException("block size must be a power of two from 4K to 4M, not " + bs);
        }
        int n = threads != null ? threads : Integer.parseInt(p.getProperty("threads", "8"));
        if (n < 1 || n > 64) {
            throw new IllegalArgumentException("threads must be from 1 to 64, not " + n);
        }
        boolean migrating = onOff(migrate, p, "migrate");
        long dirty = dirtyLimit != null ? dirtyLimit
            : p.containsKey("dirty-limit") ? SizeConverter.parse(p.getProperty("dirty-limit")) : DEFAULT_DIRTY_LIMIT;
        MountSettings.WritebackCache writeback = new MountSettings.WritebackCache(onOff(writebackCache, p,
            "writeback-cache"), dirty);
        long rate = migrateRate != null ? migrateRate
            : p.containsKey("migrate-rate") ? SizeConverter.parse(p.getProperty("migrate-rate")) : DEFAULT_MIGRATE_RATE;
        if (rate <= 0) {
            throw new IllegalArgumentException("migrate-rate must be more than 0 bytes a second");
        }
        MountSettings.Watermarks marks = watermarks != null ? MountSettings.Watermarks.parse(watermarks)
            : p.containsKey("watermarks") ? MountSettings.Watermarks.parse(p.getProperty("watermarks"))
            : MountSettings.Watermarks.DEFAULT;
        int seal;
        try {
            seal = sealAfter != null ? sealAfter : Integer.parseInt(p.getProperty("seal-after", "30").trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("seal-after must be a whole number of seconds, not '"
                + p.getProperty("seal-after") + "'");
        }
        if (seal < 0 || seal > 86_400) {
            throw new IllegalArgumentException("seal-after must be from 0 to 86400 seconds, not " + seal);
        }
        Path mp = mountpoint != null ? mountpoint : pick(null, p, "mountpoint", null);
        if (mp == null) {
            throw new IllegalArgumentException("no mountpoint: give one after the options, or as mountpoint in the config file");
        }
        Map<String, String> commandLineAlerts = alert == null ? Map.of() : alert;
        ConfigFile.alerts(config, p, commandLineAlerts, List.of("hot", "ssd", "hdd")); // refuses a bad rule now
        ConfigFile.policies(config, p, List.of("hot", "ssd", "hdd"));
        long hot = hotCapacity != null ? hotCapacity
            : p.containsKey("hot-capacity") ? SizeConverter.parse(p.getProperty("hot-capacity")) : MountSettings.UNSET;
        return new MountSettings(mp.toAbsolutePath().normalize(), dataDir.toAbsolutePath().normalize(),
            abs(pick(ssd, p, "ssd", null)), abs(pick(hdd, p, "hdd", null)), (int) bs,
            size(ssdCapacity, p, "ssd-capacity"), size(hddCapacity, p, "hdd-capacity"), hot,
            hotCapacityMax != null ? hotCapacityMax : p.containsKey("hot-capacity-max")
                ? SizeConverter.parse(p.getProperty("hot-capacity-max")) : MountSettings.UNSET,
            migrating, rate, marks, n, seal, writeback,
            MountSettings.Compression.parse(compress != null ? compress : p.getProperty("compress", "hdd"),
                zstdLevel != null ? zstdLevel.toString() : p.getProperty("zstd-level", "3"),
                minSaving != null ? minSaving.toString() : p.getProperty("min-saving", "12.5")),
            MountSettings.parseMountFlags(mountFlags != null ? mountFlags : p.getProperty("mount-flags", "")),
            MetricsEndpoint.checkAddress(metrics != null ? metrics : p.getProperty("metrics", MetricsEndpoint.DEFAULT_ADDRESS)),
            config == null ? null : config.toAbsolutePath().normalize(), commandLineAlerts);
    }

    /** An on|off option from the command line or the config file; on if given by neither. */
    private static boolean onOff(String cli, Properties p, String key) {
        String text = cli != null ? cli : p.getProperty(key, "on").trim();
        if (!text.equals("on") && !text.equals("off")) {
            throw new IllegalArgumentException(key + " must be on or off, not '" + text + "'");
        }
        return text.equals("on");
    }

    private static Path pick(Path cli, Properties p, String key, Path fallback) {
        return cli != null ? cli : p.containsKey(key) ? Path.of(p.getProperty(key)) : fallback;
    }

    private static long size(Long cli, Properties p, String key) {
        return cli != null ? cli : p.containsKey(key) ? SizeConverter.parse(p.getProperty(key)) : 0;
    }

    private static Path abs(Path p) {
        return p == null ? null : p.toAbsolutePath().normalize();
    }

    /**
     * Starts `tierfs mount --foreground` as a new session (so it outlives this terminal) and waits
     * until the mount table lists the mount and a real call on it succeeds.
     */
    private static long spawnDaemon(MountSettings s) throws VolumeException, IOException, InterruptedException {
        Files.createDirectories(s.data());
        Files.setPosixFilePermissions(s.data(), PosixFilePermissions.fromString("rwx------"));
        Path out = s.data().resolve("daemon.out");
        if (!Files.exists(out)) {
            Files.createFile(out, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        List<String> cmd = new ArrayList<>();
        cmd.add("setsid");
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(TierfsCommand.class.getName());
        cmd.add("mount");
        cmd.add("--foreground");
        cmd.add("--data=" + s.data());
        if (s.ssd() != null) {
            cmd.add("--ssd=" + s.ssd());
        }
        if (s.hdd() != null) {
            cmd.add("--hdd=" + s.hdd());
        }
        if (s.ssdCapacity() != 0) {
            cmd.add("--ssd-capacity=" + s.ssdCapacity());
        }
        if (s.hddCapacity() != 0) {
            cmd.add("--hdd-capacity=" + s.hddCapacity());
        }
        if (s.hotCapacity() != MountSettings.UNSET) {
            cmd.add("--hot-capacity=" + s.hotCapacity());
        }
        if (s.hotCapacityMax() != MountSettings.UNSET) {
            cmd.add("--hot-capacity-max=" + s.hotCapacityMax());
        }
        cmd.add("--migrate=" + (s.migrate() ? "on" : "off"));
        cmd.add("--migrate-rate=" + s.migrateRate());
        cmd.add("--watermarks=" + s.watermarks());
        if (s.blockSize() != 0) {
            cmd.add("--block-size=" + s.blockSize());
        }
        cmd.add("--threads=" + s.threads());
        cmd.add("--writeback-cache=" + (s.writeback().on() ? "on" : "off"));
        cmd.add("--dirty-limit=" + s.writeback().dirtyLimit());
        cmd.add("--seal-after=" + s.sealAfter());
        cmd.add("--compress=" + s.compress().tierList());
        cmd.add("--zstd-level=" + s.compress().zstdLevel());
        cmd.add("--min-saving=" + s.compress().minSavingPercent());
        cmd.add("--mount-flags=" + String.join(",", s.mountFlags()));
        cmd.add("--metrics=" + s.metrics());
        if (s.config() != null) {
            cmd.add("--config=" + s.config()); // for its alert rules, now and at each reload
        }
        s.alerts().forEach((name, rule) -> cmd.add("--alert=" + name + "=" + rule));
        cmd.add(s.mountpoint().toString());
        Process p = new ProcessBuilder(cmd)
            .redirectInput(new File("/dev/null"))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
            .start();
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            if (!p.isAlive()) {
                throw new VolumeException("the daemon exited with status " + p.exitValue() + ": " + lastLine(out));
            }
            Mounts.Entry e = Mounts.find(s.mountpoint());
            // serving, and with its state written: `tierfs status` and `unmount` find it from here on
            if (e != null && e.isTierfs() && !Mounts.isStale(s.mountpoint())
                && StatusCommand.daemonOf(s.data(), s.mountpoint()).map(d -> d.pid() == p.pid()).orElse(false)) {
                Files.readAttributes(s.mountpoint(), "unix:ino");
                return p.pid();
            }
            Thread.sleep(50);
        }
        p.destroy();
        throw new VolumeException("the mount did not come up within " + READY_TIMEOUT_MILLIS / 1000 + " s; see "
            + s.data().resolve("tierfs.log"));
    }

    private static String lastLine(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        for (int i = lines.size() - 1; i >= 0; i--) {
            String l = lines.get(i).trim();
            if (!l.isEmpty()) {
                return l.startsWith("tierfs: ") ? l.substring(8) : l;
            }
        }
        return "(no output; see " + file.resolveSibling("tierfs.log") + ")";
    }
}
