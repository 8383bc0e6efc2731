package io.tierfs.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertsTest {
    private static final List<String> TIERS = List.of("hot", "ssd", "hdd");
    private final PrometheusRegistry registry = new PrometheusRegistry();

    private static AlertRule rule(String text) {
        return AlertRule.parse("r", text, Kpis.volumeNames(TIERS));
    }

    @SuppressWarnings("unchecked")
    private static String state(Alerts a) {
        return (String) ((List<Map<String, Object>>) a.status().get("rules")).get(0).get("state");
    }

    private String scrape() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void everyOperatorCompares() {
        Map<String, Double> k = Map.of("read.p95_ms", 5.0);
        assertTrue(rule("read.p95_ms > 4").conditions().get(0).holds(k));
        assertFalse(rule("read.p95_ms > 5").conditions().get(0).holds(k));
        assertTrue(rule("read.p95_ms >= 5").conditions().get(0).holds(k));
        assertTrue(rule("read.p95_ms < 6").conditions().get(0).holds(k));
        assertTrue(rule("read.p95_ms <= 5").conditions().get(0).holds(k));
        assertTrue(rule("read.p95_ms == 5").conditions().get(0).holds(k));
        assertTrue(rule("read.p95_ms != 4.5").conditions().get(0).holds(k));
        assertTrue(rule("write.iops == 0").conditions().get(0).holds(k), "no traffic of a kind reads as 0");
    }

    @Test
    void firesOnlyAfterHoldingForItsDurationAndResolvesWithBothTimes() throws Exception {
        Alerts a = new Alerts(List.of(AlertRule.parse("slow", "read.p99_ms > 50 and read.iops >= 10 for 60s severity"
            + " critical", Kpis.volumeNames(TIERS))), registry);
        Map<String, Double> slow = Map.of("read.p99_ms", 80.0, "read.iops", 100.0);
        a.evaluate(slow, 1_000);
        assertEquals("pending", state(a));
        a.evaluate(slow, 60_999);
        assertEquals("pending", state(a));
        assertTrue(scrape().contains("tierfs_alerts_firing{alert=\"slow\"} 0.0"));
        a.evaluate(slow, 61_000);
        assertEquals("firing", state(a));
        assertTrue(scrape().contains("tierfs_alerts_firing{alert=\"slow\"} 1.0"));
        a.evaluate(Map.of("read.p99_ms", 80.0, "read.iops", 5.0), 70_000); // one condition fails: resolved
        assertEquals("ok", state(a));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> history = (List<Map<String, Object>>) a.status().get("history");
        assertEquals(2, history.size());
        assertEquals("firing", history.get(0).get("event"));
        assertEquals("resolved", history.get(1).get("event"));
        assertEquals("1970-01-01T00:01:01Z", history.get(1).get("firedAt"));
        assertEquals("1970-01-01T00:01:10Z", history.get(1).get("at"));
        a.evaluate(slow, 71_000);
        assertEquals("pending", state(a), "holding starts again from scratch");
    }

    @Test
    void aReloadKeepsTheStateOfUnchangedRulesAndEndsChangedFiringOnes() {
        java.util.Set<String> known = Kpis.volumeNames(TIERS);
        Alerts a = new Alerts(List.of(AlertRule.parse("same", "in_flight > 1", known),
            AlertRule.parse("edited", "in_flight > 1", known), AlertRule.parse("gone", "in_flight > 1", known)), registry);
        a.evaluate(Map.of("in_flight", 5.0), 1_000);
        String summary = a.replace(List.of(AlertRule.parse("same", "in_flight > 1", known),
            AlertRule.parse("edited", "in_flight > 10", known), AlertRule.parse("new", "in_flight > 1", known)), 2_000);
        assertEquals("3 alert rules: 1 added, 1 changed, 1 removed, 1 unchanged", summary);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rules = (List<Map<String, Object>>) a.status().get("rules");
        assertEquals("firing", rules.get(0).get("state"), "unchanged: still firing, since its first time");
        assertEquals("1970-01-01T00:00:01Z", rules.get(0).get("firedAt"));
        assertEquals("ok", rules.get(1).get("state"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> history = (List<Map<String, Object>>) a.status().get("history");
        assertEquals(2, history.stream().filter(e -> e.get("event").equals("ended by reload")).count());
    }

    @Test
    void defaultsAreValidAndCanBeChangedOrTurnedOff() {
        assertEquals(Alerts.DEFAULTS.size(), Alerts.rules(Map.of(), TIERS).size());
        List<AlertRule> r = Alerts.rules(Map.of("high-tier-use", "off", "hdd-full", "hdd.use_percent >= 99"), TIERS);
        assertEquals(Alerts.DEFAULTS.size(), r.size());
        assertTrue(r.stream().noneMatch(x -> x.name().equals("high-tier-use")));
        assertEquals(0, r.stream().filter(x -> x.name().equals("hdd-full")).findFirst().orElseThrow().forMillis());
    }

    @Test
    void badRulesAreRefusedNamingWhatIsWrong() {
        assertMessage("unknown metric 'read.p96_ms'", "read.p96_ms > 5");
        assertMessage("unknown metric 'nvme.use_percent'", "nvme.use_percent > 5");
        assertMessage("unknown operator '=>'", "read.p95_ms => 5");
        assertMessage("threshold 'five' is not a number", "read.p95_ms > five");
        assertMessage("duration '1 minute'", "read.p95_ms > 5 for 1 minute");
        assertMessage("severity 'panic'", "read.p95_ms > 5 severity panic");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> Alerts.rules(Map.of("mine", "bogus > 1"), TIERS));
        assertTrue(e.getMessage().startsWith("alert.mine: unknown metric 'bogus'"), e.getMessage());
    }

    private static void assertMessage(String expected, String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rule(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
