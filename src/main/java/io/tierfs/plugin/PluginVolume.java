package io.tierfs.plugin;

import io.tierfs.nativeio.Durable;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * One engine volume's folder under the plugin's root: the options it was created with (a tierfs
 * config file), its data folder, its mountpoint, and the ids of the containers that mounted it.
 * Everything the plugin knows lives here, written durably, so a restarted plugin knows it again.
 */
record PluginVolume(String name, Path dir) {
    Path config() {
        return dir.resolve("tierfs.conf");
    }

    Path data() {
        return dir.resolve("data");
    }

    Path mountpoint() {
        return dir.resolve("mnt");
    }

    private Path usersFile() {
        return dir.resolve("users");
    }

    boolean exists() {
        return Files.isRegularFile(config());
    }

    /**
     * Writes the folder with its config file last: a crash before that leaves no volume, only
     * debris. Properties' own escapes keep any value one value (a newline or a backslash in it
     * cannot become another key).
     */
    void create(Map<String, String> options) throws IOException {
        Durable.createDirectories(mountpoint());
        Properties p = new Properties();
        p.putAll(options);
        Durable.writeAtomically(config(), out -> p.store(out, "tierfs volume '" + name + "', made by the volume plugin"));
    }

    Map<String, String> options() throws IOException {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(config(), StandardCharsets.UTF_8)) {
            p.load(in);
        }
        Map<String, String> m = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        return m;
    }

    /** The ids of the containers that have it mounted, in the order they came. */
    Set<String> users() throws IOException {
        if (!Files.exists(usersFile())) {
            return new LinkedHashSet<>();
        }
        Set<String> ids = new LinkedHashSet<>();
        for (String line : Files.readAllLines(usersFile())) {
            if (!line.isBlank()) {
                ids.add(line.strip());
            }
        }
        return ids;
    }

    void setUsers(Set<String> ids) throws IOException {
        List<String> lines = new ArrayList<>(ids);
        Durable.writeAtomically(usersFile(),
            out -> out.write(String.join("\n", lines).concat("\n").getBytes(StandardCharsets.UTF_8)));
    }
}
