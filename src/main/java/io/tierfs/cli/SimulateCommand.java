package io.tierfs.cli;

import io.tierfs.placement.Simulation;
import io.tierfs.placement.TraceFormat;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `tierfs simulate`: replays a block trace through the placement policy the daemon's migrator uses
 * and prints each tier's hit ratio beside LRU's and Belady's optimum of the same size.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = "Replay a block trace through tierfs's placement policy; print each tier's hit ratio beside LRU and "
        + "the optimum (Belady) of the same size.")
public final class SimulateCommand implements Callable<Integer> {
    private static final long DEFAULT_BLOCK_SIZE = 128 << 10;
    private static final String[] TIER_NAMES = {"hot", "ssd"};

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--trace", required = true, paramLabel = "FILE", description = "The trace file.")
    Path trace;

    @Option(names = "--format", required = true, paramLabel = "FORMAT",
        description = "plain (one block number a line), blkparse (blkparse's default output; Q events count) or msr "
            + "(SNIA MSR Cambridge CSV).")
    String format;

    @Option(names = "--hot-capacity", required = true, paramLabel = "N|SIZE",
        description = "The hot tier: a number of blocks, or a size with a unit (e.g. 4G), divided by the block size.")
    String hotCapacity;

    @Option(names = "--ssd-capacity", paramLabel = "N|SIZE", description = "The ssd tier, as --hot-capacity (default: none).")
    String ssdCapacity;

    @Option(names = "--block-size", paramLabel = "SIZE", converter = SizeConverter.class,
        description = "Block size: a power of two from 4K to 4M (default: 128K). Turns byte offsets and sizes into blocks.")
    Long blockSize;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        long bs = blockSize == null ? DEFAULT_BLOCK_SIZE : blockSize;
        if (Long.bitCount(bs) != 1 || bs < 4096 || bs > (4 << 20)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--block-size must be a power of two from 4K to 4M");
        }
        TraceFormat traceFormat = format(format);
        long[] capacities = ssdCapacity == null
            ? new long[] {blocks("--hot-capacity", hotCapacity, bs)}
            : new long[] {blocks("--hot-capacity", hotCapacity, bs), blocks("--ssd-capacity", ssdCapacity, bs)};

        Simulation simulation = new Simulation();
        try {
            traceFormat.read(trace, bs, simulation::add);
        } catch (TraceFormat.TraceException e) {
            System.err.println("tierfs: " + e.getMessage());
            return 1;
        }
        Simulation.TierResult[] tiers = simulation.run(capacities);
        System.out.println(json ? json(simulation.requests(), tiers) : table(simulation.requests(), tiers));
        return 0;
    }

    private TraceFormat format(String name) {
        for (TraceFormat f : TraceFormat.values()) {
            if (f.name().toLowerCase(Locale.ROOT).equals(name)) {
                return f;
            }
        }
        throw new CommandLine.ParameterException(spec.commandLine(),
            "unknown trace format '" + name + "' (use plain, blkparse or msr)");
    }

    /** A plain number is blocks; a size with a unit is bytes, divided by the block size. */
    private long blocks(String option, String value, long bs) {
        String v = value.strip();
        long n;
        try {
            n = v.chars().allMatch(Character::isDigit) && !v.isEmpty() ? Long.parseLong(v) : SizeConverter.parse(v) / bs;
        } catch (NumberFormatException | CommandLine.TypeConversionException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                option + ": invalid capacity '" + value + "' (a number of blocks, or a size such as 512M)");
        }
        if (n <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " must be at least one block, not '" + value + "'");
        }
        if (n > Integer.MAX_VALUE / 2) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " is more than 2^30 blocks: '" + value + "'");
        }
        return n;
    }

    static String json(long requests, Simulation.TierResult[] tiers) {
        StringBuilder out = new StringBuilder("{\"requests\": ").append(requests).append(", \"tiers\": [");
        for (int i = 0; i < tiers.length; i++) {
            Simulation.TierResult t = tiers[i];
            out.append(i == 0 ? "" : ", ")
                .append("{\"name\": \"").append(TIER_NAMES[i]).append('"')
                .append(", \"capacity_blocks\": ").append(t.capacity())
                .append(", \"hit_ratio\": ").append(t.hitRatio())
                .append(", \"lru_hit_ratio\": ").append(t.lruHitRatio())
                .append(", \"opt_hit_ratio\": ").append(t.optHitRatio()).append('}');
        }
        return out.append("]}").toString();
    }

    private static String table(long requests, Simulation.TierResult[] tiers) {
        StringBuilder out = new StringBuilder(String.format("%d block accesses%n", requests));
        out.append(String.format("%-5s %12s %8s %8s %8s %12s%n", "tier", "blocks", "tierfs", "lru", "opt", "moves in"));
        for (int i = 0; i < tiers.length; i++) {
            Simulation.TierResult t = tiers[i];
            out.append(String.format("%-5s %12d %7.2f%% %7.2f%% %7.2f%% %12d%n", TIER_NAMES[i], t.capacity(),
                100 * t.hitRatio(), 100 * t.lruHitRatio(), 100 * t.optHitRatio(), t.moves()));
        }
        return out.toString().stripTrailing();
    }
}
