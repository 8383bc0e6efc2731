package io.tierfs.cli;

import io.tierfs.daemon.ConfigFile;
import io.tierfs.daemon.MountSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * `mount -t fuse.tierfs DATA MOUNTPOINT -o OPTIONS` and fstab lines reach tierfs through the
 * mount.fuse helper, which runs {@code tierfs DATA MOUNTPOINT -o OPTIONS}: this turns that into
 * the `tierfs mount` command. mount(8) and mount.fuse have already taken out their own options
 * (defaults, _netdev, nofail, noauto, user, x-*) but add rw, and dev and suid unless told
 * nodev and nosuid.
 */
final class MountHelperArgs {
    /** Options a FUSE mount is always given, or that tierfs mounts always have: taken and dropped. */
    private static final Set<String> ALWAYS = Set.of("rw", "defaults", "allow_other", "default_permissions", "nosuid",
        "nodev", "dev", "suid");
    private static final Set<String> NOT_KEYS = Set.of("data", "mountpoint", "mount-flags");

    private MountHelperArgs() {
    }

    /**
     * @return the `tierfs mount` arguments for a mount-helper call, or null if {@code args} is not
     *     one (it starts with a subcommand or an option)
     * @throws IllegalArgumentException for an option tierfs does not take
     */
    static String[] translate(String[] args, Set<String> subcommands) {
        if (args.length < 2 || args[0].startsWith("-") || subcommands.contains(args[0])) {
            return null;
        }
        List<String> options = new ArrayList<>();
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-o") && i + 1 < args.length) {
                options.addAll(List.of(args[++i].split(",")));
            } else if (args[i].startsWith("-o") && args[i].length() > 2) {
                options.addAll(List.of(args[i].substring(2).split(",")));
            } else if (!args[i].startsWith("-")) {
                positional.add(args[i]);
            } // -n, -v, -s and -f from mount(8) ask nothing of the program
        }
        if (positional.size() != 2) {
            return null;
        }
        Map<String, String> values = new LinkedHashMap<>(); // the last of a repeated option wins, as fstab's -o adds later
        List<String> flags = new ArrayList<>();
        for (String o : options) {
            String opt = o.strip();
            int eq = opt.indexOf('=');
            String key = eq < 0 ? opt : opt.substring(0, eq);
            if (opt.isEmpty() || ALWAYS.contains(opt)) {
                continue;
            }
            if (opt.equals("ro")) {
                throw new IllegalArgumentException("a tierfs volume mounts read-write only: drop the option ro");
            }
            if (MountSettings.MOUNT_FLAGS.contains(opt)) {
                flags.remove(opt);
                flags.add(opt);
            } else if (eq > 0 && (key.equals("config") || ConfigFile.KEYS.contains(key) && !NOT_KEYS.contains(key))) {
                values.remove(key);
                values.put(key, opt.substring(eq + 1));
            } else {
                Set<String> known = new TreeSet<>(ConfigFile.KEYS);
                known.removeAll(NOT_KEYS);
                known.add("config");
                throw new IllegalArgumentException("unknown mount option '" + opt + "' (tierfs takes KEY=VALUE for "
                    + String.join(", ", known) + ", and the flags " + String.join(", ", new TreeSet<>(MountSettings.MOUNT_FLAGS))
                    + ")");
            }
        }
        List<String> out = new ArrayList<>(List.of("mount", "--quiet", "--data=" + positional.get(0)));
        values.forEach((k, v) -> out.add("--" + k + "=" + v));
        if (!flags.isEmpty()) {
            out.add("--mount-flags=" + String.join(",", flags));
        }
        out.add(positional.get(1));
        return out.toArray(String[]::new);
    }
}
