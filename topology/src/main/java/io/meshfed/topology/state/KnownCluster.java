package io.meshfed.topology.state;

import io.meshfed.rules.model.ClusterInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the topology knows of a cluster from its heartbeats.
 *
 * @param name cluster name
 * @param agentVersion version of its agent
 * @param region region or null
 * @param zones zones
 * @param labels cluster labels
 * @param meshKind how it applies config
 * @param sentAt time in the last heartbeat (agent clock)
 * @param receivedAt when the topology processed it (its own clock; staleness is judged on this)
 * @param startedAt when the agent process started
 * @param restartEpoch the agent's restart epoch, or -1 (not reported)
 */
public record KnownCluster(String name, String agentVersion, String region, List<String> zones,
    Map<String, String> labels, String meshKind, Instant sentAt, Instant receivedAt,
    Instant startedAt, long restartEpoch) {

  /** State written before restart epochs (its JSON has no restartEpoch). */
  @com.fasterxml.jackson.annotation.JsonCreator
  public static KnownCluster read(@com.fasterxml.jackson.annotation.JsonProperty("name") String name,
      @com.fasterxml.jackson.annotation.JsonProperty("agentVersion") String agentVersion,
      @com.fasterxml.jackson.annotation.JsonProperty("region") String region,
      @com.fasterxml.jackson.annotation.JsonProperty("zones") List<String> zones,
      @com.fasterxml.jackson.annotation.JsonProperty("labels") Map<String, String> labels,
      @com.fasterxml.jackson.annotation.JsonProperty("meshKind") String meshKind,
      @com.fasterxml.jackson.annotation.JsonProperty("sentAt") Instant sentAt,
      @com.fasterxml.jackson.annotation.JsonProperty("receivedAt") Instant receivedAt,
      @com.fasterxml.jackson.annotation.JsonProperty("startedAt") Instant startedAt,
      @com.fasterxml.jackson.annotation.JsonProperty("restartEpoch") Long restartEpoch) {
    return new KnownCluster(name, agentVersion, region, zones, labels, meshKind, sentAt,
        receivedAt, startedAt, restartEpoch == null ? -1 : restartEpoch);
  }

  public ClusterInfo toClusterInfo() {
    return new ClusterInfo(name, region, Set.copyOf(zones), labels, receivedAt);
  }

  /** The same cluster, counted as heard from at {@code at} (its heartbeat fields unchanged). */
  public KnownCluster heardAt(Instant at) {
    return new KnownCluster(name, agentVersion, region, zones, labels, meshKind, sentAt, at,
        startedAt, restartEpoch);
  }
}
