package io.meshfed.agent.apply;

import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.EndpointHealth;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.WeightedEndpoint;

/**
 * Which endpoints have a share of a destination's traffic, for every applier.
 *
 * <p>Weights are relative: appliers never assume they sum to 100. The topology gives every
 * endpoint with a share a weight of at least 1, so weight 0 normally means "no share" (a tier
 * without load, or an endpoint that is not usable). Older configs carried percentages that sum
 * to 100, where an endpoint of a tier with more than 100 usable endpoints could round down to 0
 * while still being part of the split; dropping it would silently lose endpoints. So weight 0
 * counts as "no share" only when the decision confirms it: the endpoint's tier has no load, or
 * the endpoint is not HEALTHY outside panic ({@code activeTier == -1}, where every endpoint of
 * the loaded tier is eligible).
 */
final class TrafficShare {

  private TrafficShare() {}

  /** The endpoint's weight as an unsigned relative weight (negative values count as 0). */
  static long weight(WeightedEndpoint e) {
    return Math.max(0L, (long) e.getWeight());
  }

  static boolean hasShare(FederatedDestination fd, DestinationTier tier, WeightedEndpoint e) {
    if (weight(e) > 0) {
      return true;
    }
    return tier.getLoadPercent() > 0
        && (fd.getActiveTier() < 0 || e.getHealth() == EndpointHealth.HEALTHY);
  }
}
