package io.tierfs.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tierfs.metrics.Kpis;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PoliciesTest {
    private static final List<String> TIERS = List.of("hot", "ssd", "hdd");
    @TempDir
    Path dir;
    private final List<String> ran = new ArrayList<>();

    private Policies policies(String rule) {
        return new Policies(Policies.rules(Map.of("p", rule), TIERS), (scope, action) -> {
            ran.add(action + " on " + scope);
            return new ScopeAttributes.Outcome(ran.size() == 1 ? 3 : 0, ran.size() == 1 ? 0 : 3, "x");
        }, dir.resolve("audit.log"));
    }

    @Test
    void parsesConditionsScopeActionsAndPeriod() {
        PolicyRule r = PolicyRule.parse("p", "read.p95_ms > 5 and read.iops >= 100 for 60s in /db do replicate,"
            + " migrate ssd, compress zstd:9 every 10m", Kpis.volumeNames(TIERS));
        assertEquals(2, r.conditions().size());
        assertEquals(60_000, r.forMillis());
        assertEquals("/db", r.scope());
        assertEquals("[replicate, migrate ssd, compress zstd:9]", r.actions().toString());
        assertEquals(600_000, r.everyMillis());
        assertEquals("/", PolicyRule.parse("p", "in_flight > 4 do replicate", Kpis.volumeNames(TIERS)).scope());
    }

    @Test
    void badPoliciesAreRefusedNamingWhatIsWrong() {
        assertRefused("unknown action 'explode'", "read.p95_ms > 5 do explode");
        assertRefused("migrate takes a tier", "read.p95_ms > 5 do migrate nvme");
        assertRefused("compress takes", "read.p95_ms > 5 do compress brotli");
        assertRefused("is a path inside the volume", "read.p95_ms > 5 in db do replicate");
        assertRefused("is a path inside the volume", "read.p95_ms > 5 in /db/../etc do replicate");
        assertRefused("CONDITIONS [for D]", "read.p95_ms > 5");
        assertRefused("unknown operator", "read.p95_ms >> 5 do replicate");
        assertRefused("duration", "read.p95_ms > 5 do replicate every sometimes");
        assertRefused("grow-cache takes a step in percent", "read.p95_ms > 5 do grow-cache 1G");
        assertRefused("promote takes no argument", "read.p95_ms > 5 do promote 10");
    }

    private static void assertRefused(String expected, String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> Policies.rules(Map.of("p", text), TIERS));
        assertTrue(e.getMessage().startsWith("policy.p: ") && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void actsOnceItHeldForItsDurationThenAtMostOncePerPeriodAndAuditsEachRun() throws Exception {
        Policies p = policies("read.p95_ms > 5 for 60s in /db do replicate every 10m");
        Map<String, Double> slow = Map.of("read.p95_ms", 9.0);
        p.evaluate(slow, 0);
        p.evaluate(slow, 59_999);
        p.drain();
        assertTrue(ran.isEmpty(), "not before it held for 60 s");
        p.evaluate(slow, 60_000);
        p.evaluate(slow, 61_000);
        p.drain();
        assertEquals(List.of("replicate on /db"), ran, "once, then not again within its period");
        p.evaluate(slow, 660_000);
        p.drain();
        assertEquals(2, ran.size(), "again after the period");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> audit = (List<Map<String, Object>>) p.status().get("audit");
        assertEquals("changed", audit.get(0).get("result"));
        assertEquals(Map.of("read.p95_ms", 9.0), audit.get(0).get("triggeredBy"));
        assertEquals("no change: already so", audit.get(1).get("result"));
        assertEquals(2, Files.readAllLines(dir.resolve("audit.log")).size());
        p.evaluate(Map.of("read.p95_ms", 1.0), 670_000);
        p.evaluate(slow, 1_400_000);
        p.drain();
        assertEquals(2, ran.size(), "held again from scratch: 60 s more first");
        p.close();
    }

    @Test
    void cacheActionsResizeTheHotTierWithinItsBounds() throws Exception {
        io.tierfs.tier.HotTier hot = new io.tierfs.tier.HotTier(dir.resolve("hot"), 4096, 40 * 4096, 60 * 4096, true);
        HotTierSize size = new HotTierSize(hot);
        PolicyRule grow = PolicyRule.parse("g", "in_flight >= 0 do grow-cache 50%", Kpis.volumeNames(TIERS));
        PolicyRule shrink = PolicyRule.parse("s", "in_flight >= 0 do shrink-cache", Kpis.volumeNames(TIERS));
        assertEquals(1, size.apply(grow.actions().get(0)).changed());
        assertEquals(60 * 4096, hot.capacityBytes(), "40 blocks + 50% = 60, its map's size");
        assertEquals(0, size.apply(grow.actions().get(0)).changed(), "at the bound: no change");
        size.apply(shrink.actions().get(0));
        assertEquals(45 * 4096, hot.capacityBytes(), "25% by default");
        for (int i = 0; i < 30; i++) {
            size.apply(shrink.actions().get(0));
        }
        assertEquals(4096, hot.capacityBytes(), "never below one block");
        hot.close();
    }

    @Test
    void aFailedActionIsAuditedNotFatal() throws Exception {
        Policies p = new Policies(Policies.rules(Map.of("p", "in_flight >= 0 in /missing do replicate"), TIERS),
            (scope, action) -> {
                throw new io.tierfs.namespace.FsException(2, scope + " does not exist");
            }, dir.resolve("audit.log"));
        p.evaluate(Map.of(), 0);
        p.drain();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> audit = (List<Map<String, Object>>) p.status().get("audit");
        assertEquals("failed: /missing does not exist", audit.get(0).get("result"));
        p.close();
    }
}
