package io.meshfed.rules.decision;

import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.split.SplitPolicy;
import java.time.Duration;
import java.util.List;

/**
 * Everything a decision for one (destination, client cluster) depends on. Time is passed to
 * {@link Decider#decide} separately; nothing here reads a clock.
 *
 * @param destination the destination
 * @param generation its metadata.generation
 * @param clientCluster the client cluster
 * @param hosts hostnames clients use
 * @param ports ports clients use
 * @param outlier outlier detection the data plane should apply
 * @param tiers tiers in order, with members and endpoints
 * @param splitPolicy how traffic spills between tiers
 * @param minHealthyDuration failback damping
 * @param lastDestinationEpoch the last epoch issued for this destination to any client cluster
 *     (0 if none): epochs are monotonic per destination, so the decision log of a destination
 *     reads as one contiguous sequence
 */
public record DecisionInputs(ResourceId destination, long generation, String clientCluster,
    List<String> hosts, List<DesiredConfig.Port> ports, OutlierSettings outlier,
    List<TierInput> tiers, SplitPolicy splitPolicy, Duration minHealthyDuration,
    long lastDestinationEpoch) {

  /** Inputs for a destination with a single client sequence (no shared epoch counter). */
  public DecisionInputs(ResourceId destination, long generation, String clientCluster,
      List<String> hosts, List<DesiredConfig.Port> ports, OutlierSettings outlier,
      List<TierInput> tiers, SplitPolicy splitPolicy, Duration minHealthyDuration) {
    this(destination, generation, clientCluster, hosts, ports, outlier, tiers, splitPolicy,
        minHealthyDuration, 0);
  }

  public DecisionInputs {
    hosts = List.copyOf(hosts);
    ports = List.copyOf(ports);
    tiers = List.copyOf(tiers);
    for (int i = 0; i < tiers.size(); i++) {
      if (tiers.get(i).index() != i) {
        throw new IllegalArgumentException("tier at position " + i + " has index "
            + tiers.get(i).index());
      }
    }
    if (minHealthyDuration.isNegative()) {
      throw new IllegalArgumentException("minHealthyDuration must not be negative");
    }
  }
}
