package io.meshfed.rules.split;

import java.util.List;

/**
 * Share of traffic per tier.
 *
 * @param activeTier first tier with load; -1 in panic (no tier healthy) or when nothing exists
 * @param tierLoadPercent load per tier index, summing to 100 — or all zero when no tier has any
 *     endpoint at all
 * @param panic true when no tier had a healthy endpoint and traffic fails open (see
 *     {@link LoadSplit})
 */
public record Split(int activeTier, List<Integer> tierLoadPercent, boolean panic) {

  public Split {
    tierLoadPercent = List.copyOf(tierLoadPercent);
  }

  public int loadOf(int tier) {
    return tier < tierLoadPercent.size() ? tierLoadPercent.get(tier) : 0;
  }
}
