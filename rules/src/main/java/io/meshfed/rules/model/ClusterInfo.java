package io.meshfed.rules.model;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * What meshfed knows of a cluster from its agent's heartbeats.
 *
 * @param name cluster name
 * @param region region, or null
 * @param zones zones the cluster spans
 * @param labels cluster labels (priority labels compare these)
 * @param lastHeartbeat time of the last heartbeat, or null if none arrived yet
 */
public record ClusterInfo(String name, String region, Set<String> zones,
    Map<String, String> labels, Instant lastHeartbeat) {

  public ClusterInfo {
    zones = Set.copyOf(zones);
    labels = Map.copyOf(labels);
  }

  public static ClusterInfo of(String name, String region, String zone, Instant lastHeartbeat) {
    return new ClusterInfo(name, region, zone == null ? Set.of() : Set.of(zone), Map.of(),
        lastHeartbeat);
  }
}
