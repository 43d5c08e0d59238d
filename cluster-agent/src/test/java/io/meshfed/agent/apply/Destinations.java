package io.meshfed.agent.apply;

import io.meshfed.avro.ClusterObjectRef;
import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.EndpointHealth;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.WeightedEndpoint;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** FederatedDestinations as the topology writes them, for the applier tests. */
final class Destinations {

  static final ResourceRef REVIEWS =
      new ResourceRef(ResourceKind.FailoverService, "service-mesh-hub", "reviews-failover");

  private Destinations() {}

  static WeightedEndpoint endpoint(String address, int weight, String cluster) {
    return WeightedEndpoint.newBuilder().setAddress(address).setPort(9080).setWeight(weight)
        .setCluster(cluster).setNamespace("bookinfo").setService("reviews")
        .setZone(cluster + "-a").setRegion(cluster.startsWith("mgmt") ? "us-east-1" : "eu-west-1")
        .setHealth(weight > 0 ? EndpointHealth.HEALTHY : EndpointHealth.UNHEALTHY).build();
  }

  /** The walkthrough after failover: tier 0 (mgmt) down, tier 1 (remote) takes everything. */
  static FederatedDestination failedOver(long epoch) {
    return FederatedDestination.newBuilder()
        .setDestination(REVIEWS).setClientCluster("mgmt-cluster")
        .setHosts(List.of("reviews-failover.bookinfo.global"))
        .setPorts(List.of(new DestinationPort(9080, "HTTP", 9080)))
        .setTiers(List.of(
            new DestinationTier(0, 0, List.of(new ClusterObjectRef("reviews", "bookinfo",
                "mgmt-cluster")), List.of(endpoint("10.0.0.11", 0, "mgmt-cluster"),
                endpoint("10.0.0.12", 0, "mgmt-cluster"))),
            new DestinationTier(1, 100, List.of(new ClusterObjectRef("reviews", "bookinfo",
                "remote-cluster")), List.of(endpoint("10.1.0.21", 100, "remote-cluster")))))
        .setActiveTier(1).setOutlierDetection(new OutlierDetection(1, 10_000L, 30_000L, 100))
        .setEpoch(epoch).setPolicyGeneration(1).setTime(Instant.parse("2026-11-22T10:00:00Z"))
        .build();
  }

  static WeightedEndpoint endpoint(String address, int port, long weight, String cluster) {
    return WeightedEndpoint.newBuilder(endpoint(address, (int) weight, cluster)).setPort(port)
        .build();
  }

  /**
   * reviews listening on 9080 in mgmt-cluster and on 9081 in remote-cluster, traffic split
   * 70/30 across the two tiers, with relative weights that do not sum to 100.
   */
  static FederatedDestination splitAcrossPorts() {
    return FederatedDestination.newBuilder(failedOver(4))
        .setTiers(List.of(
            new DestinationTier(0, 70, List.of(new ClusterObjectRef("reviews", "bookinfo",
                "mgmt-cluster")), List.of(endpoint("10.0.0.11", 9080, 35_000, "mgmt-cluster"),
                endpoint("10.0.0.12", 9080, 35_000, "mgmt-cluster"))),
            new DestinationTier(1, 30, List.of(new ClusterObjectRef("reviews", "bookinfo",
                "remote-cluster")), List.of(endpoint("10.1.0.21", 9081, 30_000,
                "remote-cluster")))))
        .setActiveTier(0).build();
  }

  /** A destination with {@code n} endpoints in one tier, weights summing to 100. */
  static FederatedDestination wide(int n) {
    List<WeightedEndpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      endpoints.add(endpoint("10." + (i / 65536) + "." + (i / 256 % 256) + "." + (i % 256),
          i < 100 ? 1 : 0, "mgmt-cluster"));
    }
    return FederatedDestination.newBuilder(failedOver(1))
        .setTiers(List.of(new DestinationTier(0, 100, List.of(), endpoints)))
        .setActiveTier(0).build();
  }
}
