package io.tierfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SimulateCommandTest {
    private static final String NUMBER = "(0|0\\.\\d+|1\\.0|\\d\\.\\d+E-\\d+)";

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private Run run(String... args) {
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter picocliErr = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine cl = TierfsCommand.commandLine();
            cl.setErr(new PrintWriter(picocliErr, true));
            int exit = cl.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8) + picocliErr);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    @Test
    void jsonHasExactlyTheDocumentedShape() throws Exception {
        Path trace = dir.resolve("t.txt");
        Files.writeString(trace, "1\n2\n3\n1\n2\n3\n1\n4\n");
        Run r = run("simulate", "--trace", trace.toString(), "--format", "plain", "--hot-capacity", "2", "--ssd-capacity", "1",
            "--json");
        assertEquals(0, r.exit(), r.err());
        String tier = "\\{\"name\": \"%s\", \"capacity_blocks\": %d, \"hit_ratio\": " + NUMBER + ", \"lru_hit_ratio\": " + NUMBER
            + ", \"opt_hit_ratio\": " + NUMBER + "\\}";
        String shape = "\\{\"requests\": 8, \"tiers\": \\[" + String.format(tier, "hot", 2) + ", " + String.format(tier, "ssd", 1)
            + "\\]\\}\n";
        assertTrue(Pattern.matches(shape, r.out()), r.out());
        // LRU of 2 never hits 1 2 3 1 2 3 1 4; LRU of 3 hits the second 1 2 3 and the third 1: 4 of 8.
        assertTrue(r.out().contains("\"lru_hit_ratio\": 0.0,") && r.out().contains("\"lru_hit_ratio\": 0.5,"), r.out());
    }

    @Test
    void withoutSsdThereIsOnlyTheHotTierAndSizesWithUnitsAreBytes() throws Exception {
        Path trace = dir.resolve("t.csv");
        Files.writeString(trace, "1,hm,0,Read,0,1048576,5\n2,hm,0,Write,0,1048576,5\n");
        Run r = run("simulate", "--trace", trace.toString(), "--format", "msr", "--hot-capacity", "1M", "--block-size", "256K",
            "--json");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("{\"requests\": 8, \"tiers\": [{\"name\": \"hot\", \"capacity_blocks\": 4, \"hit_ratio\": 0.5,"),
            r.out());
        assertTrue(!r.out().contains("ssd"));
        Run table = run("simulate", "--trace", trace.toString(), "--format", "msr", "--hot-capacity", "4");
        assertEquals(0, table.exit(), table.err());
        assertTrue(table.out().contains("16 block accesses") && table.out().contains("hot"), table.out());
    }

    @Test
    void badInputGetsOneClearLineAndANonZeroExit() throws Exception {
        Path trace = dir.resolve("t.txt");
        Files.writeString(trace, "1\n2\nthree\n");
        String t = trace.toString();
        assertOneLineError(run("simulate", "--trace", t, "--format", "plain", "--hot-capacity", "2"),
            t + ":3: 'three' is not a block number: 'three'");
        assertOneLineError(run("simulate", "--trace", t, "--format", "tsv", "--hot-capacity", "2"), "unknown trace format 'tsv'");
        assertOneLineError(run("simulate", "--trace", dir.resolve("none").toString(), "--format", "plain", "--hot-capacity", "2"),
            "no such trace file");
        assertOneLineError(run("simulate", "--trace", t, "--format", "plain", "--hot-capacity", "0"), "at least one block");
        assertOneLineError(run("simulate", "--trace", t, "--format", "plain", "--hot-capacity", "64K", "--block-size", "128K"),
            "at least one block");
        assertOneLineError(run("simulate", "--trace", t, "--format", "plain"), "--hot-capacity");
        assertOneLineError(run("simulate", "--trace", t, "--format", "plain", "--hot-capacity", "2", "--ssd-capacity", "x"),
            "invalid capacity 'x'");
    }

    private static void assertOneLineError(Run r, String expected) {
        assertTrue(r.exit() != 0, "exit status");
        assertTrue(r.err().startsWith("tierfs: ") && r.err().contains(expected), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertEquals("", r.out());
    }
}
