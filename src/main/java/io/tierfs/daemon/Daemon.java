package io.tierfs.daemon;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tierfs.block.BlockStore;
import io.tierfs.fuse.FuseAdapter;
import io.tierfs.fuse.FuseSession;
import io.tierfs.integrity.Scrubber;
import io.tierfs.integrity.Sealer;
import io.tierfs.meta.Keys;
import io.tierfs.meta.MetadataStore;
import io.tierfs.meta.RocksMetadataStore;
import io.tierfs.metrics.Alerts;
import io.tierfs.policy.Policies;
import io.tierfs.metrics.FuseMetrics;
import io.tierfs.metrics.Kpis;
import io.tierfs.metrics.MetricsEndpoint;
import io.tierfs.metrics.VolumeGauges;
import io.tierfs.migration.MigrationStats;
import io.tierfs.namespace.FileOps;
import io.tierfs.namespace.Inodes;
import io.tierfs.namespace.Namespace;
import io.tierfs.namespace.Recovery;
import io.tierfs.namespace.Xattrs;
import io.tierfs.nativeio.Durable;
import io.tierfs.nativeio.LibC;
import io.tierfs.nativeio.NativeIOException;
import io.tierfs.tier.DirectoryTier;
import io.tierfs.tier.Tier;
import io.tierfs.tier.TierUnusableException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One mounted volume: opens the stores, recovers, serves FUSE until unmounted or signalled, then
 * shuts down in order: refuse new requests and finish those in flight, flush, close the stores,
 * unmount.
 */
public final class Daemon {
    private static final Logger LOG = Logger.getLogger(Daemon.class.getName());
    private static final long DRAIN_MILLIS = 30_000;

    private final MountSettings settings;
    private VolumeLayout layout;
    private VolumeLock lock;
    private MetadataStore meta;
    private BlockStore blocks;
    private Inodes inodes;
    private Tiering tiering;
    private Sealer sealer;
    private Scrubber scrubber;
    private FuseAdapter adapter;
    private FuseSession session;
    private DaemonState state;
    private MetricsEndpoint metrics;
    private Alerts alerts;
    private Policies policies;
    private ScheduledExecutorService background;
    private boolean stopped;
    private volatile boolean unmounted;

    public Daemon(MountSettings settings) {
        this.settings = settings;
    }

