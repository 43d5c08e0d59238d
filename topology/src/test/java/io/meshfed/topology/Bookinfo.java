package io.meshfed.topology;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.ClusterObjectRef;
import io.meshfed.avro.ConfigAck;
import io.meshfed.avro.AckResult;
import io.meshfed.avro.Endpoint;
import io.meshfed.avro.EndpointPort;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.FailoverServiceSpec;
import io.meshfed.avro.MeshKind;
import io.meshfed.avro.ObjectSelector;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.OutlierDetectionPolicySpec;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PortSpec;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.ServicePort;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.topics.EventKeys;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;

/**
 * The Service Mesh Hub failover walkthrough's world as agent events: bookinfo reviews v1 and v2
 * on mgmt-cluster, v3 on remote-cluster, an outlier policy and the reviews-failover
 * FailoverService, written by mgmt-cluster (the policy source).
 */
public final class Bookinfo {

  public static final String MGMT = "mgmt-cluster";
  public static final String REMOTE = "remote-cluster";
  public static final Instant CREATED = Instant.parse("2026-11-22T09:00:00Z");
  public static final ResourceRef REVIEWS_FAILOVER =
      new ResourceRef(ResourceKind.FailoverService, "service-mesh-hub", "reviews-failover");

  private Bookinfo() {}

  public static KeyValue<String, SpecificRecord> heartbeat(String cluster, Instant time) {
    String region = cluster.equals(MGMT) ? "us-east-1" : "eu-west-1";
    return KeyValue.pair(EventKeys.heartbeat(cluster), ClusterHeartbeat.newBuilder()
        .setAgentVersion("test").setRegion(region).setZones(List.of(region + "a"))
        .setMeshKind(MeshKind.ISTIO).setTime(time).setStartedAt(CREATED).build());
  }

  public static KeyValue<String, SpecificRecord> reviewsService(String cluster) {
    return KeyValue.pair(EventKeys.service(cluster, "bookinfo", "reviews"),
        ServiceSnapshot.newBuilder().setNamespace("bookinfo").setName("reviews")
            .setUid("uid-reviews-" + cluster).setCreationTimestamp(CREATED)
            .setLabels(Map.of("app", "reviews"))
            .setPorts(List.of(new ServicePort("http", 9080, "TCP", null))).build());
  }

  /** reviews endpoints: on mgmt-cluster v1 and v2, on remote-cluster v3. */
  public static KeyValue<String, SpecificRecord> reviewsEndpoints(String cluster, boolean ready) {
    return cluster.equals(MGMT) ? reviewsEndpoints(cluster, ready, ready)
        : reviewsEndpoints(cluster, new boolean[] {ready});
  }

  /**
   * reviews endpoints with readiness each (mgmt-cluster: v1, v2; remote-cluster: v3); fewer
   * flags than endpoints leaves the rest out, none at all is an empty snapshot.
   */
  public static KeyValue<String, SpecificRecord> reviewsEndpoints(String cluster,
      boolean... ready) {
    List<Endpoint> all = cluster.equals(MGMT)
        ? List.of(endpoint("10.0.0.11", "reviews-v1", true), endpoint("10.0.0.12", "reviews-v2",
            true))
        : List.of(endpoint("10.1.0.21", "reviews-v3", true));
    List<Endpoint> endpoints = new java.util.ArrayList<>();
    for (int i = 0; i < Math.min(ready.length, all.size()); i++) {
      endpoints.add(endpoint(all.get(i).getAddresses().get(0), all.get(i).getTargetName(),
          ready[i]));
    }
    return KeyValue.pair(EventKeys.endpoints(cluster, "bookinfo", "reviews"),
        EndpointSnapshot.newBuilder().setNamespace("bookinfo").setServiceName("reviews")
            .setPorts(List.of(new EndpointPort("http", 9080, "TCP", null)))
            .setEndpoints(endpoints).build());
  }

  private static Endpoint endpoint(String ip, String pod, boolean ready) {
    return Endpoint.newBuilder().setAddresses(List.of(ip)).setReady(ready).setServing(ready)
        .setTargetName(pod).build();
  }

  /** A policy in namespace global from mgmt-cluster, labelled team=reviews. */
  public static KeyValue<String, SpecificRecord> globalPolicy(ResourceKind kind, String name,
      Object spec) {
    return KeyValue.pair(EventKeys.policy(MGMT, kind, "global", name), PolicyEvent.newBuilder()
        .setKind(kind).setNamespace("global").setName(name).setUid("uid-" + name)
        .setGeneration(1).setCreationTimestamp(CREATED)
        .setLabels(Map.of("team", "reviews")).setSpec(spec).build());
  }

