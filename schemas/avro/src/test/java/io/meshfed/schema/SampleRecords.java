package io.meshfed.schema;

import io.meshfed.avro.AckResult;
import io.meshfed.avro.ClusterApplyStatus;
import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.ClusterObjectRef;
import io.meshfed.avro.ConfigAck;
import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.Endpoint;
import io.meshfed.avro.EndpointHealth;
import io.meshfed.avro.EndpointPort;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FailoverServiceSpec;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.HealthOutcome;
import io.meshfed.avro.HealthSignal;
import io.meshfed.avro.MeshKind;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.PortSpec;
import io.meshfed.avro.ReasonCode;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.ResourceState;
import io.meshfed.avro.ServicePort;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.avro.TierHealth;
import io.meshfed.avro.TrafficSplit;
import io.meshfed.avro.WeightedEndpoint;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/** One filled-in example of every record type in the catalogue (bookinfo reviews). */
public final class SampleRecords {

  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  private static final ResourceRef REVIEWS_FAILOVER =
      new ResourceRef(ResourceKind.FailoverService, "service-mesh-hub", "reviews-failover");

  private SampleRecords() {}

  public static List<SpecificRecord> all() {
    return List.of(service(), endpoints(), heartbeat(), policy(), health(), ack(),
        federatedDestination(), decision(), status(),
        new io.meshfed.avro.internal.Removal(io.meshfed.avro.internal.RemovedKind.ENDPOINTS),
        io.meshfed.avro.internal.MemberUpdate.newBuilder()
            .setMember(new ClusterObjectRef("reviews", "bookinfo", "mgmt-cluster"))
            .setService(service()).setEndpoints(endpoints()).build(),
        new io.meshfed.avro.internal.AckFrom("mgmt-cluster", ack()),
        new io.meshfed.avro.internal.ControlEvent("mgmt-cluster", policy()));
  }

  public static ServiceSnapshot service() {
    return ServiceSnapshot.newBuilder().setNamespace("bookinfo").setName("reviews")
        .setUid("3f1c-reviews").setCreationTimestamp(T0)
        .setLabels(Map.of("app", "reviews"))
        .setPorts(List.of(new ServicePort("http", 9080, "TCP", "http"))).build();
  }

  public static EndpointSnapshot endpoints() {
    return EndpointSnapshot.newBuilder().setNamespace("bookinfo").setServiceName("reviews")
        .setPorts(List.of(new EndpointPort("http", 9080, "TCP", null)))
        .setEndpoints(List.of(
            Endpoint.newBuilder().setAddresses(List.of("10.0.0.11")).setZone("us-east-1a")
                .setRegion("us-east-1").setNode("node-1").setTargetName("reviews-v1-abc").build(),
            Endpoint.newBuilder().setAddresses(List.of("10.0.0.12")).setReady(false)
                .setServing(false).setZone("us-east-1b").build()))
        .build();
  }

  public static ClusterHeartbeat heartbeat() {
    return ClusterHeartbeat.newBuilder().setAgentVersion("0.1.0").setRegion("us-east-1")
        .setZones(List.of("us-east-1a", "us-east-1b")).setMeshKind(MeshKind.ISTIO)
        .setLabels(Map.of("env", "prod"))
        .setTime(T0.plusSeconds(5)).setStartedAt(T0).build();
  }

  public static PolicyEvent policy() {
    FailoverServiceSpec spec = FailoverServiceSpec.newBuilder()
        .setHostname("reviews-failover.bookinfo.global")
        .setPort(new PortSpec(9080L, "HTTP"))
        .setBackingServices(List.of(
            new ClusterObjectRef("reviews", "bookinfo", "mgmt-cluster"),
            new ClusterObjectRef("reviews", "bookinfo", "remote-cluster")))
        .build();
    return PolicyEvent.newBuilder().setKind(ResourceKind.FailoverService)
        .setNamespace("service-mesh-hub").setName("reviews-failover").setUid("uid-fs-1")
        .setGeneration(1).setCreationTimestamp(T0).setLabels(Map.of("team", "reviews"))
        .setSpec(spec).build();
  }

  public static HealthSignal health() {
    return new HealthSignal("bookinfo", "reviews", "10.0.0.11", 9080, HealthOutcome.ERROR,
        T0.plusSeconds(7));
  }

  public static ConfigAck ack() {
    return ConfigAck.newBuilder().setDestination(REVIEWS_FAILOVER).setEpoch(3)
        .setPolicyGeneration(1).setOutcome(AckResult.APPLIED).setTime(T0.plusSeconds(8)).build();
  }

  public static FederatedDestination federatedDestination() {
    WeightedEndpoint endpoint = WeightedEndpoint.newBuilder().setAddress("10.1.0.21")
        .setPort(9080).setWeight(100).setCluster("remote-cluster").setNamespace("bookinfo")
        .setService("reviews").setZone("eu-west-1a").setRegion("eu-west-1")
        .setHealth(EndpointHealth.HEALTHY).build();
    return FederatedDestination.newBuilder().setDestination(REVIEWS_FAILOVER)
        .setClientCluster("mgmt-cluster").setHosts(List.of("reviews-failover.bookinfo.global"))
        .setPorts(List.of(new DestinationPort(9080, "HTTP", 9080)))
        .setTiers(List.of(
            new DestinationTier(0, 0,
                List.of(new ClusterObjectRef("reviews", "bookinfo", "mgmt-cluster")), List.of()),
            new DestinationTier(1, 100,
                List.of(new ClusterObjectRef("reviews", "bookinfo", "remote-cluster")),
                List.of(endpoint))))
        .setActiveTier(1).setOutlierDetection(new OutlierDetection(1, null, null, null))
        .setEpoch(2).setPolicyGeneration(1).setTime(T0.plusSeconds(9)).build();
  }

  public static FailoverDecision decision() {
    return FailoverDecision.newBuilder().setDestination(REVIEWS_FAILOVER)
        .setClientCluster("mgmt-cluster").setEpoch(2)
        .setBefore(new TrafficSplit(0, List.of(100, 0)))
        .setAfter(new TrafficSplit(1, List.of(0, 100)))
        .setReasonCode(ReasonCode.TIER_UNHEALTHY)
        .setReason("tier 0 mgmt-cluster/bookinfo/reviews healthy 0/2 (< 71%): 100% to tier 1"
            + " remote-cluster/bookinfo/reviews")
        .setInputs(List.of(new TierHealth(0, 0, 0, 0, 2), new TierHealth(1, 1, 0, 0, 1)))
        .setPolicyGeneration(1).setTime(T0.plusSeconds(9)).build();
  }

  public static PolicyStatus status() {
    return PolicyStatus.newBuilder().setResource(REVIEWS_FAILOVER).setUid("uid-fs-1")
        .setObservedGeneration(1).setState(ResourceState.ACCEPTED)
        .setClusters(List.of(ClusterApplyStatus.newBuilder().setCluster("mgmt-cluster")
            .setAppliedGeneration(1).setAppliedEpoch(2).setState(ResourceState.ACCEPTED).build()))
        .setNumSelectedBackingServices(2)
        .setSelectedBackingServices(List.of(
            new ClusterObjectRef("reviews", "bookinfo", "mgmt-cluster"),
            new ClusterObjectRef("reviews", "bookinfo", "remote-cluster")))
        .setTime(T0.plusSeconds(10)).build();
  }
}
