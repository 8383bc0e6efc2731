package io.tierfs.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `tierfs where`: which tier each file's blocks are read from now (user.tierfs.tiers and .blocks). */
@Command(name = "where", mixinStandardHelpOptions = true,
    description = "Show how many blocks of each file are in the hot, ssd and hdd tiers (with --blocks, which ones).")
public final class WhereCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Regular files on a tierfs mount.")
    List<Path> files;

    @Option(names = "--blocks", description = "Also list the blocks, as runs of block numbers per tier.")
    boolean blocks;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        int status = 0;
        for (Path file : files) {
            try {
                out.add(describe(file));
            } catch (IOException e) {
                System.err.println("tierfs: " + file + ": " + reason(file, e));
                status = 1;
            }
        }
        if (json) {
            System.out.println(JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(files.size() == 1 && !out.isEmpty()
                ? out.get(0) : out));
            return status;
        }
        for (Map<String, Object> f : out) {
            if ((Long) f.get("inlineBytes") > 0) {
                System.out.printf("%s: %s bytes kept in the metadata store (a small file: no block, in no tier)%n",
                    f.get("file"), f.get("inlineBytes"));
                continue;
            }
            Map<?, ?> tiers = (Map<?, ?>) f.get("tiers");
            System.out.printf("%s: hot=%s ssd=%s hdd=%s, %s with a replica, %s bytes stored for %s%n", f.get("file"),
                tiers.get("hot"), tiers.get("ssd"), tiers.get("hdd"), f.get("replicas"), f.get("storedBytes"),
                f.get("logicalBytes"));
            if (blocks) {
                for (Object o : (List<?>) f.get("runs")) {
                    Map<?, ?> r = (Map<?, ?>) o;
                    System.out.printf("  %s  %s%n", r.get("first").equals(r.get("last")) ? r.get("first")
                        : r.get("first") + "-" + r.get("last"), r.get("tier"));
                }
            }
        }
        return status;
    }

    private static final java.util.Set<String> TIERS = java.util.Set.of("hot", "ssd", "hdd");

    private Map<String, Object> describe(Path file) throws IOException {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("file", file.toString());
        Map<String, Long> tiers = new LinkedHashMap<>();
        Map<String, Long> others = new LinkedHashMap<>();
        long total = 0;
        for (String pair : read(view, "tierfs.tiers").split(" ")) {
            String[] kv = pair.split("=");
            long n = Long.parseLong(kv[1]);
            if (TIERS.contains(kv[0])) {
                tiers.put(kv[0], n);
                total += n;
            } else {
                others.put(kv[0], n); // replicas, logical and stored bytes
            }
        }
        f.put("blocks", total);
        f.put("tiers", tiers);
        f.put("replicas", others.getOrDefault("replicas", 0L));
        f.put("logicalBytes", others.getOrDefault("logical", 0L));
        f.put("storedBytes", others.getOrDefault("stored", 0L));
        f.put("inlineBytes", others.getOrDefault("inline", 0L));
        if (blocks) {
            List<Map<String, Object>> runs = new ArrayList<>();
            String value = read(view, "tierfs.blocks");
            for (String run : value.isEmpty() ? new String[0] : value.split(" ")) {
                String[] rt = run.split(":");
                String[] range = rt[0].split("-");
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("first", Long.parseLong(range[0]));
                r.put("last", Long.parseLong(range[range.length - 1]));
                r.put("tier", rt[1]);
                runs.add(r);
            }
            f.put("runs", runs);
        }
        return f;
    }

    private static String read(UserDefinedFileAttributeView view, String name) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(view.size(name));
        view.read(name, buf);
        return new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
    }

    private static String reason(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (Files.isDirectory(file)) {
            return "a directory has no blocks (give the files in it)";
        }
        return "not a regular file on a tierfs mount (" + e.getMessage() + ")";
    }
}
