package io.tierfs.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import io.tierfs.daemon.Mounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** `tierfs status`: the daemon, its data folder, and each tier's capacity and use. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show the daemon's pid, the data folder, and capacity and usage per tier.")
public final class StatusCommand implements Callable<Integer> {
    @Mixin
    MountedVolume volume;

    @Override
    public Integer call() throws IOException {
        Map<String, Object> state = volume.state();
        if (state == null) {
            return 1;
        }
        if (volume.printedAsJson(state)) {
            return 0;
        }
        System.out.printf("mountpoint  %s%ndata        %s%npid         %s%nblock size  %s%n",
            state.get("mountpoint"), state.get("data"), state.get("pid"), human(((Number) state.get("blockSize")).longValue()));
        System.out.printf("%-5s %10s %10s %10s %10s %10s %6s  %s%n", "tier", "capacity", "used", "logical", "free",
            "blocks", "reads", "path");
        for (Object o : (List<?>) state.get("tiers")) {
            Map<?, ?> t = (Map<?, ?>) o;
            System.out.printf("%-5s %10s %10s %10s %10s %10s %5.1f%%  %s%n", t.get("name"),
                human(((Number) t.get("capacityBytes")).longValue()), human(((Number) t.get("usedBytes")).longValue()),
                human(((Number) t.get("logicalBytes")).longValue()), human(((Number) t.get("freeBytes")).longValue()),
                t.get("blocks"),
                100 * ((Number) t.get("hitRatio")).doubleValue(), t.get("path"));
            if (t.get("problem") != null) {
                System.out.printf("      UNAVAILABLE: %s%n", t.get("problem"));
            }
            System.out.printf("      %s%n", ((Map<?, ?>) t.get("features")).get("summary"));
        }
        Map<?, ?> m = (Map<?, ?>) state.get("migration");
        if (Boolean.TRUE.equals(m.get("enabled"))) {
            System.out.printf("migration   %s promotions, %s demotions, %s moved %s, backlog %s blocks%s%n",
                m.get("promotions"), m.get("demotions"), human(((Number) m.get("bytesMigrated")).longValue()),
                m.get("bytesByRoute"), m.get("backlog"),
                ((Number) m.get("failures")).longValue() > 0 ? ", " + m.get("failures") + " failures (see the log)" : "");
        } else {
            System.out.println("migration   off");
        }
        Map<?, ?> space = (Map<?, ?>) state.get("space");
        System.out.printf("blocks      %s (%s sealed, %s unsealed)%n", space.get("blocks"), space.get("sealedBlocks"),
            space.get("unsealedBlocks"));
        System.out.println("by codec   " + ratios((Map<?, ?>) space.get("byCodec")));
        System.out.println("by content " + ratios((Map<?, ?>) space.get("byClass")));
        Map<?, ?> i = (Map<?, ?>) state.get("integrity");
        if (i != null) {
            System.out.printf("integrity   %s blocks sealed, %s checksum failures, %s reads served from replicas, %s bad"
                + " copies rewritten%n", i.get("sealed"), i.get("checksumFailures"), i.get("replicaReads"), i.get("repaired"));
        }
        return 0;
    }

    /** "zstd 2.0M->310K (6.61x), ..." for the kinds that hold anything. */
    private static String ratios(Map<?, ?> byKind) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<?, ?> e : byKind.entrySet()) {
            Map<?, ?> r = (Map<?, ?>) e.getValue();
            long logical = ((Number) r.get("logicalBytes")).longValue();
            if (logical > 0) {
                out.append(out.length() == 0 ? "" : ", ").append(e.getKey()).append(' ').append(human(logical))
                    .append("->").append(human(((Number) r.get("storedBytes")).longValue()))
                    .append(" (").append(r.get("ratio")).append("x)");
            }
        }
        return out.length() == 0 ? "nothing stored" : out.toString();
    }

    /** The daemon rewrites its state every second: wait for a version written after this call began. */
    static Map<String, Object> freshState(Path data) throws IOException {
        long asked = System.currentTimeMillis();
        Map<String, Object> state = readState(data);
        for (int i = 0; i < 60 && state != null && ((Number) state.get("updatedMillis")).longValue() < asked; i++) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            state = readState(data);
        }
        return state;
    }

    /**
     * The running daemon's state, or null if there is none to read: no file, or one a power cut
     * left empty or cut short (it is rewritten every second but never synced), which says nothing
     * of a live daemon; a live one writes a whole one within a second.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> readState(Path data) throws IOException {
        String text;
        try {
            text = Files.readString(data.resolve("daemon.json"));
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        }
        try {
            Object state = text.isBlank() ? null : JSON.std.anyFrom(text);
            return state instanceof Map ? (Map<String, Object>) state : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The data folder of the tierfs mount {@code mp}, whose daemon is running; null (and a line on
     * stderr) if {@code mp} is no tierfs mount or its daemon is gone.
     */
    static Path servedFrom(Path mp) throws IOException {
        Mounts.Entry entry = Mounts.find(mp);
        if (entry == null || !entry.isTierfs()) {
            System.err.println("tierfs: " + mp + " is not a tierfs mount");
            return null;
        }
        Path data = Path.of(entry.source());
        if (daemonOf(data, mp).isEmpty()) {
            System.err.println("tierfs: the daemon of " + mp + " is not running (stale mount; clear it with: tierfs unmount " + mp + ")");
            return null;
        }
        return data;
    }

    /** The live daemon serving {@code mountpoint} from {@code data}, if any. */
    static Optional<ProcessHandle> daemonOf(Path data, Path mountpoint) throws IOException {
        Map<String, Object> state = readState(data);
        if (state == null || !mountpoint.toString().equals(state.get("mountpoint"))) {
            return Optional.empty();
        }
        return ProcessHandle.of(((Number) state.get("pid")).longValue()).filter(ProcessHandle::isAlive);
    }

    static String human(long bytes) {
        String[] units = {"B", "K", "M", "G", "T", "P"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + "B" : String.format("%.1f%s", v, units[u]);
    }
}