    /** Opens and recovers the volume and mounts it; returns once the mount serves. */
    public void start() throws VolumeException, IOException {
        LibC.INSTANCE.umask(077);
        Preflight.checkMountpoint(settings.mountpoint(), settings.data());
        Durable.createDirectories(settings.data());
        lock = VolumeLock.acquire(settings.data());
        layout = VolumeLayout.openOrCreate(settings);
        DaemonLog.toFile(layout.logFile());
        LOG.info("starting: " + settings);
        meta = new RocksMetadataStore(layout.meta());
        Tier[] tiers = openTiers();
        boolean fresh = meta.get(Keys.inode(Inodes.ROOT)) == null;
        boolean unclean = !fresh && meta.get(Keys.CLEAN_SHUTDOWN) == null;
        tiering = new Tiering(layout, settings);
        blocks = new BlockStore(layout.blockSize(), tiers, tiering.openHot(!unclean), meta);
        blocks.compressOn(settings.compress().tiers());
        blocks.compressWith(settings.compress().zstdLevel(), settings.compress().minSavingPercent() / 100);
        if (fresh) {
            Durable.syncDirectory(layout.data()); // the new meta/ and tier directories' names
        }
        new Recovery(meta, blocks).run(unclean);
        if (blocks.hot() != null) {
            Tiering.verifyHot(blocks, unclean);
        }
        try (MetadataStore.Batch b = meta.newBatch()) {
            b.delete(Keys.CLEAN_SHUTDOWN);
            meta.commit(b, true);
        }
        inodes = new Inodes(meta, blocks);
        if (fresh) {
            inodes.format(LibC.INSTANCE.getuid(), LibC.INSTANCE.getgid());
        }
        TierStats stats = new TierStats(blocks);
        Xattrs xattrs = new Xattrs(inodes);
        PrometheusRegistry registry = new PrometheusRegistry();
        Namespace namespace = new Namespace(inodes, xattrs);
        adapter = new FuseAdapter(inodes, namespace, new FileOps(inodes), xattrs, blocks, stats::capacity, registry,
            settings.writeback().on(), settings.threads());
        VolumeGauges.register(registry, () -> volumeFigures(stats));
        alerts = new Alerts(Alerts.rules(alertRules(), tierNames()), registry);
        policies = new Policies(Policies.rules(policyRules(), tierNames()), inodes, namespace, xattrs, blocks.hot(),
            ino -> tiering.promote(ino), layout.data().resolve("policy-audit.log"));
        if (!settings.metrics().equals("off")) { // before the mount: an address in use refuses it
            try {
                metrics = MetricsEndpoint.start(settings.metrics(), registry);
            } catch (IOException e) {
                throw new VolumeException(e.getMessage() + " (choose another with --metrics ADDRESS:PORT, or --metrics off)");
            }
            LOG.info("metrics at " + metrics.url());
        }
        List<String> options = new ArrayList<>(List.of("fsname=" + layout.data(), "subtype=tierfs", "allow_other",
            "default_permissions", "big_writes", "max_read=" + FuseSession.MAX_REQUEST));
        options.addAll(settings.mountFlags());
        session = new FuseSession(settings.mountpoint(), options, settings.threads());
        session.start(adapter);
        tuneBdi();
        tiering.start(blocks, inodes, xattrs, !unclean);
        startSealer();
        scrubber = new Scrubber(blocks, inodes);
        scrubber.start();
        state = new DaemonState(layout, settings.mountpoint(), stats, tiering::stats, this::integrity,
            metrics == null ? null : metrics.url(), adapter.metrics(), alerts::status, policies::status);
        state.write();
        background = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tierfs-state");
            t.setDaemon(true);
            return t;
        });
        background.scheduleWithFixedDelay(() -> {
            blocks.checkTiers();
            adapter.metrics().tick();
            evaluateRules(stats);
            takeScrubRequest();
            state.writeQuietly();
        }, 1, 1, TimeUnit.SECONDS);
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "tierfs-shutdown"));
        LOG.info("serving " + settings.mountpoint());
    }

    /**
     * Starts sealing blocks left alone (see {@link Sealer}), and has checksum failures logged with
     * the file's path, found off the worker that hit the failure.
     */
    private void startSealer() {
        ExecutorService reports = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tierfs-bad-blocks");
            t.setDaemon(true);
            return t;
        });
        blocks.seals().setReporter((ino, index, tier, what) -> reports.execute(() -> {
            String path = Namespace.pathOf(meta, ino);
            LOG.severe("checksum failure: " + (path != null ? path : "a file without a name") + " (inode " + ino
                + "), block " + index + " (bytes " + index * layout.blockSize() + " to "
                + ((index + 1) * layout.blockSize() - 1) + ") on tier " + blocks.tier(tier).name() + ": " + what);
        }));
        sealer = new Sealer(blocks, inodes, settings.sealAfter(), settings.migrateRate());
        sealer.start(); // with seal-after 0 too: it keeps replicas and rewrites bad copies
    }

    /**
     * Seals every unsealed block at shutdown, nothing writing any more. A failure here costs only
     * the seals (the blocks are sealed at a later mount): the files' sync that follows must run.
     */
    private void sealAll() {
        sealer.stop();
        try {
            sealer.sealEverything();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "sealing at shutdown failed; the blocks left unsealed are sealed at a later mount", e);
        }
        sealer.close();
    }

    /**
     * Hands a request `tierfs scrub` left in the data folder to the scrubber: renamed aside first,
     * so that a request written meanwhile stays for the next look.
     */
    private void takeScrubRequest() {
        Path request = layout.scrubRequest();
        Path taken = request.resolveSibling("scrub.request.taken");
        try {
            if (Files.exists(request)) {
                Files.move(request, taken, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                String line = Files.readString(taken);
                Files.delete(taken);
                scrubber.take(line);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warning("could not take the scrub request in " + request + ": " + e);
        }
    }

    private Map<String, Object> integrity() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("sealAfterSeconds", settings.sealAfter());
        out.put("sealed", sealer.sealed());
        out.put("checksumFailures", blocks.seals().checksumFailures());
        out.put("replicaReads", blocks.seals().replicaReads());
        out.put("repaired", blocks.seals().repaired());
        out.put("scrub", scrubber.status());
        return out;
    }

    private List<String> tierNames() {
        List<String> names = new ArrayList<>();
        if (blocks.hot() != null) {
            names.add(blocks.hot().name());
        }
        for (int t = 0; t < blocks.tierCount(); t++) {
            names.add(blocks.tier(t).name());
        }
        return names;
    }

    /** The rules by name: the config file's, as it reads now, with the command line's over them. */
    private Map<String, String> alertRules() throws IOException {
        return ConfigFile.alerts(settings.config(), configNow(), settings.alerts(), tierNames());
    }

    private Map<String, String> policyRules() throws IOException {
        return settings.config() == null ? Map.of() : ConfigFile.policies(settings.config(), configNow(), tierNames());
    }

    private Properties configNow() throws IOException {
        return settings.config() == null ? new Properties() : ConfigFile.load(settings.config(), ConfigFile.KEYS);
    }

    /**
     * Reads the config file again and runs its alert rules from now on (SIGHUP, `tierfs reload`);
     * a file that does not read, or a bad rule, is refused and the running rules are kept. The
     * other options need a remount.
     */
    public synchronized void reload() {
        String result;
        boolean ok = false;
        try {
            List<io.tierfs.metrics.AlertRule> nextAlerts = Alerts.rules(alertRules(), tierNames());
            List<io.tierfs.policy.PolicyRule> nextPolicies = Policies.rules(policyRules(), tierNames());
            result = alerts.replace(nextAlerts, System.currentTimeMillis()) + "; " + policies.replace(nextPolicies);
            ok = true;
            LOG.info("reloaded " + (settings.config() == null ? "(no config file)" : settings.config()) + ": " + result);
        } catch (IllegalArgumentException | IOException e) {
            result = "refused, the running rules are kept: " + e.getMessage();
            LOG.warning("reload " + result);
        }
        state.reloaded(ok, result);
        state.writeQuietly();
    }

    /** The alert rules and the policies against the last 10 s, once a second. */
    private void evaluateRules(TierStats stats) {
        FuseMetrics m = adapter.metrics();
        Map<String, Double> kpis = Kpis.of(m.operations(10), m.inFlight(), m.faultsPerSecond(10), stats.figures(),
            blocks.seals().checksumFailures());
        long now = System.currentTimeMillis();
        alerts.evaluate(kpis, now);
        policies.evaluate(kpis, now);
    }

    private VolumeGauges.Source volumeFigures(TierStats stats) {
        return new VolumeGauges.Source() {
            @Override
            public List<VolumeGauges.Tier> tiers() {
                return stats.figures();
            }

            @Override
            public Map<String, Long> migratedBytes() {
                MigrationStats m = tiering.stats();
                return m == null ? Map.of() : m.bytesByRoute();
            }

            @Override
            public long checksumFailures() {
                return blocks.seals().checksumFailures();
            }

            @Override
            public long repaired() {
                return blocks.seals().repaired();
            }
        };
    }

    /** The directory tiers, each probed; one its filesystem cannot serve refuses the mount. */
    private Tier[] openTiers() throws VolumeException, IOException {
        try {
            Tier[] tiers = {
                new DirectoryTier("ssd", layout.ssd(), layout.blockSize(), layout.ssdLimit()),
                new DirectoryTier("hdd", layout.hdd(), layout.blockSize(), layout.hddLimit()).uncachedReads(),
            };
            for (Tier tier : tiers) {
                LOG.info(tier + ": " + tier.features());
            }
            return tiers;
        } catch (TierUnusableException e) {
            LOG.severe(e.getMessage());
            throw new VolumeException(e.getMessage());
        }
    }

    /**
     * Tunes the mount's entry in /sys/class/bdi. The kernel reads ahead through FUSE in requests
     * no bigger than the readahead window (128 KiB by default); one window per request lets a
     * sequential reader get 1 MiB per round trip. With the writeback cache, the kernel holds at
     * most {@code max_bytes} of the mount's dirty pages (1% of its dirty limit by default, about
     * 48 MiB here, strictly: FUSE mounts get {@code strict_limit}); {@code dirty-limit} sets it,
     * and {@code min_bytes} reserves half of it, so that a new mount is not throttled while the
     * kernel learns its write-out rate. Only root may change these, and a smaller window or
     * limit costs speed, not correctness.
     */
    private void tuneBdi() {
        Mounts.Entry entry;
        try {
            entry = Mounts.find(settings.mountpoint());
        } catch (IOException e) {
            LOG.warning("the mount's readahead and dirty limit stay the kernel's defaults: " + e.getMessage());
            return;
        }
        if (entry == null) {
            return;
        }
        Path bdi = Path.of("/sys/class/bdi", entry.device());
        writeKnob(bdi.resolve("read_ahead_kb"), FuseSession.MAX_REQUEST / 1024, "readahead");
        if (settings.writeback().on()) {
            long limit = settings.writeback().dirtyLimit();
            writeKnob(bdi.resolve("max_bytes"), limit, "the dirty limit");
            writeKnob(bdi.resolve("min_bytes"), limit / 2, "the dirty reserve");
        }
    }

    private static void writeKnob(Path knob, long value, String what) {
        try {
            Files.writeString(knob, Long.toString(value));
        } catch (IOException | SecurityException e) {
            LOG.warning(what + " stays at the kernel's default: cannot write " + value + " to " + knob + ": " + e.getMessage());
        }
    }

    /** Serves until the filesystem is unmounted, then shuts down. */
    public void awaitUnmount() throws InterruptedException {
        session.awaitUnmount();
        unmounted = true; // the kernel wrote back its dirty pages before it let go
        stop();
    }

    /**
     * Has the kernel write back the mount's dirty pages while the workers still serve: a stop by
     * signal, with the writeback cache, would otherwise refuse those writes and lose data that
     * applications were told was written (they could learn it only at their next fsync). syncfs
     * starts them all at once, but does not wait for a FUSE mount's pages; writing back each file
     * that may have some does ({@link FuseSession#writeBackKernelPages}).
     */
    private void writeBackKernelCache() {
        if (unmounted || !settings.writeback().on()) {
            return;
        }
        LibC libc = LibC.INSTANCE;
        int fd = libc.open(settings.mountpoint().toString(), LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
        if (fd >= 0) {
            libc.syncfs(fd);
            libc.close(fd);
        }
        for (long ino : adapter.inodesWithCachedWrites()) {
            try {
                session.writeBackKernelPages(ino);
            } catch (NativeIOException e) {
                LOG.severe(e.getMessage() + " failed before the stop: what the kernel still holds of it, never"
                    + " fsynced, is lost");
            }
        }
    }

    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        LOG.info("shutting down");
        writeBackKernelCache();
        try {
            if (!adapter.drain(DRAIN_MILLIS)) {
                LOG.warning("requests still in flight after " + DRAIN_MILLIS + " ms; closing anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        background.shutdownNow();
        policies.close();
        if (metrics != null) {
            metrics.close();
        }
        try {
            scrubber.close(); // after its batch under way; it goes on from there at the next mount
            tiering.stop();
            sealAll();
            if (inodes.closeAndSync()) {
                try (MetadataStore.Batch b = meta.newBatch()) {
                    b.put(Keys.CLEAN_SHUTDOWN, new byte[0]);
                    meta.commit(b, true);
                }
            } else {
                LOG.warning("not every file could be synced; recovery will check the volume at the next mount");
            }
            meta.close();
            blocks.close();
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "shutdown did not finish cleanly; recovery will run at the next mount", e);
        }
        session.detach();
        state.remove();
        lock.close();
        LOG.info("stopped");
        DaemonLog.flush();
    }
}
