package io.tierfs.policy;

import io.tierfs.tier.HotTier;

/**
 * grow-cache and shrink-cache: the hot tier resized live by a step (a share of its size now),
 * within its bounds: one block or what files pinned to it hold, and the size its map was made for
 * ({@code --hot-capacity-max}).
 * The migrator follows at its next round: a shrunk tier's excess blocks move down. The size is
 * kept for the next mount while {@code hot-capacity} stays as it was.
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
        long after;
        try {
            after = hot.resize(a.verb().equals("grow-cache") ? before + step : before - step);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("the new size could not be recorded, so it was not made", e);
        }
        String detail = "hot capacity " + before + " -> " + after + " bytes (bounds: " + hot.minCapacityBytes()
            + ", one block or what pins hold, to " + hot.maxCapacityBytes() + ")";
        return new ScopeAttributes.Outcome(after != before ? 1 : 0, after != before ? 0 : 1, detail);
    }
}