  /** FailoverPolicy local-first: LOCALITY ordering for destinations labelled team=reviews. */
  public static KeyValue<String, SpecificRecord> localFirstPolicy() {
    return globalPolicy(ResourceKind.FailoverPolicy, "local-first",
        io.meshfed.avro.FailoverPolicySpec.newBuilder()
            .setDestinations(List.of(ObjectSelector.newBuilder()
                .setLabels(Map.of("team", "reviews")).build()))
            .setOrdering(io.meshfed.avro.TierOrdering.LOCALITY).build());
  }

  /** VirtualDestination global/reviews-vd: host reviews.mesh.internal:8080 over app=reviews. */
  public static KeyValue<String, SpecificRecord> reviewsVirtualDestination() {
    return globalPolicy(ResourceKind.VirtualDestination, "reviews-vd",
        io.meshfed.avro.VirtualDestinationSpec.newBuilder()
            .setHosts(List.of("reviews.mesh.internal"))
            .setServices(List.of(ObjectSelector.newBuilder()
                .setLabels(Map.of("app", "reviews")).build()))
            .setPorts(List.of(new io.meshfed.avro.PortMapping(8080L, "HTTP",
                new io.meshfed.avro.TargetPort(null, "http"))))
            .build());
  }

  public static KeyValue<String, SpecificRecord> outlierPolicy() {
    return KeyValue.pair(EventKeys.policy(MGMT, ResourceKind.OutlierDetectionPolicy,
        "service-mesh-hub", "mgmt-reviews-outlier"), PolicyEvent.newBuilder()
        .setKind(ResourceKind.OutlierDetectionPolicy).setNamespace("service-mesh-hub")
        .setName("mgmt-reviews-outlier").setUid("uid-odp").setGeneration(1)
        .setCreationTimestamp(CREATED)
        .setSpec(new OutlierDetectionPolicySpec(List.of(ObjectSelector.newBuilder()
            .setName("reviews-failover").setNamespace("service-mesh-hub").build()),
            new OutlierDetection(1, null, null, null)))
        .build());
  }

  public static KeyValue<String, SpecificRecord> failoverService(String hostname,
      long generation) {
    return failoverServiceFrom(MGMT, hostname, generation);
  }

  public static KeyValue<String, SpecificRecord> failoverServiceFrom(String cluster,
      String hostname, long generation) {
    return failoverServiceNamed(cluster, "reviews-failover", "uid-fs", hostname, generation);
  }

  /**
   * A FailoverService over reviews in both clusters under another name: a destination of its
   * own (its own config key, decisions and epochs) beside the walkthrough's.
   */
  public static KeyValue<String, SpecificRecord> failoverServiceNamed(String cluster,
      String name, String uid, String hostname, long generation) {
    FailoverServiceSpec spec = FailoverServiceSpec.newBuilder()
        .setHostname(hostname).setPort(new PortSpec(9080L, "http"))
        .setBackingServices(List.of(new ClusterObjectRef("reviews", "bookinfo", MGMT),
            new ClusterObjectRef("reviews", "bookinfo", REMOTE)))
        .build();
    return KeyValue.pair(EventKeys.policy(cluster, ResourceKind.FailoverService,
        "service-mesh-hub", name), PolicyEvent.newBuilder()
        .setKind(ResourceKind.FailoverService).setNamespace("service-mesh-hub")
        .setName(name).setUid(uid).setGeneration(generation)
        .setCreationTimestamp(CREATED).setSpec(spec).build());
  }

  /** Sends records to a cluster's events topic as its agent would, waiting for each ack. */
  @SafeVarargs
  public static void publish(org.apache.kafka.clients.producer.Producer<String, SpecificRecord>
      producer, String cluster, KeyValue<String, SpecificRecord>... records) throws Exception {
    for (var record : records) {
      producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(
          "meshfed.cluster." + cluster + ".events", record.key, record.value)).get();
    }
  }

  public static KeyValue<String, SpecificRecord> ack(String cluster, long epoch) {
    return KeyValue.pair(EventKeys.ack(cluster, ResourceKind.FailoverService, "service-mesh-hub",
        "reviews-failover"), ConfigAck.newBuilder().setDestination(REVIEWS_FAILOVER)
        .setEpoch(epoch).setPolicyGeneration(1).setOutcome(AckResult.APPLIED)
        .setTime(Instant.now()).build());
  }
}
