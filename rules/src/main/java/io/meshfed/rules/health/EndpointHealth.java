package io.meshfed.rules.health;

/** Health of an endpoint as decisions see it. Only HEALTHY endpoints count as healthy. */
public enum EndpointHealth {
  HEALTHY,
  /** Its EndpointSlice conditions say it should not receive traffic. */
  UNHEALTHY,
  /** Outlier detection ejected it for a while. */
  EJECTED,
  /** Its cluster's heartbeat is older than the TTL: unknown, so not counted healthy. */
  STALE
}
