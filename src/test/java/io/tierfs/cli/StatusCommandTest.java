package io.tierfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DATA/daemon.json as the commands read it: a power cut can leave it empty or cut short (it is never synced). */
class StatusCommandTest {
    @TempDir
    Path data;

    @Test
    void aMissingEmptyOrCutShortStateIsNoState() throws IOException {
        assertNull(StatusCommand.readState(data), "none");
        Path file = data.resolve("daemon.json");
        Files.writeString(file, "");
        assertNull(StatusCommand.readState(data), "empty");
        Files.writeString(file, "{\"pid\": 12, \"mountpoint\": \"/mn");
        assertNull(StatusCommand.readState(data), "cut short");
        Files.writeString(file, "[1, 2]");
        assertNull(StatusCommand.readState(data), "not an object");
        Files.writeString(file, "{\"pid\": 12, \"mountpoint\": \"/mnt\"}");
        assertEquals("/mnt", StatusCommand.readState(data).get("mountpoint"));
    }
}
