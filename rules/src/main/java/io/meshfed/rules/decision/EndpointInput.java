package io.meshfed.rules.decision;

import io.meshfed.rules.health.EndpointHealth;
import java.util.List;

/**
 * An endpoint of a member, with its health already resolved.
 *
 * @param address IP or hostname
 * @param port port on the endpoint the destination's first port goes to (outlier detection
 *     and health signals are keyed by it)
 * @param health resolved health
 * @param zone zone or null
 * @param region region or null
 * @param ports of a destination with several ports: the port on the endpoint for each, in the
 *     destination's port order; empty when it has one port ({@code port} is it). Each port of a
 *     VirtualDestination may map to a different backend port, by number or by name.
 */
public record EndpointInput(String address, int port, EndpointHealth health, String zone,
    String region, List<Integer> ports) {

  /** An endpoint of a destination with one port. */
  public EndpointInput(String address, int port, EndpointHealth health, String zone,
      String region) {
    this(address, port, health, zone, region, List.of());
  }

  public EndpointInput {
    ports = ports == null ? List.of() : List.copyOf(ports);
  }
}
