package io.tierfs.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * The FUSE requests' KPIs: operations, bytes, latency and errors by operation. Each FUSE worker
 * records into a {@link Worker} of its own (plain counters it alone writes, a histogram's bucket
 * counts, an HdrHistogram single-writer recorder per operation), so recording shares no cache
 * line between workers and takes no lock; a scrape and the once-a-second {@link #tick} add the
 * workers up. Errors are rare and go to one shared counter by operation and errno.
 */
public final class FuseMetrics {
    /** Seconds: the latencies a FUSE request spans, from a cached getattr to a synced write; +Inf last. */
    private static final double[] BUCKETS = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 10, Double.POSITIVE_INFINITY};
    private static final long[] BUCKET_NANOS = new long[BUCKETS.length - 1];
    private static final long MAX_NANOS = 60_000_000_000L;
    /** Which errnos are faults ({@link Kpis#FAULTS}), by number. */
    private static final boolean[] FAULT = new boolean[FuseOps.ERRNO_LIMIT];

    static {
        for (int i = 0; i < BUCKET_NANOS.length; i++) {
            BUCKET_NANOS[i] = Math.round(BUCKETS[i] * 1e9);
        }
        for (int e = 1; e < FAULT.length; e++) {
            FAULT[e] = Kpis.FAULTS.contains(FuseOps.errnoName(e));
        }
    }

    private final List<Worker> workers = new CopyOnWriteArrayList<>();
    private final Counter errors;
    private final LongAdder errorTotal = new LongAdder();
    private final LongAdder faultTotal = new LongAdder();
    private final LongSupplier inFlight;
    private final LatencyWindows windows = new LatencyWindows(System::nanoTime);
    private final long[] tickBytes = new long[FuseOps.LIMIT];
    private final Histogram[] tickIntervals = new Histogram[FuseOps.LIMIT];

    /** What one FUSE worker records; written by that worker alone. */
    public final class Worker {
        private final AtomicLongArray ops = new AtomicLongArray(FuseOps.LIMIT);
        private final AtomicLongArray bytes = new AtomicLongArray(FuseOps.LIMIT);
        private final AtomicLongArray nanos = new AtomicLongArray(FuseOps.LIMIT);
        private final AtomicReferenceArray<AtomicLongArray> buckets = new AtomicReferenceArray<>(FuseOps.LIMIT);
        private final AtomicReferenceArray<SingleWriterRecorder> latency = new AtomicReferenceArray<>(FuseOps.LIMIT);
        /**
         * Its error counters by operation and errno, looked up once: a build's failed lookups
         * (ENOENT) come by the thousand, and a label lookup allocates.
         */
        private final CounterDataPoint[][] errorPoints = new CounterDataPoint[FuseOps.LIMIT][];
        /** The interval histograms the tick got last time, handed back for reuse; the ticking thread's. */
        private final Histogram[] recycle = new Histogram[FuseOps.LIMIT];

        private Worker() {
        }

        /**
         * One request answered. Single writer: a read and an ordered store (a plain store on x86)
         * count without an atomic read-modify-write, and readers see whole values.
         */
        public void record(int opcode, long took, long byteCount, int errno) {
            int op = opcode >= 0 && opcode < FuseOps.LIMIT ? opcode : 0;
            AtomicLongArray b = buckets.get(op);
            if (b == null) {
                b = firstSeen(op);
            }
            long t = Math.max(0, Math.min(took, MAX_NANOS));
            int bucket = 0;
            while (bucket < BUCKET_NANOS.length && t > BUCKET_NANOS[bucket]) {
                bucket++;
            }
            b.lazySet(bucket, b.get(bucket) + 1);
            ops.lazySet(op, ops.get(op) + 1);
            nanos.lazySet(op, nanos.get(op) + t);
            latency.get(op).recordValue(t);
            if (byteCount > 0) {
                bytes.lazySet(op, bytes.get(op) + byteCount);
            }
            if (errno != 0) {
                error(op, errno).inc();
                errorTotal.increment();
                if (errno > 0 && errno < FuseOps.ERRNO_LIMIT && FAULT[errno]) {
                    faultTotal.increment();
                }
            }
        }

        private CounterDataPoint error(int op, int errno) {
            if (errno >= FuseOps.ERRNO_LIMIT || errno < 0) {
                return errors.labelValues(FuseOps.name(op), FuseOps.errnoName(errno));
            }
            CounterDataPoint[] byErrno = errorPoints[op];
            if (byErrno == null) {
                byErrno = errorPoints[op] = new CounterDataPoint[FuseOps.ERRNO_LIMIT];
            }
            CounterDataPoint p = byErrno[errno];
            if (p == null) {
                p = byErrno[errno] = errors.labelValues(FuseOps.name(op), FuseOps.errnoName(errno));
            }
            return p;
        }

        private AtomicLongArray firstSeen(int op) {
            latency.set(op, LatencyWindows.newRecorder());
            AtomicLongArray b = new AtomicLongArray(BUCKETS.length);
            buckets.set(op, b);
            return b;
        }
    }

    public FuseMetrics(PrometheusRegistry registry, LongSupplier inFlight) {
        this.inFlight = inFlight;
        errors = Counter.builder().name("tierfs_fuse_errors_total").help("FUSE requests answered with an error")
            .labelNames("op", "errno").register(registry);
        GaugeWithCallback.builder().name("tierfs_fuse_in_flight").help("FUSE requests being processed (queue depth)")
            .callback(cb -> cb.call(inFlight.getAsLong())).register(registry);
        registry.register((MultiCollector) this::collect);
    }

    /** A recorder for one more FUSE worker. */
    public Worker worker() {
        Worker w = new Worker();
        workers.add(w);
        return w;
    }

    /** The workers' figures added up, per operation, as Prometheus reads them. */
    private MetricSnapshots collect() {
        CounterSnapshot.Builder ops = CounterSnapshot.builder().name("tierfs_fuse_ops")
            .help("FUSE requests answered, by operation");
        CounterSnapshot.Builder bytes = CounterSnapshot.builder().name("tierfs_fuse_bytes").unit(Unit.BYTES)
            .help("Bytes read and written through the mount");
        HistogramSnapshot.Builder durations = HistogramSnapshot.builder().name("tierfs_fuse_op_duration_seconds")
            .unit(Unit.SECONDS).help("The daemon's time on a FUSE request, from taking it off /dev/fuse to its answer");
        Map<String, long[]> byName = new LinkedHashMap<>(); // ops, bytes, nanos, then the buckets
        for (int op = 0; op < FuseOps.LIMIT; op++) {
            for (Worker w : workers) {
                AtomicLongArray b = w.buckets.get(op);
                if (b == null) {
                    continue;
                }
                long[] sum = byName.computeIfAbsent(FuseOps.name(op), n -> new long[3 + BUCKETS.length]);
                sum[0] += w.ops.get(op);
                sum[1] += w.bytes.get(op);
                sum[2] += w.nanos.get(op);
                for (int i = 0; i < BUCKETS.length; i++) {
                    sum[3 + i] += b.get(i);
                }
            }
        }
        byName.forEach((name, sum) -> {
            Labels labels = Labels.of("op", name);
            ops.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(sum[0]).labels(labels).build());
            if (sum[1] > 0) {
                bytes.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(sum[1]).labels(labels).build());
            }
            long[] counts = new long[BUCKETS.length];
            System.arraycopy(sum, 3, counts, 0, counts.length);
            durations.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                .classicHistogramBuckets(ClassicHistogramBuckets.of(BUCKETS, counts)).sum(sum[2] / 1e9).labels(labels)
                .build());
        });
        return MetricSnapshots.of(ops.build(), bytes.build(), durations.build());
    }

    /** Closes the current second of the sliding windows; called once a second by one thread. */
    public synchronized void tick() {
        for (int op = 0; op < FuseOps.LIMIT; op++) {
            Histogram merged = null;
            long total = 0;
            for (Worker w : workers) {
                SingleWriterRecorder r = w.latency.get(op);
                if (r == null) {
                    continue;
                }
                Histogram interval = r.getIntervalHistogram(w.recycle[op]);
                w.recycle[op] = interval;
                if (merged == null) {
                    merged = LatencyWindows.newHistogram();
                }
                merged.add(interval);
                total += w.bytes.get(op);
            }
            tickIntervals[op] = merged;
            tickBytes[op] = total;
        }
        windows.tick(tickIntervals, tickBytes, faultTotal.sum());
    }

    /** Fault answers (EIO, ENOSPC...) a second over the last {@code seconds}. */
    public double faultsPerSecond(int seconds) {
        return windows.faultsPerSecond(seconds);
    }

    /** Requests being processed now. */
    public long inFlight() {
        return inFlight.getAsLong();
    }

    /** The KPIs over the last {@code seconds}, by operation. */
    public Map<String, Map<String, Object>> operations(int seconds) {
        return windows.window(seconds);
    }

    /** The KPIs over the last {@code seconds}, for `tierfs stats`. */
    public Map<String, Object> window(int seconds) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("windowSeconds", seconds);
        m.put("ops", windows.window(seconds));
        m.put("faultsPerSecond", windows.faultsPerSecond(seconds));
        m.put("errorsTotal", errorTotal.sum());
        return m;
    }
}
