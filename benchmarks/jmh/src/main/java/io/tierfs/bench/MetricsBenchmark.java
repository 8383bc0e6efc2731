package io.tierfs.bench;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tierfs.metrics.FuseMetrics;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * What recording one FUSE request's KPIs costs a worker (its counters, histogram bucket and
 * HdrHistogram recorder), alone and with 8 workers recording at once as the daemon's do; a
 * 4 KiB FUSE read takes tens of microseconds end to end, so anything under a few hundred
 * nanoseconds is below 1%.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MetricsBenchmark {
    private static final int READ = 15;

    /** The daemon's one set of KPIs. */
    @State(Scope.Benchmark)
    public static class Volume {
        FuseMetrics metrics;

        @Setup
        public void setup() {
            metrics = new FuseMetrics(new PrometheusRegistry(), () -> 0);
        }
    }

    /** Each benchmark thread is a FUSE worker with its own recorder. */
    @State(Scope.Thread)
    public static class Worker {
        FuseMetrics.Worker recorder;

        @Setup
        public void setup(Volume volume) {
            recorder = volume.metrics.worker();
        }
    }

    @Benchmark
    public void recordOneWorker(Worker w) {
        w.recorder.record(READ, 23_456, 4096, 0);
    }

    /** A failed lookup (ENOENT), as a build's include search makes by the thousand. */
    @Benchmark
    public void recordAnErrorOneWorker(Worker w) {
        w.recorder.record(1, 3_456, 0, 2);
    }

    @Benchmark
    @Threads(8)
    public void recordEightWorkers(Worker w) {
        w.recorder.record(READ, 23_456, 4096, 0);
    }
}
