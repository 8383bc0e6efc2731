package io.tierfs.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The MOUNTPOINT and --json of the commands that report on a mounted volume from its daemon's state. */
final class MountedVolume {
    @Parameters(index = "0", paramLabel = "MOUNTPOINT")
    Path mountpoint;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    Path mountpoint() {
        return mountpoint.toAbsolutePath().normalize();
    }

    /** With --json: prints {@code section} as JSON, and says so (the command is then done). */
    boolean printedAsJson(Object section) throws IOException {
        if (json) {
            System.out.println(com.fasterxml.jackson.jr.ob.JSON.std.with(com.fasterxml.jackson.jr.ob.JSON.Feature.PRETTY_PRINT_OUTPUT)
                .asString(section));
        }
        return json;
    }

    /** The daemon's state, fresh; null (and a line on stderr) if no live tierfs daemon serves the mountpoint. */
    Map<String, Object> state() throws IOException {
        Path data = StatusCommand.servedFrom(mountpoint());
        return data == null ? null : StatusCommand.freshState(data);
    }
}
