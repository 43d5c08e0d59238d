package io.meshfed.rules.decision;

import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.split.Split;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns tier loads into per-endpoint weights: relative integers at the fixed scale
 * {@link DesiredConfig#WEIGHT_TOTAL} (10<sup>9</sup> for the whole destination, 0 when nothing
 * has load).
 *
 * <p>A tier's load is shared among its members by weight (members with no usable endpoint get
 * none), and a member's share equally among its usable endpoints — HEALTHY ones, or in panic all
 * of them. Every usable endpoint of a tier with load gets a weight of at least 1, however many
 * endpoints there are; an endpoint with no share keeps weight 0 and stays in the config for
 * visibility.
 *
 * <p>Why this scale: the weights go to data planes as uint32 — Envoy's
 * {@code load_balancing_weight} must be ≥ 1 and the weights of a locality's endpoints must sum
 * to at most 2<sup>32</sup>−1 (Istio sums them again per locality), the Destination API's
 * {@code WeightedAddr.weight} is uint32, and the Avro field is a signed int. 10<sup>9</sup>
 * leaves every sum below 2<sup>31</sup>−1 (rounding adds at most one unit per endpoint) while
 * giving each endpoint of a 10,000-endpoint tier at 1 % load still about 1,000 units, so
 * proportions survive to well under 1 %. A fixed scale (rather than one per destination) means
 * a change in one tier never re-weights the others.
 *
 * <p>Rounding is exact integer arithmetic, in two steps, so the result is deterministic and
 * every endpoint is within 2 units of its exact share:
 * <ol>
 *   <li>a tier's units ({@code loadPercent × 10^7}, exact) go to its members by weight, the
 *       leftover units of the floors to the largest remainders (ties: member order);
 *   <li>a member's units go equally to its usable endpoints, the leftover {@code units mod n}
 *       one each to the first endpoints in address order; an endpoint left with 0 gets 1.
 * </ol>
 * Without that minimum, sums are exact: each loaded tier's weights add up to its load × 10^7.
 */
final class EndpointWeights {

  private static final long UNITS_PER_PERCENT = DesiredConfig.WEIGHT_TOTAL / 100;

  private EndpointWeights() {}

  static List<DesiredConfig.Tier> assign(List<TierInput> tiers, Split split) {
    List<DesiredConfig.Tier> out = new ArrayList<>();
    for (TierInput tier : tiers) {
      int load = split.loadOf(tier.index());
      long[] memberUnits = memberUnits(tier, split, load * UNITS_PER_PERCENT);
      List<DesiredConfig.WeightedEndpoint> endpoints = new ArrayList<>();
      for (int m = 0; m < tier.members().size(); m++) {
        MemberInput member = tier.members().get(m);
        long usableCount = member.endpoints().stream().filter(e -> usable(e, split)).count();
        long units = memberUnits[m];
        int seen = 0;
        for (EndpointInput e : member.endpoints()) {
          int weight = 0;
          if (units > 0 && usable(e, split)) {
            long share = units / usableCount + (seen < units % usableCount ? 1 : 0);
            weight = (int) Math.max(1, share);
            seen++;
          }
          endpoints.add(new DesiredConfig.WeightedEndpoint(e.address(), e.port(), weight,
              member.ref(), e.zone(), e.region(), e.health(), e.ports()));
        }
      }
      out.add(new DesiredConfig.Tier(tier.index(), load, tier.memberRefs(), endpoints));
    }
    return out;
  }

  /**
   * The tier's units shared among its members with a usable endpoint, in proportion to their
   * weights (largest remainder). A member with a usable endpoint whose proportional share
   * rounds to 0 still gets 1 unit, so its endpoints are not dropped.
   */
  private static long[] memberUnits(TierInput tier, Split split, long tierUnits) {
    List<MemberInput> members = tier.members();
    long[] units = new long[members.size()];
    boolean[] eligible = new boolean[members.size()];
    long totalWeight = 0;
    for (int m = 0; m < members.size(); m++) {
      eligible[m] = members.get(m).endpoints().stream().anyMatch(e -> usable(e, split));
      if (eligible[m]) {
        totalWeight += members.get(m).weight();
      }
    }
    if (tierUnits == 0 || totalWeight == 0) {
      return units;
    }
    // tierUnits <= 10^9 and a weight < 2^31, so the product fits a long; all remainders share
    // the denominator totalWeight, so comparing them is exact.
    long[] remainder = new long[members.size()];
    long assigned = 0;
    for (int m = 0; m < members.size(); m++) {
      if (eligible[m]) {
        long numerator = tierUnits * members.get(m).weight();
        units[m] = numerator / totalWeight;
        remainder[m] = numerator % totalWeight;
        assigned += units[m];
      }
    }
    // Fewer units are left than there are members: one more each to the largest remainders.
    List<Integer> byRemainder = new ArrayList<>();
    for (int m = 0; m < members.size(); m++) {
      if (eligible[m]) {
        byRemainder.add(m);
      }
    }
    byRemainder.sort(Comparator.comparingLong((Integer m) -> -remainder[m])
        .thenComparingInt(m -> m));
    for (int i = 0; i < tierUnits - assigned; i++) {
      units[byRemainder.get(i)]++;
    }
    for (int m = 0; m < members.size(); m++) {
      if (eligible[m] && units[m] == 0) {
        units[m] = 1;
      }
    }
    return units;
  }

  private static boolean usable(EndpointInput endpoint, Split split) {
    return split.panic() || endpoint.health() == EndpointHealth.HEALTHY;
  }
}
