package io.meshfed.rules.split;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Per-tier traffic share from tier health.
 *
 * <p><b>Overprovisioned</b> (Envoy's priority load, the reference): {@code health_i =
 * min(100, floor(factor × 100 × healthy_i / total_i))}; with {@code H = min(100, Σ health_i)},
 * tier i gets {@code min(remaining, floor(health_i × 100 / H))} in order, and what rounding leaves
 * goes to the first tier with health. So a tier at ≥ 1/factor healthy keeps everything, and a
 * partly healthy fleet is scaled up to 100 %.
 *
 * <p><b>Threshold</b>: 100 % to the first tier whose healthy share reaches the threshold; if none
 * does, to the first tier with any healthy endpoint.
 *
 * <p><b>All down</b> (no tier has a healthy endpoint): panic, as Envoy does — failing closed would
 * turn a health-signal outage into a full outage. 100 % goes to the first tier that has any
 * endpoint at all, with every endpoint of it eligible; the split is flagged {@code panic} and
 * {@code activeTier} is -1. With no endpoints anywhere all loads are 0.
 */
public final class LoadSplit {

  private LoadSplit() {}

  public static Split compute(List<TierHealth> tiers, SplitPolicy policy) {
    int n = tiers.size();
    List<Integer> loads = new ArrayList<>(Collections.nCopies(n, 0));
    boolean anyHealthy = tiers.stream().anyMatch(t -> t.healthy() > 0);
    if (!anyHealthy) {
      for (int i = 0; i < n; i++) {
        if (tiers.get(i).total() > 0) {
          loads.set(i, 100);
          return new Split(-1, loads, true);
        }
      }
      return new Split(-1, loads, false);
    }
    if (policy instanceof SplitPolicy.Threshold threshold) {
      loads.set(thresholdTier(tiers, threshold.percent()), 100);
    } else {
      priorityLoad(tiers, ((SplitPolicy.Overprovisioned) policy).factor(), loads);
    }
    int active = loads.indexOf(loads.stream().filter(l -> l > 0).findFirst().orElse(-1));
    return new Split(active, loads, false);
  }

  /** First tier at or above the threshold, else the first with any healthy endpoint. */
  private static int thresholdTier(List<TierHealth> tiers, int percent) {
    for (TierHealth tier : tiers) {
      if (tier.total() > 0 && tier.healthyPercent() >= percent) {
        return tier.index();
      }
    }
    for (TierHealth tier : tiers) {
      if (tier.healthy() > 0) {
        return tier.index();
      }
    }
    throw new IllegalStateException("no healthy tier; callers handle the all-down case first");
  }

  /** Envoy's priority load; at least one tier has a healthy endpoint. */
  private static void priorityLoad(List<TierHealth> tiers, double factor, List<Integer> loads) {
    long factorPercent = Math.round(factor * 100);
    int n = tiers.size();
    int[] health = new int[n];
    int sum = 0;
    for (int i = 0; i < n; i++) {
      TierHealth t = tiers.get(i);
      health[i] = t.total() == 0 ? 0 : (int) Math.min(100, factorPercent * t.healthy() / t.total());
      if (t.healthy() > 0 && health[i] == 0) {
        health[i] = 1; // a huge tier with one healthy endpoint still counts as alive
      }
      sum += health[i];
    }
    int normalized = Math.min(100, sum);
    int remaining = 100;
    for (int i = 0; i < n; i++) {
      int load = Math.min(remaining, health[i] * 100 / normalized);
      loads.set(i, load);
      remaining -= load;
    }
    for (int i = 0; i < n && remaining > 0; i++) {
      if (health[i] > 0) {
        loads.set(i, loads.get(i) + remaining);
        remaining = 0;
      }
    }
  }
}
