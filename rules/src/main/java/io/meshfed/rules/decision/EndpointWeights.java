package io.meshfed.rules.decision;

import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.split.Split;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns tier loads into per-endpoint weights that sum to exactly 100 (0 when nothing has load).
 *
 * <p>A tier's load is shared among its members by weight (members with no usable endpoint get
 * none), and a member's share equally among its usable endpoints — HEALTHY ones, or in panic all
 * of them. Whole-number weights come from the largest-remainder method, ties broken by tier,
 * member and address order, so the result is deterministic. An endpoint with no share keeps
 * weight 0 and stays in the config for visibility.
 */
final class EndpointWeights {

  private EndpointWeights() {}

  static List<DesiredConfig.Tier> assign(List<TierInput> tiers, Split split) {
    List<double[]> exact = new ArrayList<>();
    List<Slot> slots = new ArrayList<>();
    for (TierInput tier : tiers) {
      int load = split.loadOf(tier.index());
      int totalWeight = 0;
      for (MemberInput member : tier.members()) {
        if (member.endpoints().stream().anyMatch(e -> usable(e, split))) {
          totalWeight += member.weight();
        }
      }
      for (MemberInput member : tier.members()) {
        long usableCount = member.endpoints().stream().filter(e -> usable(e, split)).count();
        for (EndpointInput endpoint : member.endpoints()) {
          double share = 0;
          if (load > 0 && totalWeight > 0 && usable(endpoint, split)) {
            share = load * ((double) member.weight() / totalWeight) / usableCount;
          }
          slots.add(new Slot(tier.index(), member, endpoint, share, slots.size()));
        }
      }
    }
    int target = (int) Math.round(slots.stream().mapToDouble(Slot::share).sum());
    int[] weights = new int[slots.size()];
    int assigned = 0;
    for (Slot slot : slots) {
      weights[slot.order] = (int) Math.floor(slot.share + 1e-9);
      assigned += weights[slot.order];
    }
    List<Slot> byRemainder = new ArrayList<>(slots);
    byRemainder.sort(Comparator.comparingDouble((Slot s) -> -(s.share - Math.floor(s.share + 1e-9)))
        .thenComparingInt(s -> s.order));
    for (int i = 0; assigned < target && i < byRemainder.size(); i++) {
      Slot slot = byRemainder.get(i);
      if (slot.share > 0) {
        weights[slot.order]++;
        assigned++;
      }
    }
    List<DesiredConfig.Tier> out = new ArrayList<>();
    int next = 0;
    for (TierInput tier : tiers) {
      List<DesiredConfig.WeightedEndpoint> endpoints = new ArrayList<>();
      for (MemberInput member : tier.members()) {
        for (EndpointInput e : member.endpoints()) {
          endpoints.add(new DesiredConfig.WeightedEndpoint(e.address(), e.port(), weights[next++],
              member.ref(), e.zone(), e.region(), e.health()));
        }
      }
      out.add(new DesiredConfig.Tier(tier.index(), split.loadOf(tier.index()), tier.memberRefs(),
          endpoints));
    }
    return out;
  }

  private static boolean usable(EndpointInput endpoint, Split split) {
    return split.panic() || endpoint.health() == EndpointHealth.HEALTHY;
  }

  private record Slot(int tier, MemberInput member, EndpointInput endpoint, double share,
      int order) {}
}
