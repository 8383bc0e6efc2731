package io.tierfs.daemon;

import io.tierfs.metrics.Alerts;
import io.tierfs.policy.Policies;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A volume's config file (`tierfs mount --config`): KEY = VALUE lines in UTF-8, the mount options
 * and {@code alert.NAME = RULE} lines. Read at mount, and again by a reload for its alert rules.
 */
public final class ConfigFile {
    private static final String ALERT = "alert.";
    private static final String POLICY = "policy.";
    /** The mount options a config file may set (and alert.NAME lines). */
    public static final Set<String> KEYS = Set.of("data", "ssd", "hdd", "ssd-capacity", "hdd-capacity",
        "hot-capacity", "hot-capacity-max", "migrate", "migrate-rate", "watermarks", "block-size", "threads", "seal-after", "compress",
        "zstd-level", "min-saving", "mount-flags", "mountpoint", "metrics", "writeback-cache", "dirty-limit");

    private ConfigFile() {
    }

    /** @throws IllegalArgumentException an unreadable file, one that is not UTF-8, or a key not in {@code keys} */
    public static Properties load(Path file, Set<String> keys) throws IOException {
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException("cannot read config file " + file);
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("config file " + file + " is not UTF-8 text");
        }
        for (String key : p.stringPropertyNames()) {
            if (!keys.contains(key) && !key.startsWith(ALERT) && !key.startsWith(POLICY)) {
                throw new IllegalArgumentException("unknown key '" + key + "' in " + file + " (known: "
                    + String.join(", ", new TreeSet<>(keys)) + ", alert.NAME, policy.NAME)" + lineOf(file, key));
            }
        }
        return p;
    }

    /**
     * The alert rules a mount runs by name: the file's {@code alert.NAME} lines with the command
     * line's over them, checked.
     *
     * @param file null if there is none
     * @throws IllegalArgumentException "alert.NAME: what is wrong (in FILE, line N)"
     */
    public static Map<String, String> alerts(Path file, Properties p, Map<String, String> commandLine, List<String> tiers) {
        Map<String, String> alerts = new TreeMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith(ALERT)) {
                alerts.put(key.substring(ALERT.length()), p.getProperty(key));
            }
        }
        alerts.putAll(commandLine);
        try {
            Alerts.rules(alerts, tiers);
        } catch (IllegalArgumentException e) {
            String name = e.getMessage().substring(ALERT.length(), e.getMessage().indexOf(':'));
            boolean fromFile = file != null && !commandLine.containsKey(name);
            throw new IllegalArgumentException(e.getMessage() + (fromFile ? " (in " + file + lineOf(file, ALERT + name) + ")"
                : " (given on the command line)"), e);
        }
        return alerts;
    }

    /**
     * The file's policies by name ({@code policy.NAME = RULE}), checked.
     *
     * @throws IllegalArgumentException "policy.NAME: what is wrong (in FILE, line N)"
     */
    public static Map<String, String> policies(Path file, Properties p, List<String> tiers) {
        Map<String, String> policies = new TreeMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith(POLICY)) {
                policies.put(key.substring(POLICY.length()), p.getProperty(key));
            }
        }
        try {
            Policies.rules(policies, tiers);
        } catch (IllegalArgumentException e) {
            String name = e.getMessage().substring(POLICY.length(), e.getMessage().indexOf(':'));
            throw new IllegalArgumentException(e.getMessage() + " (in " + file + lineOf(file, POLICY + name) + ")", e);
        }
        return policies;
    }

    /** ", line N" where {@code key} is set in {@code file}, or "" if it cannot be found. */
    private static String lineOf(Path file, String key) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).strip().matches(Pattern.quote(key) + "\\s*[=:].*")) {
                    return ", line " + (i + 1);
                }
            }
        } catch (IOException e) {
            // the file was read a moment ago; without it the message just has no line
        }
        return "";
    }
}
