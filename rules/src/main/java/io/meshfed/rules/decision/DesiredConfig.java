package io.meshfed.rules.decision;

import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;
import java.util.List;
import java.util.Objects;

/**
 * What one client cluster should apply for one destination: the domain form of the
 * {@code FederatedDestination} record, derived from a decision.
 *
 * @param destination the destination
 * @param clientCluster the client cluster
 * @param hosts hostnames
 * @param ports ports
 * @param tiers tiers with their load and weighted endpoints
 * @param activeTier first tier with load, or -1 (panic or nothing to route to)
 * @param outlier outlier detection settings
 * @param epoch the decision epoch this config reflects
 * @param generation destination generation
 */
public record DesiredConfig(ResourceId destination, String clientCluster, List<String> hosts,
    List<Port> ports, List<Tier> tiers, int activeTier, OutlierSettings outlier, long epoch,
    long generation) {

  /**
   * What the endpoint weights of one destination add up to (before the minimum of 1 that every
   * usable endpoint gets): relative integers, so any number of endpoints keeps a nonzero weight,
   * and small enough that every sum fits a uint32 and an Avro int. See {@link EndpointWeights}.
   */
  public static final int WEIGHT_TOTAL = 1_000_000_000;

  /** A port clients use and the backend port it maps to. */
  public record Port(int number, String protocol, int targetPort) {}

  /** A tier: its share of traffic, its members, its endpoints. */
  public record Tier(int index, int loadPercent, List<ServiceRef> members,
      List<WeightedEndpoint> endpoints) {
    public Tier {
      members = List.copyOf(members);
      endpoints = List.copyOf(endpoints);
    }
  }

  /**
   * An endpoint with its share of the destination's traffic: a relative weight, about
   * {@link #WEIGHT_TOTAL} summed over all endpoints; at least 1 for every endpoint that carries
   * traffic, 0 for one that carries none. {@code port} is the endpoint port of the destination's
   * first port; {@code ports}, of a destination with several ports, the endpoint port of each
   * (empty with one port, and in state written before it existed).
   */
  public record WeightedEndpoint(String address, int port, int weight, ServiceRef service,
      String zone, String region, EndpointHealth health, List<Integer> ports) {

    /** An endpoint of a destination with one port. */
    public WeightedEndpoint(String address, int port, int weight, ServiceRef service,
        String zone, String region, EndpointHealth health) {
      this(address, port, weight, service, zone, region, health, List.of());
    }

    public WeightedEndpoint {
      ports = ports == null ? List.of() : List.copyOf(ports);
    }

    /** Equal in all but the health label: what a data plane applies is the same. */
    boolean sameRoutingAs(WeightedEndpoint o) {
      return this == o || (port == o.port && weight == o.weight && Objects.equals(address, o.address)
          && Objects.equals(service, o.service) && Objects.equals(zone, o.zone)
          && Objects.equals(region, o.region) && ports.equals(o.ports));
    }
  }

  public DesiredConfig {
    hosts = List.copyOf(hosts);
    ports = List.copyOf(ports);
    tiers = List.copyOf(tiers);
  }

  /**
   * Equal in everything a data plane applies, ignoring the epoch and the endpoints' health
   * labels. Health is recorded as the decision saw it; a health change that moves no weight (an
   * endpoint of an idle tier recovering, or a failback still being damped) is not a decision.
   */
  public boolean sameContentAs(DesiredConfig other) {
    // Field by field rather than comparing copies without health: this runs once per client
    // of every evaluation, over every endpoint, and the clients of one evaluation share their
    // tiers instance (WeightsMemo), which makes the usual case one identity check.
    if (other == null || activeTier != other.activeTier || generation != other.generation
        || !Objects.equals(destination, other.destination)
        || !Objects.equals(clientCluster, other.clientCluster) || !hosts.equals(other.hosts)
        || !ports.equals(other.ports) || !Objects.equals(outlier, other.outlier)) {
      return false;
    }
    if (tiers == other.tiers) {
      return true;
    }
    if (tiers.size() != other.tiers.size()) {
      return false;
    }
    for (int i = 0; i < tiers.size(); i++) {
      Tier a = tiers.get(i);
      Tier b = other.tiers.get(i);
      if (a == b) {
        continue;
      }
      if (a.index() != b.index() || a.loadPercent() != b.loadPercent()
          || !a.members().equals(b.members())
          || a.endpoints().size() != b.endpoints().size()) {
        return false;
      }
      for (int e = 0; e < a.endpoints().size(); e++) {
        if (!a.endpoints().get(e).sameRoutingAs(b.endpoints().get(e))) {
          return false;
        }
      }
    }
    return true;
  }

  public DesiredConfig withEpoch(long newEpoch) {
    return new DesiredConfig(destination, clientCluster, hosts, ports, tiers, activeTier, outlier,
        newEpoch, generation);
  }

  /**
   * Sum of all endpoint weights: {@link #WEIGHT_TOTAL} (plus at most one per endpoint where the
   * minimum of 1 applied), or 0 when there is nothing to route to. A long, so a caller checking
   * the uint32 bound cannot be fooled by an overflow.
   */
  public long totalWeight() {
    return tiers.stream().flatMap(t -> t.endpoints().stream())
        .mapToLong(WeightedEndpoint::weight).sum();
  }
}
