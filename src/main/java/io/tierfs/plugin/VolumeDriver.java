package io.tierfs.plugin;

import io.tierfs.cli.MountCommand;
import io.tierfs.cli.UnmountCommand;
import io.tierfs.daemon.MountSettings;
import io.tierfs.daemon.Mounts;
import io.tierfs.daemon.VolumeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.TreeSet;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A container engine's volumes, each a tierfs volume of its own: created with the engine's
 * options, mounted by a daemon of its own when its first container starts (so the plugin can
 * stop or die without taking the data offline), unmounted after its last. Requests for one
 * volume take turns (a mount in flight must not meet an unmount or a remove); requests for
 * different volumes do not wait for each other, since an engine gives each only seconds and a
 * mount takes a daemon's start.
 */
public final class VolumeDriver {
    private static final Logger LOG = Logger.getLogger(VolumeDriver.class.getName());
    /** Docker's own rule for volume names. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
    /** What an engine may set with -o: the mount options, less the folders the plugin owns. */
    static final Set<String> OPTIONS = Set.of("ssd", "hdd", "ssd-capacity", "hdd-capacity", "hot-capacity", "hot-capacity-max", "migrate",
        "migrate-rate", "watermarks", "block-size", "threads", "seal-after", "compress", "zstd-level", "min-saving",
        "mount-flags", "metrics", "writeback-cache", "dirty-limit");

    /** A volume as the engine sees it; mountpoint null while no container uses it. */
    public record Volume(String name, Path mountpoint, FileTime created, Map<String, String> options, int users) {
    }

    private static final int NAME_MAX = 128;
    /** The volumes' folders; the plugin's own files (its log) sit beside, never among them. */
    private final Path root;
    private final Map<String, Object> turns = new ConcurrentHashMap<>();

    /** @param pluginRoot the plugin's folder: volumes go in its {@code volumes/} */
    public VolumeDriver(Path pluginRoot) throws IOException {
        this.root = pluginRoot.resolve("volumes");
        Files.createDirectories(root);
    }

    public void create(String name, Map<String, String> options) throws VolumeException, IOException {
        synchronized (turn(name)) {
            PluginVolume v = volume(name);
            for (Map.Entry<String, String> o : options.entrySet()) {
                String key = o.getKey();
                if (!OPTIONS.contains(key)) {
                    throw new VolumeException("unknown option '" + key + "' (tierfs takes: "
                        + String.join(", ", new TreeSet<>(OPTIONS)) + ")");
                }
                if (o.getValue().chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                    throw new VolumeException("option " + key + " holds a control character (a newline?)");
                }
                if ((key.equals("ssd") || key.equals("hdd")) && !Path.of(o.getValue()).isAbsolute()) {
                    // relative to what? the plugin's working folder changes with how it is started
                    throw new VolumeException("option " + key + " must be an absolute path, not '" + o.getValue() + "'");
                }
            }
            if (v.exists()) {
                if (!v.options().equals(new TreeMap<>(options))) {
                    throw new VolumeException("volume " + name + " already exists with other options: " + v.options());
                }
                return;
            }
            Path scratch = Files.createTempDirectory(root, ".check-");
            try {
                PluginVolume probe = new PluginVolume(name, scratch);
                probe.create(options);
                settings(probe); // a bad value fails here, before the volume exists
            } finally {
                deleteTree(scratch);
            }
            v.create(options);
            LOG.info("created volume " + name + " " + options);
        }
    }

