package io.tierfs.policy;

import io.tierfs.tier.HotTier;

/**
 * grow-cache and shrink-cache: the hot tier resized live by a step (a share of its size now),
 * within its bounds: one block, and the size its map was made for ({@code --hot-capacity-max}).
 * The migrator follows at its next round: a shrunk tier's excess blocks move down.
 */
final class HotTierSize {
    private final HotTier hot;

    HotTierSize(HotTier hot) {
        this.hot = hot;
    }

    ScopeAttributes.Outcome apply(PolicyRule.Action a) {
        if (hot == null) {
            throw new IllegalStateException("this volume has no hot tier (hot-capacity 0)");
        }
        long before = hot.capacityBytes();
        long step = Math.max(1, before * Integer.parseInt(a.argument().replace("%", "")) / 100);
        long after = hot.resize(a.verb().equals("grow-cache") ? before + step : before - step);
        String detail = "hot capacity " + before + " -> " + after + " bytes (bounds: one block to " + hot.maxCapacityBytes()
            + ")";
        return new ScopeAttributes.Outcome(after != before ? 1 : 0, after != before ? 0 : 1, detail);
    }
}
