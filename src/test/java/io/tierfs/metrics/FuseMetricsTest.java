package io.tierfs.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FuseMetricsTest {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final FuseMetrics metrics = new FuseMetrics(registry, () -> 3);

    private String scrape() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void countsOpsBytesLatencyAndErrorsByOperationOverAllWorkers() throws Exception {
        FuseMetrics.Worker one = metrics.worker();
        FuseMetrics.Worker two = metrics.worker();
        one.record(15, 20_000, 4096, 0);   // read
        two.record(15, 40_000, 4096, 0);
        one.record(16, 3_000_000, 131072, 0); // write
        two.record(1, 5_000, 0, 2);        // lookup: ENOENT
        one.record(99, 1_000, 0, 0);       // an opcode past the table
        String text = scrape();
        assertTrue(text.contains("tierfs_fuse_ops_total{op=\"read\"} 2.0"), text);
        assertTrue(text.contains("tierfs_fuse_bytes_total{op=\"read\"} 8192.0"), text);
        assertTrue(text.contains("tierfs_fuse_bytes_total{op=\"write\"} 131072.0"), text);
        assertTrue(text.contains("tierfs_fuse_errors_total{errno=\"ENOENT\",op=\"lookup\"} 1.0"), text);
        assertTrue(text.contains("tierfs_fuse_ops_total{op=\"other\"} 1.0"), text);
        assertTrue(text.contains("tierfs_fuse_op_duration_seconds_bucket{op=\"read\",le=\"2.5E-5\"} 1"), text);
        assertTrue(text.contains("tierfs_fuse_op_duration_seconds_bucket{op=\"write\",le=\"0.005\"} 1"), text);
        assertTrue(text.contains("tierfs_fuse_in_flight 3.0"), text);
        assertTrue(text.contains("tierfs_fuse_op_duration_seconds_sum{op=\"read\"} 6.0E-5"), text);
        assertEquals(1L, metrics.window(10).get("errorsTotal"));
    }
}
