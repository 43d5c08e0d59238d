package io.meshfed.rules.model;

import java.util.List;
import java.util.Map;

/**
 * Failover behaviour for the VirtualDestinations it selects.
 *
 * @param destinations selectors of destinations (by labels, name, namespace)
 * @param ordering how tiers are built
 * @param priorityLabels cluster labels, most important first (PRIORITY_LABELS)
 * @param clusterOrder clusters in priority order (CLUSTER_ORDER)
 * @param weights relative weight of a cluster inside its tier (default 1)
 * @param failoverThresholdPercent plain threshold mode: a tier keeps all traffic while its healthy
 *     share is at least this; null means Envoy's overprovisioning mode
 * @param minHealthyDurationMillis failback damping; null means the configured default
 */
public record FailoverPolicySpec(List<Selector> destinations, TierOrdering ordering,
    List<String> priorityLabels, List<String> clusterOrder, Map<String, Integer> weights,
    Integer failoverThresholdPercent, Long minHealthyDurationMillis) {

  public FailoverPolicySpec {
    destinations = destinations == null ? List.of() : List.copyOf(destinations);
    ordering = ordering == null ? TierOrdering.LOCALITY : ordering;
    priorityLabels = priorityLabels == null ? List.of() : List.copyOf(priorityLabels);
    clusterOrder = clusterOrder == null ? List.of() : List.copyOf(clusterOrder);
    weights = weights == null ? Map.of() : Map.copyOf(weights);
  }
}
