package io.tierfs.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/** A command that reports one section of the daemon's state: as JSON with --json, else as text. */
abstract class StateSectionCommand implements Callable<Integer> {
    @Mixin
    MountedVolume volume;

    /** The state's key this command reports. */
    abstract String section();

    abstract void printText(Map<?, ?> section);

    @Override
    public final Integer call() throws Exception {
        Map<String, Object> state = volume.state();
        if (state == null) {
            return 1;
        }
        Map<?, ?> section = (Map<?, ?>) state.get(section());
        if (!volume.printedAsJson(section)) {
            printText(section);
        }
        return 0;
    }
}
