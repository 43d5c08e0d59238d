package io.meshfed.rules.model;

/**
 * One endpoint of a backing service, with its EndpointSlice conditions already resolved from
 * nil (ready nil = true, serving nil = ready, terminating nil = false).
 *
 * @param address IP or hostname
 * @param ready receives new traffic
 * @param serving can serve (may be true while terminating)
 * @param terminating is shutting down
 * @param zone zone, or null
 * @param region region, or null
 */
public record Endpoint(String address, boolean ready, boolean serving, boolean terminating,
    String zone, String region) {

  public static Endpoint ready(String address, String zone, String region) {
    return new Endpoint(address, true, true, false, zone, region);
  }

  public static Endpoint notReady(String address, String zone, String region) {
    return new Endpoint(address, false, false, false, zone, region);
  }
}
