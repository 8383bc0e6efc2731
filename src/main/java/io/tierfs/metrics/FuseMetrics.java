package io.tierfs.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.HdrHistogram.Recorder;

/**
 * The FUSE requests' KPIs, recorded by the workers as each request is answered: operations,
 * bytes, latency and errors by operation. Recording is a few uncontended adds (no lock, no
 * allocation once an operation has been seen): Prometheus's counters and classic histogram for
 * the endpoint, and an HdrHistogram recorder per operation for the percentiles of
 * `tierfs stats` over sliding windows.
 */
public final class FuseMetrics {
    /** Seconds: the latencies a FUSE request spans, from a cached getattr to a synced write. */
    private static final double[] BUCKETS = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 10};

    private final Counter ops;
    private final Counter bytes;
    private final Counter errors;
    private final Histogram durations;
    private final AtomicReferenceArray<Point> points = new AtomicReferenceArray<>(FuseOps.LIMIT);
    private final LatencyWindows windows = new LatencyWindows(System::nanoTime);
    private final Recorder[] tickRecorders = new Recorder[FuseOps.LIMIT];
    private final long[] tickBytes = new long[FuseOps.LIMIT];
    private final LongAdder errorTotal = new LongAdder();
    private final LongSupplier inFlight;

    /** One operation's data points, made the first time it is seen. */
    private record Point(CounterDataPoint ops, CounterDataPoint bytes, DistributionDataPoint duration, Recorder latency,
                         LongAdder byteTotal) {
    }

    public FuseMetrics(PrometheusRegistry registry, LongSupplier inFlight) {
        this.inFlight = inFlight;
        ops = Counter.builder().name("tierfs_fuse_ops_total").help("FUSE requests answered, by operation")
            .labelNames("op").register(registry);
        bytes = Counter.builder().name("tierfs_fuse_bytes_total").help("Bytes read and written through the mount")
            .unit(Unit.BYTES).labelNames("op").register(registry);
        errors = Counter.builder().name("tierfs_fuse_errors_total").help("FUSE requests answered with an error")
            .labelNames("op", "errno").register(registry);
        durations = Histogram.builder().name("tierfs_fuse_op_duration_seconds")
            .help("Time from taking a FUSE request to answering it").unit(Unit.SECONDS).labelNames("op")
            .classicOnly().classicUpperBounds(BUCKETS).register(registry);
        GaugeWithCallback.builder().name("tierfs_fuse_in_flight").help("FUSE requests being processed (queue depth)")
            .callback(cb -> cb.call(inFlight.getAsLong())).register(registry);
    }

    /** One request answered: called by the worker that answered it. */
    public void record(int opcode, long nanos, long byteCount, int errno) {
        int op = opcode >= 0 && opcode < FuseOps.LIMIT ? opcode : 0;
        Point p = points.get(op);
        if (p == null) {
            p = firstSeen(op);
        }
        p.ops.inc();
        p.duration.observe(nanos / 1e9);
        p.latency.recordValue(Math.max(0, Math.min(nanos, 60_000_000_000L)));
        if (byteCount > 0) {
            p.bytes.inc(byteCount);
            p.byteTotal.add(byteCount);
        }
        if (errno != 0) {
            errors.labelValues(FuseOps.name(op), FuseOps.errnoName(errno)).inc();
            errorTotal.increment();
        }
    }

    private Point firstSeen(int op) {
        String name = FuseOps.name(op);
        Point p = new Point(ops.labelValues(name), bytes.labelValues(name), durations.labelValues(name),
            LatencyWindows.newRecorder(), new LongAdder());
        return points.compareAndSet(op, null, p) ? p : points.get(op);
    }

    /** Closes the current second of the sliding windows; called once a second by one thread. */
    public void tick() {
        for (int op = 0; op < FuseOps.LIMIT; op++) {
            Point p = points.get(op);
            tickRecorders[op] = p == null ? null : p.latency;
            tickBytes[op] = p == null ? 0 : p.byteTotal.sum();
        }
        windows.tick(tickRecorders, tickBytes);
    }

    /** Requests being processed now. */
    public long inFlight() {
        return inFlight.getAsLong();
    }

    /** The KPIs over the last {@code seconds}, for `tierfs stats`. */
    public Map<String, Object> window(int seconds) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("windowSeconds", seconds);
        m.put("ops", windows.window(seconds));
        m.put("errorsTotal", errorTotal.sum());
        return m;
    }
}
