package io.tierfs.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.daemon.VolumeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the driver decides without mounting; mounts are driven through podman by native-test/volume-plugin.sh. */
class VolumeDriverTest {
    @TempDir
    Path root;

    @Test
    void createKeepsTheOptionsAndARestartedDriverListsTheVolume() throws Exception {
        new VolumeDriver(root).create("db", Map.of("hot-capacity", "64M", "ssd-capacity", "1G"));
        List<VolumeDriver.Volume> all = new VolumeDriver(root).list();
        assertEquals(1, all.size());
        assertEquals("db", all.get(0).name());
        assertEquals(Map.of("hot-capacity", "64M", "ssd-capacity", "1G"), all.get(0).options());
        assertNull(all.get(0).mountpoint(), "not mounted until a container uses it");
    }

    @Test
    void unknownOptionsBadValuesAndBadNamesAreRefusedAndLeaveNothing() throws Exception {
        VolumeDriver d = new VolumeDriver(root);
        VolumeException e = assertThrows(VolumeException.class, () -> d.create("v", Map.of("colour", "blue")));
        assertTrue(e.getMessage().contains("unknown option 'colour'"), e.getMessage());
        e = assertThrows(VolumeException.class, () -> d.create("v", Map.of("seal-after", "soon")));
        assertTrue(e.getMessage().contains("seal-after"), e.getMessage());
        e = assertThrows(VolumeException.class, () -> d.create("v", Map.of("data", "/elsewhere")));
        assertTrue(e.getMessage().contains("unknown option 'data'"), e.getMessage());
        assertThrows(VolumeException.class, () -> d.create("../escape", Map.of()));
        e = assertThrows(VolumeException.class, () -> d.create("v", Map.of("ssd", "/tmp/x\nhdd=/etc")));
        assertTrue(e.getMessage().contains("control character"), e.getMessage());
        e = assertThrows(VolumeException.class, () -> d.create("v", Map.of("hdd", "relative/dir")));
        assertTrue(e.getMessage().contains("absolute path"), e.getMessage());
        e = assertThrows(VolumeException.class, () -> d.create("v", Map.of("hot-capacity", "12Q")));
        assertTrue(e.getMessage().startsWith("invalid size '12Q'"), e.getMessage());
        e = assertThrows(VolumeException.class, () -> d.create("x".repeat(300), Map.of()));
        assertTrue(e.getMessage().contains("at most 128 characters"), e.getMessage());
        assertTrue(d.list().isEmpty());
        try (var left = Files.list(root.resolve("volumes"))) {
            assertEquals(0, left.count(), "no folder or scratch left behind");
        }
    }

    @Test
    void optionsKeepBackslashesAndNonAsciiAsTheyWere() throws Exception {
        new VolumeDriver(root).create("u", Map.of("ssd", "/srv/donn\u00e9es/a\\b=c"));
        assertEquals(Map.of("ssd", "/srv/donn\u00e9es/a\\b=c"), new VolumeDriver(root).get("u").options());
    }

    @Test
    void createIsIdempotentOnlyWithTheSameOptions() throws Exception {
        VolumeDriver d = new VolumeDriver(root);
        d.create("v", Map.of("hot-capacity", "64M"));
        d.create("v", Map.of("hot-capacity", "64M"));
        assertThrows(VolumeException.class, () -> d.create("v", Map.of("hot-capacity", "1G")));
    }

    @Test
    void removeRefusesAVolumeInUseAndOtherwiseDeletesItsData() throws Exception {
        VolumeDriver d = new VolumeDriver(root);
        d.create("v", Map.of());
        PluginVolume v = new PluginVolume("v", root.resolve("volumes/v"));
        Files.createDirectories(v.data());
        Files.writeString(v.data().resolve("some-block"), "x");
        v.setUsers(Set.of("container-1"));
        VolumeException e = assertThrows(VolumeException.class, () -> d.remove("v"));
        assertTrue(e.getMessage().contains("in use by 1 container"), e.getMessage());
        assertTrue(Files.exists(v.data().resolve("some-block")));
        v.setUsers(Set.of());
        d.remove("v");
        assertFalse(Files.exists(v.dir()));
        assertThrows(VolumeException.class, () -> d.get("v"));
    }
}