    /** Mounts the volume for container {@code id}; a volume already mounted is shared. */
    public Path mount(String name, String id) throws VolumeException, IOException, InterruptedException {
        synchronized (turn(name)) {
            PluginVolume v = existing(name);
            Set<String> users = v.users();
            Mounts.Entry entry = Mounts.find(v.mountpoint());
            if (entry != null && Mounts.isStale(v.mountpoint())) {
                LOG.warning("volume " + name + ": its daemon died; " + UnmountCommand.unmount(v.mountpoint()));
                entry = null;
            }
            if (entry == null) {
                long started = System.nanoTime();
                long pid = MountCommand.launch(settings(v));
                LOG.info("volume " + name + " mounted at " + v.mountpoint() + " by daemon " + pid + " in "
                    + (System.nanoTime() - started) / 1_000_000 + " ms");
            }
            users.add(id);
            v.setUsers(users);
            return v.mountpoint();
        }
    }

    /** Lets go of container {@code id}'s use; the last one out unmounts, flushing everything. */
    public void unmount(String name, String id) throws VolumeException, IOException, InterruptedException {
        synchronized (turn(name)) {
            PluginVolume v = existing(name);
            Set<String> users = v.users();
            users.remove(id);
            if (users.isEmpty() && Mounts.find(v.mountpoint()) != null) {
                LOG.info("volume " + name + ": " + UnmountCommand.unmount(v.mountpoint()));
            }
            v.setUsers(users); // after the unmount: one that failed leaves the container counted
        }
    }

    /** Deletes the volume and its data; refused while a container uses it. */
    public void remove(String name) throws VolumeException, IOException, InterruptedException {
        synchronized (turn(name)) {
            PluginVolume v = existing(name);
            int users = v.users().size();
            if (users > 0) {
                throw new VolumeException("volume " + name + " is in use by " + users + " container"
                    + (users == 1 ? "" : "s") + "; remove " + (users == 1 ? "it" : "them") + " first");
            }
            if (Mounts.find(v.mountpoint()) != null) {
                LOG.info("volume " + name + ": " + UnmountCommand.unmount(v.mountpoint()));
            }
            deleteTree(v.dir());
            LOG.info("removed volume " + name);
        }
    }

    public Volume get(String name) throws VolumeException, IOException {
        return describe(existing(name));
    }

    public List<Volume> list() throws IOException {
        List<Volume> all = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : dirs.sorted().toList()) {
                PluginVolume v = new PluginVolume(d.getFileName().toString(), d);
                if (NAME.matcher(v.name()).matches() && v.exists()) {
                    try {
                        all.add(describe(v));
                    } catch (java.nio.file.NoSuchFileException removedMeanwhile) {
                        // a remove of it went ahead while this looked
                    }
                }
            }
        }
        return all;
    }

    private Volume describe(PluginVolume v) throws IOException {
        Mounts.Entry e = Mounts.find(v.mountpoint());
        boolean serving = e != null && e.isTierfs() && !Mounts.isStale(v.mountpoint());
        return new Volume(v.name(), serving ? v.mountpoint() : null, Files.getLastModifiedTime(v.config()), v.options(),
            v.users().size());
    }

    private Object turn(String name) {
        return turns.computeIfAbsent(String.valueOf(name), n -> new Object());
    }

    private PluginVolume volume(String name) throws VolumeException {
        if (name != null && name.length() > NAME_MAX) {
            throw new VolumeException("volume names are at most " + NAME_MAX + " characters; this one has " + name.length());
        }
        if (name == null || !NAME.matcher(name).matches()) {
            throw new VolumeException("bad volume name '" + name + "': use letters, digits, '_', '.' and '-',"
                + " starting with a letter or digit");
        }
        return new PluginVolume(name, root.resolve(name));
    }

    private PluginVolume existing(String name) throws VolumeException {
        PluginVolume v = volume(name);
        if (!v.exists()) {
            throw new VolumeException("no such volume: " + name);
        }
        return v;
    }

    private static MountSettings settings(PluginVolume v) throws VolumeException, IOException {
        try {
            return MountCommand.parse("--config=" + v.config(), "--data=" + v.data(), v.mountpoint().toString());
        } catch (IllegalArgumentException | picocli.CommandLine.PicocliException e) {
            throw new VolumeException(e.getMessage().replace(" in " + v.config(), ""));
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
