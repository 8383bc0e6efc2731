package io.tierfs.bench;

import io.tierfs.placement.AccessBuffer;
import io.tierfs.placement.TierPolicy;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The placement policy's cost per access on the migrator's one thread: a hot tier and an ssd tier
 * (ten times larger) under a Zipf-skewed stream of keys over twenty times both, so every kind of
 * access happens (hits, promotions, evictions cascading down); and the FUSE side's offer into the
 * access buffer.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PlacementBenchmark {
    private static final int TRACE = 1 << 22;

    @Param({"10000", "1000000"})
    public int hotBlocks;

    private TierPolicy policy;
    private AccessBuffer buffer;
    private long[] trace;
    private int next;

    @Setup
    public void setup() {
        policy = new TierPolicy(hotBlocks, 10L * hotBlocks);
        buffer = new AccessBuffer(1, 1 << 16);
        int keys = 220 * hotBlocks;
        trace = new long[TRACE];
        SplittableRandom random = new SplittableRandom(1);
        // Zipf(0.9) by inverse transform of its continuous approximation: cheap to draw, skewed like real blocks.
        double s = 0.9;
        double max = Math.pow(keys, 1 - s);
        for (int i = 0; i < TRACE; i++) {
            long rank = (long) Math.pow(random.nextDouble() * max, 1 / (1 - s));
            trace[i] = rank * 0x9E37_79B9L & Long.MAX_VALUE;
        }
        for (long key : trace) {
            policy.access(key);
        }
    }

    @Benchmark
    public int access() {
        long key = trace[next++ & (TRACE - 1)];
        return policy.access(key);
    }

    @Benchmark
    public boolean offerAndDrain() {
        long key = trace[next++ & (TRACE - 1)];
        boolean offered = buffer.offer(key);
        if ((next & 1023) == 0) {
            buffer.drainTo(k -> { });
        }
        return offered;
    }
}
