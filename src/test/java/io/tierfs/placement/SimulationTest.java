package io.tierfs.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulationTest {
    private static final long KIB = 1024;

    @TempDir
    Path dir;

    @Test
    void plainIsOneBlockPerLineWithBlankLinesSkipped() throws Exception {
        assertEquals(List.of(5L, 7L, 5L), read(TraceFormat.PLAIN, 128 * KIB, "5\n\n  7 \n5\n"));
    }

    @Test
    void blkparseCountsQueueEventsOverTheirSectorRange() throws Exception {
        String trace = String.join("\n",
            "  8,0    3        1     0.000000000   697  Q  WS 0 + 8 [kworker/3:1]",
            "  8,0    3        2     0.000001000   697  G  WS 0 + 8 [kworker/3:1]",
            "  8,0    1        0     0.000002000     0  m   N cfq697 insert_request",
            "  8,0    3        3     0.000003000   697  C  WS 0 + 8 [0]",
            "  8,0    0        4     0.000004000   700  Q   R 250 + 16 [cat]",
            "  8,0    0        5     0.000005000   700  Q  FWS [kworker]",
            "  8,0    0        6     0.000006000   700  Q   D 0 + 2048 [fstrim]",
            "",
            "CPU0 (8,0):",
            " Reads Queued:           1,        8KiB\t Writes Queued:           1,        4KiB",
            "Total (8,0):",
            "Throughput (R/W): 8KiB/s / 4KiB/s",
            "Events (8,0): 6 entries");
        // 4 KiB blocks: sectors 0..7 are block 0; sectors 250..265 are bytes 128000..136191, blocks 31..33.
        assertEquals(List.of(0L, 31L, 32L, 33L), read(TraceFormat.BLKPARSE, 4 * KIB, trace));
    }

    @Test
    void msrCountsReadsAndWritesOverTheirByteRange() throws Exception {
        String trace = "128166372003061629,hm,0,Read,131072,262144,41286\n"
            + "128166372003061630,hm,0,Write,131071,2,100\n";
        assertEquals(List.of(1L, 2L, 0L, 1L), read(TraceFormat.MSR, 128 * KIB, trace));
    }

    @Test
    void aMalformedLineIsReportedWithFileLineAndText() throws IOException {
        Path file = dir.resolve("bad.csv");
        Files.writeString(file, "1,hm,0,Read,0,4096,1\n2,hm,0,Read,abc,4096,1\n");
        TraceFormat.TraceException e = assertThrows(TraceFormat.TraceException.class,
            () -> TraceFormat.MSR.read(file, 4096, b -> { }));
        assertEquals(file + ":2: 'abc' is not an offset: '2,hm,0,Read,abc,4096,1'", e.getMessage());
        Path plain = dir.resolve("bad.txt");
        Files.writeString(plain, "1\n2\nx3\n");
        e = assertThrows(TraceFormat.TraceException.class, () -> TraceFormat.PLAIN.read(plain, 4096, b -> { }));
        assertTrue(e.getMessage().startsWith(plain + ":3: "), e.getMessage());
        e = assertThrows(TraceFormat.TraceException.class,
            () -> TraceFormat.BLKPARSE.read(plain, 4096, b -> { }));
        assertTrue(e.getMessage().contains(":1: not a blkparse event"), e.getMessage());
    }

    @Test
    void lruAndOptFiguresMatchHandComputedTraces() {
        // 1 2 3 1 2 3, 2 slots: LRU never hits. OPT keeps 1 and 2, does not keep 3 (needed last), hits 1 and 2.
        Simulation.TierResult[] r = simulate(new long[] {1, 2, 3, 1, 2, 3}, 2);
        assertEquals(0.0, r[0].lruHitRatio());
        assertEquals(2.0 / 6, r[0].optHitRatio(), 1e-12);
        // 1 2 1 3 2 1, 2 slots: LRU hits the second 1 only (3 pushes out 2, 2 pushes out 1).
        // OPT keeps 1 and 2 and passes 3 by: hits 1, 2, 1.
        r = simulate(new long[] {1, 2, 1, 3, 2, 1}, 2);
        assertEquals(1.0 / 6, r[0].lruHitRatio(), 1e-12);
        assertEquals(3.0 / 6, r[0].optHitRatio(), 1e-12);
    }

    @Test
    void theSecondTierIsWhatBothTogetherCatchBeyondTheFirst() {
        // 1 2 3 1 2 3 ...: LRU of 1 never hits, LRU of 3 hits all but the first three.
        long[] trace = Traces.loop(3, 10, 0);
        Simulation.TierResult[] r = simulate(trace, 1, 2);
        assertEquals(0.0, r[0].lruHitRatio());
        assertEquals(27.0 / 30, r[1].lruHitRatio(), 1e-12);
        assertEquals(27.0 / 30, r[0].optHitRatio() + r[1].optHitRatio(), 1e-12);
        assertEquals(r[0].hitRatio() + r[1].hitRatio(), 27.0 / 30, 1e-12, "the policy's two tiers together hold the loop");
    }

    @Test
    void optBoundsThePolicyAndLruOnEveryMix() {
        long[] trace = Traces.interleave(3, Traces.zipf(30_000, 5_000, 0.9, 0, 1), Traces.loop(600, 20, 1L << 40));
        for (long hot : new long[] {100, 500}) {
            Simulation.TierResult[] r = simulate(trace, hot, 1000);
            assertTrue(r[0].optHitRatio() >= r[0].hitRatio() && r[0].optHitRatio() >= r[0].lruHitRatio());
            double optBoth = r[0].optHitRatio() + r[1].optHitRatio();
            assertTrue(optBoth >= r[0].hitRatio() + r[1].hitRatio());
            assertTrue(optBoth >= r[0].lruHitRatio() + r[1].lruHitRatio());
        }
    }

    private static Simulation.TierResult[] simulate(long[] trace, long... capacities) {
        Simulation simulation = new Simulation();
        for (long key : trace) {
            simulation.add(key);
        }
        assertEquals(trace.length, simulation.requests());
        return simulation.run(capacities);
    }

    private List<Long> read(TraceFormat format, long blockSize, String text) throws Exception {
        Path file = dir.resolve("trace");
        Files.writeString(file, text);
        List<Long> blocks = new ArrayList<>();
        format.read(file, blockSize, blocks::add);
        return blocks;
    }
}
