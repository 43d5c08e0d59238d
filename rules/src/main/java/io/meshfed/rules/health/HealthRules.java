package io.meshfed.rules.health;

import io.meshfed.rules.model.ClusterInfo;
import io.meshfed.rules.model.Endpoint;
import java.time.Duration;
import java.time.Instant;

/**
 * How an endpoint's health is derived. Order matters: a stale cluster says nothing reliable, so
 * STALE wins; then the EndpointSlice conditions; then outlier ejection.
 */
public final class HealthRules {

  private HealthRules() {}

  /**
   * A cluster is stale when no heartbeat arrived within {@code ttl} before {@code now}, or none
   * ever did. Its endpoints are never deleted because of silence, only counted as unknown.
   */
  public static boolean isStale(ClusterInfo cluster, Instant now, Duration ttl) {
    return cluster == null || cluster.lastHeartbeat() == null
        || cluster.lastHeartbeat().plus(ttl).isBefore(now);
  }

  /** When a fresh cluster turns stale if nothing more arrives, or null if it is stale already. */
  public static Instant staleAt(ClusterInfo cluster, Duration ttl) {
    return cluster == null || cluster.lastHeartbeat() == null ? null
        : cluster.lastHeartbeat().plus(ttl).plusNanos(1);
  }

  /**
   * Kubernetes semantics: {@code ready} means the endpoint should receive new traffic (it is
   * false for terminating endpoints), so it alone decides HEALTHY.
   */
  public static EndpointHealth fromConditions(Endpoint endpoint) {
    return endpoint.ready() && !endpoint.terminating() ? EndpointHealth.HEALTHY
        : EndpointHealth.UNHEALTHY;
  }

  public static EndpointHealth resolve(Endpoint endpoint, boolean clusterStale,
      OutlierState outlier, Instant now) {
    if (clusterStale) {
      return EndpointHealth.STALE;
    }
    EndpointHealth conditions = fromConditions(endpoint);
    if (conditions != EndpointHealth.HEALTHY) {
      return conditions;
    }
    return outlier != null && outlier.isEjected(now) ? EndpointHealth.EJECTED
        : EndpointHealth.HEALTHY;
  }
}
