package io.meshfed.topology.seeds;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.Endpoint;
import io.meshfed.avro.EndpointPort;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.FailoverServiceSpec;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ObjectSelector;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.OutlierDetectionPolicySpec;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.ResourceState;
import io.meshfed.avro.ServicePort;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.avro.TargetPort;
import io.meshfed.avro.WeightedEndpoint;
import io.meshfed.topics.EventKeys;
import io.meshfed.avro.VirtualDestinationSpec;
import io.meshfed.rules.validation.Validator;
import java.util.List;
import java.util.Map;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.DriverTestBase;
import java.time.Duration;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;

/**
 * Issue #18 ("Seed fidelity") through the topology: records in as agents write them, config and
 * status out as agents read them.
 */
class SeedFidelityTopologyTest extends DriverTestBase {

  private static final String FS_CONFIG_KEY =
      "FederatedDestination/FailoverService/service-mesh-hub/reviews-failover";
  private static final String FS_STATUS_KEY =
      "PolicyStatus/FailoverService/service-mesh-hub/reviews-failover";

  /** The walkthrough's FailoverService at {@code generation}, with a failover threshold. */
  private static KeyValue<String, SpecificRecord> reviewsFailover(long generation,
      Integer thresholdPercent) {
    KeyValue<String, SpecificRecord> walkthrough =
        Bookinfo.failoverService("reviews-failover.bookinfo.global", generation);
    PolicyEvent event = (PolicyEvent) walkthrough.value;
    FailoverServiceSpec spec = FailoverServiceSpec.newBuilder((FailoverServiceSpec) event.getSpec())
        .setFailoverThresholdPercent(thresholdPercent).build();
    return KeyValue.pair(walkthrough.key, PolicyEvent.newBuilder(event).setSpec(spec).build());
  }

  private FederatedDestination config(String cluster, String key) {
    return (FederatedDestination) t.latestConfig(cluster).get(key);
  }

  private PolicyStatus status(String key) {
    return (PolicyStatus) t.latestConfig(MGMT).get(key);
  }

  @Test
  void aFailoverServiceThresholdKeepsAHalfHealthyTierWhereOverprovisioningSpills() {
    // reviews-v1 ready, reviews-v2 not: tier 0 (mgmt-cluster) is half healthy.
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true, false));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()), Bookinfo.reviewsService(REMOTE),
        Bookinfo.reviewsEndpoints(REMOTE, true));
    t.send(MGMT, Bookinfo.outlierPolicy(), reviewsFailover(1, null));
    assertThat(config(MGMT, FS_CONFIG_KEY).getTiers()).extracting(DestinationTier::getLoadPercent)
        .as("Envoy overprovisioning 1.4: 50 %% healthy keeps 70 %%").containsExactly(70, 30);

    t.send(MGMT, reviewsFailover(2, 50));
    FederatedDestination withThreshold = config(MGMT, FS_CONFIG_KEY);
    assertThat(withThreshold.getPolicyGeneration()).isEqualTo(2);
    assertThat(withThreshold.getTiers()).extracting(DestinationTier::getLoadPercent)
        .as("a 50 %% threshold: tier 0 keeps everything").containsExactly(100, 0);
  }

  @Test
  void aFailoverServiceThresholdOutOfRangeIsInvalid() {
    t.world();
    t.send(MGMT, reviewsFailover(2, 0));
    PolicyStatus status = status(FS_STATUS_KEY);
    assertThat(status.getState()).isEqualTo(ResourceState.INVALID);
    assertThat(status.getValidationErrors())
        .containsExactly("spec.failoverThresholdPercent 0 is outside 1-100");
    assertThat(t.deadLetters().readRecordsToList()).isEmpty();
  }

  @Test
  void aBackingServiceThatDoesNotExistIsAWarningAndTrafficGoesToTheOthers() {
    // remote-cluster reports (heartbeat) but has no reviews service.
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()));
    t.send(MGMT, Bookinfo.outlierPolicy(), reviewsFailover(1, null));
    // The first decision waits for every backing service, at most the partial-view grace.
    t.tick(Duration.ofSeconds(11));
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()));

    String missing = "spec.backingServices[1].kubeService: service bookinfo/reviews does not"
        + " exist in cluster remote-cluster (yet)";
    PolicyStatus status = status(FS_STATUS_KEY);
    assertThat(status.getState()).as("a documented deviation from the seed's INVALID")
        .isNotEqualTo(ResourceState.INVALID);
    assertThat(status.getWarnings()).contains(missing);
    for (String client : new String[] {MGMT, REMOTE}) {
      FederatedDestination config = config(client, FS_CONFIG_KEY);
      assertThat(config).as("still routed for %s", client).isNotNull();
      assertThat(config.getActiveTier()).isZero();
      assertThat(config.getTiers().get(1).getMembers()).isEmpty();
    }

    // The service appears: the warning clears, tier 1 fills.
    t.send(REMOTE, Bookinfo.reviewsService(REMOTE), Bookinfo.reviewsEndpoints(REMOTE, true));
    assertThat(status(FS_STATUS_KEY).getWarnings()).doesNotContain(missing);
    assertThat(config(MGMT, FS_CONFIG_KEY).getTiers().get(1).getMembers())
        .extracting(m -> m.getClusterName()).containsExactly(REMOTE);
  }

  private static final String VD_STATUS_KEY = "PolicyStatus/VirtualDestination/global/reviews-vd";

  @Test
  void aHostsOnlyVirtualDestinationWarnsThatNothingRoutesIt() {
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(MGMT, Bookinfo.globalPolicy(ResourceKind.VirtualDestination, "reviews-vd",
        VirtualDestinationSpec.newBuilder().setHosts(List.of("reviews.mesh.internal"))
            .setPorts(List.of(new io.meshfed.avro.PortMapping(8080L, "HTTP", null))).build()));
    PolicyStatus status = status(VD_STATUS_KEY);
    assertThat(status.getValidationErrors()).isEmpty();
    assertThat(status.getWarnings()).contains(Validator.HOSTS_ONLY);
    assertThat(status.getNumSelectedBackingServices()).isZero();
  }

  @Test
  void aDestinationsStatusListsThePoliciesThatApplyToIt() {
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(MGMT, Bookinfo.globalPolicy(ResourceKind.OutlierDetectionPolicy, "reviews-outlier",
        new OutlierDetectionPolicySpec(List.of(ObjectSelector.newBuilder()
            .setLabels(Map.of("team", "reviews")).build()), new OutlierDetection(2, null, null,
            null))), Bookinfo.localFirstPolicy(), Bookinfo.reviewsVirtualDestination());
    assertThat(status(VD_STATUS_KEY).getAppliedDestinationPolicies()).containsExactly(
        new ResourceRef(ResourceKind.FailoverPolicy, "global", "local-first"),
        new ResourceRef(ResourceKind.OutlierDetectionPolicy, "global", "reviews-outlier"));

    // Deleting a policy takes it out of the destination's status.
    t.send(MGMT, KeyValue.pair(Bookinfo.localFirstPolicy().key, null));
    assertThat(status(VD_STATUS_KEY).getAppliedDestinationPolicies()).containsExactly(
        new ResourceRef(ResourceKind.OutlierDetectionPolicy, "global", "reviews-outlier"));

    // The walkthrough's FailoverService: its OutlierDetectionPolicy.
    t.world();
    assertThat(status(FS_STATUS_KEY).getAppliedDestinationPolicies()).containsExactly(
        new ResourceRef(ResourceKind.OutlierDetectionPolicy, "service-mesh-hub",
            "mgmt-reviews-outlier"));
  }

  /**
   * reviews with two service ports, http 9080 and grpc 9090, whose endpoints listen on 9080 and
   * on {@code grpcEndpointPort}.
   */
  private void twoPortReviews(String cluster, String address, int grpcEndpointPort) {
    t.send(cluster, Bookinfo.heartbeat(cluster, t.now()),
        KeyValue.pair(EventKeys.service(cluster, "bookinfo", "reviews"),
            ServiceSnapshot.newBuilder((ServiceSnapshot) Bookinfo.reviewsService(cluster).value)
                .setPorts(List.of(new ServicePort("http", 9080, "TCP", null),
                    new ServicePort("grpc", 9090, "TCP", null))).build()),
        KeyValue.pair(EventKeys.endpoints(cluster, "bookinfo", "reviews"),
            EndpointSnapshot.newBuilder().setNamespace("bookinfo").setServiceName("reviews")
                .setPorts(List.of(new EndpointPort("http", 9080, "TCP", null),
                    new EndpointPort("grpc", grpcEndpointPort, "TCP", null)))
                .setEndpoints(List.of(Endpoint.newBuilder().setAddresses(List.of(address))
                    .build())).build()));
  }

  @Test
  void eachVirtualDestinationPortRoutesToItsOwnTargetPort() {
    twoPortReviews(MGMT, "10.0.0.11", 9091);
    twoPortReviews(REMOTE, "10.1.0.21", 9092);
    // 8080 -> the service port named http; 8443 -> service port 9090 (endpoints: 9091 / 9092).
    t.send(MGMT, Bookinfo.localFirstPolicy(), Bookinfo.globalPolicy(
        ResourceKind.VirtualDestination, "reviews-vd", VirtualDestinationSpec.newBuilder()
            .setHosts(List.of("reviews.mesh.internal"))
            .setServices(List.of(ObjectSelector.newBuilder()
                .setLabels(Map.of("app", "reviews")).build()))
            .setPorts(List.of(
                new io.meshfed.avro.PortMapping(8080L, "HTTP", new TargetPort(null, "http")),
                new io.meshfed.avro.PortMapping(8443L, "GRPC", new TargetPort(9090L, null))))
            .build()));

    FederatedDestination mgmt = config(MGMT,
        "FederatedDestination/VirtualDestination/global/reviews-vd");
    assertThat(mgmt.getPorts()).extracting(DestinationPort::getNumber,
        DestinationPort::getTargetPort).containsExactly(
            org.assertj.core.groups.Tuple.tuple(8080, 9080),
            org.assertj.core.groups.Tuple.tuple(8443, 9091));
    List<WeightedEndpoint> endpoints = mgmt.getTiers().stream()
        .flatMap(tier -> tier.getEndpoints().stream()).toList();
    assertThat(endpoints).extracting(WeightedEndpoint::getAddress, WeightedEndpoint::getPort,
        WeightedEndpoint::getPorts).containsExactly(
            org.assertj.core.groups.Tuple.tuple("10.0.0.11", 9080, List.of(9080, 9091)),
            org.assertj.core.groups.Tuple.tuple("10.1.0.21", 9080, List.of(9080, 9092)));
    assertThat(status(VD_STATUS_KEY).getNumSelectedBackingServices()).isEqualTo(2);
  }

  // --- VirtualDestination clientMode ---

  private static final String VD_CONFIG_KEY =
      "FederatedDestination/VirtualDestination/global/reviews-vd";

  /** global/reviews-vd at {@code generation} with clientMode setting {@code modes} (null: unset). */
  private static KeyValue<String, SpecificRecord> reviewsVdWithClientMode(long generation,
      List<String> modes) {
    KeyValue<String, SpecificRecord> vd = Bookinfo.reviewsVirtualDestination();
    PolicyEvent event = (PolicyEvent) vd.value;
    VirtualDestinationSpec spec = VirtualDestinationSpec.newBuilder(
        (VirtualDestinationSpec) event.getSpec())
        .setClientMode(modes == null ? null : new io.meshfed.avro.ClientModeSpec(modes)).build();
    return KeyValue.pair(vd.key, PolicyEvent.newBuilder(event).setGeneration(generation)
        .setSpec(spec).build());
  }

  private KeyValue<String, SpecificRecord> vdAck(String cluster, String message) {
    FederatedDestination applied = config(cluster, VD_CONFIG_KEY);
    return KeyValue.pair(EventKeys.ack(cluster, ResourceKind.VirtualDestination, "global",
        "reviews-vd"), io.meshfed.avro.ConfigAck.newBuilder()
        .setDestination(applied.getDestination()).setEpoch(applied.getEpoch())
        .setPolicyGeneration(applied.getPolicyGeneration())
        .setOutcome(io.meshfed.avro.AckResult.APPLIED).setMessage(message)
        .setTime(java.time.Instant.now()).build());
  }

  @Test
  void aVirtualDestinationsClientModeReachesEveryClientsConfigAndTlsTerminationIsInvalid() {
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()), Bookinfo.reviewsService(REMOTE),
        Bookinfo.reviewsEndpoints(REMOTE, true));
    t.send(MGMT, reviewsVdWithClientMode(1, null));
    assertThat(List.of(config(MGMT, VD_CONFIG_KEY), config(REMOTE, VD_CONFIG_KEY)))
        .extracting(FederatedDestination::getClientMode)
        .as("unset: meshfed's translation, auto").containsOnly(io.meshfed.avro.ClientMode.AUTO);
    long before = config(MGMT, VD_CONFIG_KEY).getEpoch();

    // Only clientMode changes: a new generation, so every client gets a new config carrying it.
    t.send(MGMT, reviewsVdWithClientMode(2, List.of("sniRouting")));
    assertThat(List.of(config(MGMT, VD_CONFIG_KEY), config(REMOTE, VD_CONFIG_KEY)))
        .allSatisfy(c -> {
          assertThat(c.getClientMode()).isEqualTo(io.meshfed.avro.ClientMode.SNI_ROUTING);
          assertThat(c.getPolicyGeneration()).isEqualTo(2);
        });
    assertThat(config(MGMT, VD_CONFIG_KEY).getEpoch()).isGreaterThan(before);

    // An agent that applied but cannot serve the mode says so in its ack: a WARNING there.
    String why = "clientMode sniRouting is not served in this cluster: kube-proxy originates no"
        + " mTLS";
    t.send(MGMT, vdAck(MGMT, null));
    t.send(REMOTE, vdAck(REMOTE, why));
    PolicyStatus warned = status(VD_STATUS_KEY);
    assertThat(warned.getState()).isEqualTo(ResourceState.WARNING);
    assertThat(warned.getWarnings()).contains("cluster " + REMOTE + ": " + why);
    assertThat(warned.getClusters()).extracting(c -> c.getCluster() + " " + c.getState() + " "
        + c.getMessage()).containsExactlyInAnyOrder(MGMT + " ACCEPTED null",
            REMOTE + " WARNING " + why);
    assertThat(condition(warned, "Applied").getReason()).isEqualTo("AppliedWithWarnings");

    // tlsTermination: INVALID with the reason, and every client's config is withdrawn.
    t.send(MGMT, reviewsVdWithClientMode(3, List.of("tlsTermination")));
    PolicyStatus invalid = status(VD_STATUS_KEY);
    assertThat(invalid.getState()).isEqualTo(ResourceState.INVALID);
    assertThat(invalid.getValidationErrors()).containsExactly(Validator.TLS_TERMINATION);
    assertThat(t.latestConfig(MGMT)).containsEntry(VD_CONFIG_KEY, null);
    assertThat(t.latestConfig(REMOTE)).containsEntry(VD_CONFIG_KEY, null);
  }

  @Test
  void aOnePortDestinationKeepsItsEndpointsPortsEmpty() {
    t.world();
    assertThat(config(MGMT, FS_CONFIG_KEY).getTiers()).flatExtracting(DestinationTier::getEndpoints)
        .allSatisfy(e -> assertThat(e.getPorts()).isEmpty());
  }

  @Test
  void decisionStateWrittenBeforeEndpointsHadPortsStillReads() {
    var serde = new io.meshfed.topology.state.JsonSerde<>(
        io.meshfed.rules.decision.DesiredConfig.WeightedEndpoint.class);
    var endpoint = new io.meshfed.rules.decision.DesiredConfig.WeightedEndpoint("10.0.0.11",
        9080, 1, new io.meshfed.rules.model.ServiceRef(MGMT, "bookinfo", "reviews"), null, null,
        io.meshfed.rules.health.EndpointHealth.HEALTHY, List.of(9080, 9091));
    assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", endpoint)))
        .isEqualTo(endpoint);
    String withoutPorts = new String(serde.serializer().serialize("t", endpoint),
        java.nio.charset.StandardCharsets.UTF_8).replace(",\"ports\":[9080,9091]", "");
    assertThat(withoutPorts).doesNotContain("ports");
    assertThat(serde.deserializer().deserialize("t",
        withoutPorts.getBytes(java.nio.charset.StandardCharsets.UTF_8)).ports()).isEmpty();
  }

  private KeyValue<String, SpecificRecord> heartbeatInMesh(String cluster, String mesh) {
    KeyValue<String, SpecificRecord> plain = Bookinfo.heartbeat(cluster, t.now());
    return KeyValue.pair(plain.key, ClusterHeartbeat.newBuilder((ClusterHeartbeat) plain.value)
        .setLabels(Map.of("meshfed.io/mesh", mesh)).build());
  }

  private KeyValue<String, SpecificRecord> heartbeatInVirtualMesh(String cluster, String mesh,
      String virtualMesh) {
    KeyValue<String, SpecificRecord> plain = Bookinfo.heartbeat(cluster, t.now());
    return KeyValue.pair(plain.key, ClusterHeartbeat.newBuilder((ClusterHeartbeat) plain.value)
        .setLabels(Map.of("meshfed.io/mesh", mesh, "meshfed.io/virtual-mesh", virtualMesh))
        .build());
  }

  private static KeyValue<String, SpecificRecord> reviewsFailoverInMeshes(long generation,
      List<String> meshes) {
    KeyValue<String, SpecificRecord> walkthrough = reviewsFailover(generation, null);
    PolicyEvent event = (PolicyEvent) walkthrough.value;
    return KeyValue.pair(walkthrough.key, PolicyEvent.newBuilder(event).setSpec(
        FailoverServiceSpec.newBuilder((FailoverServiceSpec) event.getSpec()).setMeshes(meshes)
            .build()).build());
  }

  @Test
  void aFailoverServiceIsVisibleInTheClustersOfTheMeshesItLists() {
    // The guide's FailoverService lists the mgmt-cluster's Istio mesh only.
    t.send(MGMT, heartbeatInMesh(MGMT, "istiod-istio-system-mgmt-cluster"),
        Bookinfo.reviewsService(MGMT), Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()), Bookinfo.reviewsService(REMOTE),
        Bookinfo.reviewsEndpoints(REMOTE, true));
    t.send(MGMT, Bookinfo.outlierPolicy(),
        reviewsFailoverInMeshes(1, List.of("istiod-istio-system-mgmt-cluster")));
    assertThat(config(MGMT, FS_CONFIG_KEY)).isNotNull();
    assertThat(t.latestConfig(REMOTE)).as("remote-cluster reports no mesh")
        .doesNotContainKey(FS_CONFIG_KEY);
    assertThat(status(FS_STATUS_KEY).getWarnings()).noneMatch(w -> w.startsWith("spec.meshes"));
    assertThat(status(FS_STATUS_KEY).getClusters()).extracting(c -> c.getCluster())
        .containsExactly(MGMT);

    // A mesh no cluster reports: a warning, and the config is withdrawn.
    t.send(MGMT, reviewsFailoverInMeshes(2, List.of("typo-mesh")));
    assertThat(t.latestConfig(MGMT)).containsEntry(FS_CONFIG_KEY, null);
    assertThat(status(FS_STATUS_KEY).getWarnings()).contains("spec.meshes[0] \"typo-mesh\": no"
        + " cluster reports this mesh (agent label meshfed.io/mesh=typo-mesh), so no cluster"
        + " sees the FailoverService through it");

    // A cluster joining that mesh sees it (the backing services then span two meshes, so the
    // seed wants them grouped under a common VirtualMesh).
    t.send(MGMT, heartbeatInVirtualMesh(MGMT, "istiod-istio-system-mgmt-cluster", "bookinfo"));
    t.send(REMOTE, heartbeatInVirtualMesh(REMOTE, "typo-mesh", "bookinfo"));
    assertThat(config(REMOTE, FS_CONFIG_KEY)).isNotNull();
    assertThat(status(FS_STATUS_KEY).getWarnings()).noneMatch(w -> w.startsWith("spec.meshes"));
  }

  @Test
  void backingServicesAcrossMeshesNeedACommonVirtualMesh() {
    String mgmtMesh = "istiod-istio-system-mgmt-cluster";
    String remoteMesh = "istiod-istio-system-remote-cluster";
    t.send(MGMT, heartbeatInMesh(MGMT, mgmtMesh), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(REMOTE, heartbeatInMesh(REMOTE, remoteMesh), Bookinfo.reviewsService(REMOTE),
        Bookinfo.reviewsEndpoints(REMOTE, true));
    // The guide's FailoverService: visible in the mgmt mesh, backed in both meshes.
    t.send(MGMT, Bookinfo.outlierPolicy(), reviewsFailoverInMeshes(1, List.of(mgmtMesh)));
    PolicyStatus apart = status(FS_STATUS_KEY);
    assertThat(apart.getState()).isEqualTo(ResourceState.INVALID);
    assertThat(apart.getValidationErrors()).singleElement().asString()
        .startsWith("spec.backingServices span meshes \"" + mgmtMesh + "\", \"" + remoteMesh
            + "\" with spec.meshes")
        .endsWith("must be in one mesh or in meshes grouped under a common VirtualMesh (cluster"
            + " label meshfed.io/virtual-mesh)");
    assertThat(t.latestConfig(MGMT).get(FS_CONFIG_KEY)).as("INVALID: not published").isNull();

    // The guide's VirtualMesh groups both meshes: valid, and published to the mgmt mesh only.
    t.send(MGMT, heartbeatInVirtualMesh(MGMT, mgmtMesh, "bookinfo-vm"));
    t.send(REMOTE, heartbeatInVirtualMesh(REMOTE, remoteMesh, "bookinfo-vm"));
    assertThat(status(FS_STATUS_KEY).getState()).isNotEqualTo(ResourceState.INVALID);
    assertThat(status(FS_STATUS_KEY).getValidationErrors()).isEmpty();
    assertThat(config(MGMT, FS_CONFIG_KEY)).isNotNull();
    assertThat(t.latestConfig(REMOTE)).doesNotContainKey(FS_CONFIG_KEY);

    // Listing both meshes is valid too while one VirtualMesh groups them ...
    t.send(MGMT, reviewsFailoverInMeshes(2, List.of(mgmtMesh, remoteMesh)));
    assertThat(config(REMOTE, FS_CONFIG_KEY)).isNotNull();
    // ... and INVALID once the remote cluster's mesh leaves it.
    t.send(REMOTE, heartbeatInVirtualMesh(REMOTE, remoteMesh, "other-vm"));
    assertThat(status(FS_STATUS_KEY).getValidationErrors()).contains("spec.meshes \"" + mgmtMesh
        + "\", \"" + remoteMesh + "\" are not grouped under a common VirtualMesh (cluster label"
        + " meshfed.io/virtual-mesh); a FailoverService may list several meshes only when one"
        + " VirtualMesh groups them");
    assertThat(t.latestConfig(REMOTE)).containsEntry(FS_CONFIG_KEY, null);
  }

  // --- Conditions, PENDING on the latest decision epoch, status per mesh ---

  private static String conditions(List<io.meshfed.avro.Condition> conditions) {
    return String.join(", ", conditions.stream().map(c -> c.getType() + "=" + c.getStatus()
        + "/" + c.getReason()).toList());
  }

  private static io.meshfed.avro.Condition condition(PolicyStatus status, String type) {
    return status.getConditions().stream().filter(c -> c.getType().equals(type)).findFirst()
        .orElseThrow();
  }

  private long epochOf(String client) {
    return config(client, FS_CONFIG_KEY).getEpoch();
  }

  @Test
  void aClusterThatHasNotAppliedTheLatestFailoverKeepsTheStatusPending() {
    t.world();
    t.send(MGMT, Bookinfo.ack(MGMT, epochOf(MGMT)));
    t.send(REMOTE, Bookinfo.ack(REMOTE, epochOf(REMOTE)));
    PolicyStatus accepted = status(FS_STATUS_KEY);
    assertThat(accepted.getState()).isEqualTo(ResourceState.ACCEPTED);
    assertThat(conditions(accepted.getConditions())).isEqualTo("Valid=True/Valid,"
        + " Accepted=True/Accepted, Applied=True/Applied, Conflict=False/NoConflict");
    assertThat(accepted.getClusters()).allSatisfy(c -> {
      assertThat(c.getLatestEpoch()).isEqualTo(c.getAppliedEpoch());
      assertThat(conditions(c.getConditions())).isEqualTo("Applied=True/Applied");
    });

    // reviews-v1 and v2 break: both clusters fail over at new epochs they have not applied yet.
    t.tick(Duration.ofSeconds(3));
    t.send(MGMT, Bookinfo.reviewsEndpoints(MGMT, false));
    PolicyStatus failingOver = status(FS_STATUS_KEY);
    assertThat(failingOver.getObservedGeneration()).as("same generation").isEqualTo(1);
    assertThat(failingOver.getState()).isEqualTo(ResourceState.PENDING);
    assertThat(failingOver.getClusters()).allSatisfy(c -> {
      assertThat(c.getState()).isEqualTo(ResourceState.PENDING);
      assertThat(c.getLatestEpoch()).isGreaterThan(c.getAppliedEpoch());
    });
    assertThat(condition(failingOver, "Applied").getReason()).isEqualTo("Pending");
    assertThat(condition(failingOver, "Applied").getMessage()).startsWith("0 of 2 target"
        + " clusters applied the latest config");
    // lastTransitionTime moves only with a condition's status.
    assertThat(condition(failingOver, "Valid").getLastTransitionTime())
        .isEqualTo(condition(accepted, "Valid").getLastTransitionTime());
    assertThat(condition(failingOver, "Applied").getLastTransitionTime())
        .isAfter(condition(accepted, "Applied").getLastTransitionTime());

    t.send(MGMT, Bookinfo.ack(MGMT, epochOf(MGMT)));
    assertThat(status(FS_STATUS_KEY).getState()).as("remote-cluster still behind")
        .isEqualTo(ResourceState.PENDING);
    t.send(REMOTE, Bookinfo.ack(REMOTE, epochOf(REMOTE)));
    assertThat(status(FS_STATUS_KEY).getState()).isEqualTo(ResourceState.ACCEPTED);
  }

  @Test
  void failoversNoAgentAcknowledgedLeaveTheStatusAsItWas() {
    t.world();
    PolicyStatus before = status(FS_STATUS_KEY);
    assertThat(before.getState()).isEqualTo(ResourceState.PENDING);
    long epochBefore = epochOf(MGMT);
    // Four failovers and back, no agent acknowledging any: each is a decision, none a status.
    for (int i = 0; i < 4; i++) {
      t.tick(Duration.ofSeconds(30));
      t.send(MGMT, Bookinfo.reviewsEndpoints(MGMT, i % 2 == 1));
    }
    t.tick(Duration.ofSeconds(30)); // the last failback waits out its damping
    // Read raw (latestConfig would consume the records into its compacted view).
    var written = t.config(MGMT).readKeyValuesToList();
    assertThat(written).filteredOn(kv -> kv.key.equals(FS_CONFIG_KEY))
        .as("each flip was decided").hasSizeGreaterThanOrEqualTo(4)
        .last().satisfies(kv -> assertThat(((FederatedDestination) kv.value).getEpoch())
            .isGreaterThanOrEqualTo(epochBefore + 4));
    assertThat(written).filteredOn(kv -> kv.key.equals(FS_STATUS_KEY))
        .as("status records since the first").isEmpty();
    assertThat(before.getClusters()).allSatisfy(c -> {
      assertThat(c.getAppliedEpoch()).isEqualTo(-1);
      assertThat(c.getLatestEpoch()).as("not judged on an epoch").isEqualTo(-1);
    });
  }

  @Test
  void aFailoverServicesStatusHasOneApprovalStatusPerListedMesh() {
    // Two listed meshes: the seed wants them grouped under a common VirtualMesh.
    t.send(MGMT, heartbeatInVirtualMesh(MGMT, "mesh-mgmt", "bookinfo"),
        Bookinfo.reviewsService(MGMT), Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(REMOTE, heartbeatInVirtualMesh(REMOTE, "mesh-remote", "bookinfo"),
        Bookinfo.reviewsService(REMOTE),
        Bookinfo.reviewsEndpoints(REMOTE, true));
    t.send(MGMT, Bookinfo.outlierPolicy(),
        reviewsFailoverInMeshes(1, List.of("mesh-mgmt", "mesh-remote", "mesh-later")));
    t.send(MGMT, Bookinfo.ack(MGMT, epochOf(MGMT)));
    t.send(REMOTE, KeyValue.pair(Bookinfo.ack(REMOTE, 0).key, io.meshfed.avro.ConfigAck
        .newBuilder((io.meshfed.avro.ConfigAck) Bookinfo.ack(REMOTE, epochOf(REMOTE)).value)
        .setOutcome(io.meshfed.avro.AckResult.FAILED).setMessage("webhook denied").build()));
    assertThat(status(FS_STATUS_KEY).getMeshes()).extracting(m -> m.getMesh() + " "
        + m.getState() + " " + m.getAcceptanceOrder() + " " + m.getErrors()).containsExactly(
            "mesh-later PENDING 0 [no cluster reports mesh mesh-later]",
            "mesh-mgmt ACCEPTED 0 []",
            "mesh-remote FAILED 0 [remote-cluster: webhook denied]");
    assertThat(conditions(status(FS_STATUS_KEY).getConditions()))
        .contains("Applied=False/ApplyFailed");
  }

  @Test
  void aDestinationThatLostItsHostnameReportsAConflict() {
    t.world();
    KeyValue<String, SpecificRecord> twin = Bookinfo.failoverService(
        "reviews-failover.bookinfo.global", 1);
    PolicyEvent event = (PolicyEvent) twin.value;
    t.send(MGMT, KeyValue.pair(EventKeys.policy(MGMT, ResourceKind.FailoverService,
        "service-mesh-hub", "reviews-twin"), PolicyEvent.newBuilder(event).setName("reviews-twin")
        .setUid("uid-twin").setCreationTimestamp(event.getCreationTimestamp().plusSeconds(60))
        .build()));
    PolicyStatus twinStatus = status("PolicyStatus/FailoverService/service-mesh-hub/reviews-twin");
    assertThat(twinStatus.getState()).isEqualTo(ResourceState.INVALID);
    assertThat(conditions(twinStatus.getConditions())).isEqualTo("Valid=True/Valid,"
        + " Accepted=False/HostnameConflict, Applied=False/HostnameConflict,"
        + " Conflict=True/HostnameConflict");
    assertThat(conditions(status(FS_STATUS_KEY).getConditions()))
        .contains("Conflict=False/NoConflict");
  }

  // --- Agent restart epochs: a replaced agent's acks are fenced ---

  private KeyValue<String, SpecificRecord> heartbeatAtEpoch(String cluster, long restartEpoch) {
    KeyValue<String, SpecificRecord> plain = Bookinfo.heartbeat(cluster, t.now());
    return KeyValue.pair(plain.key, ClusterHeartbeat.newBuilder((ClusterHeartbeat) plain.value)
        .setRestartEpoch(restartEpoch).build());
  }

  private KeyValue<String, SpecificRecord> ackAtEpoch(String cluster, long epoch,
      long restartEpoch, io.meshfed.avro.AckResult outcome) {
    KeyValue<String, SpecificRecord> plain = Bookinfo.ack(cluster, epoch);
    return KeyValue.pair(plain.key, io.meshfed.avro.ConfigAck.newBuilder(
        (io.meshfed.avro.ConfigAck) plain.value).setRestartEpoch(restartEpoch)
        .setOutcome(outcome).setMessage(outcome == io.meshfed.avro.AckResult.FAILED
            ? "applied by a replaced agent" : null).build());
  }

  @Test
  void anAckFromAReplacedAgentRestartEpochIsFenced() {
    t.world();
    t.send(MGMT, heartbeatAtEpoch(MGMT, 2));
    assertThat(t.driver().<String, io.meshfed.topology.state.KnownCluster>getKeyValueStore(
        io.meshfed.topology.state.Stores.CLUSTERS).get(MGMT).restartEpoch()).isEqualTo(2);
    t.send(REMOTE, ackAtEpoch(REMOTE, epochOf(REMOTE), 0, io.meshfed.avro.AckResult.APPLIED));
    assertThat(t.driver().<String, io.meshfed.avro.ConfigAck>getKeyValueStore(
        io.meshfed.topology.state.Stores.ACKS).all()).toIterable()
        .extracting(kv -> kv.value.getRestartEpoch()).containsExactly(0L);
    // mgmt-cluster's agent is at restart epoch 2; an epoch-1 agent's ack is stale.
    t.send(MGMT, ackAtEpoch(MGMT, epochOf(MGMT), 1, io.meshfed.avro.AckResult.APPLIED));
    assertThat(status(FS_STATUS_KEY).getClusters()).filteredOn(c -> c.getCluster().equals(MGMT))
        .singleElement().satisfies(c -> assertThat(c.getState())
            .isEqualTo(ResourceState.PENDING));
    t.send(MGMT, ackAtEpoch(MGMT, epochOf(MGMT), 2, io.meshfed.avro.AckResult.APPLIED));
    assertThat(status(FS_STATUS_KEY).getState()).isEqualTo(ResourceState.ACCEPTED);
    // A late failure from the replaced agent changes nothing.
    t.send(MGMT, ackAtEpoch(MGMT, epochOf(MGMT), 1, io.meshfed.avro.AckResult.FAILED));
    assertThat(status(FS_STATUS_KEY).getState()).isEqualTo(ResourceState.ACCEPTED);
    // Before its heartbeat is seen, a newer agent's ack fences the older one's all the same.
    t.send(REMOTE, ackAtEpoch(REMOTE, epochOf(REMOTE), 4, io.meshfed.avro.AckResult.APPLIED));
    t.send(REMOTE, ackAtEpoch(REMOTE, epochOf(REMOTE), 3, io.meshfed.avro.AckResult.FAILED));
    assertThat(status(FS_STATUS_KEY).getState()).isEqualTo(ResourceState.ACCEPTED);
  }

  @Test
  void clusterStateWrittenBeforeRestartEpochsReadsAsNotReported() {
    var serde = new io.meshfed.topology.state.JsonSerde<>(
        io.meshfed.topology.state.KnownCluster.class);
    var cluster = new io.meshfed.topology.state.KnownCluster(MGMT, "test", "us-east-1",
        List.of("us-east-1a"), Map.of(), "ISTIO", t.now(), t.now(), t.now(), 3);
    assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", cluster)))
        .isEqualTo(cluster);
    String before = new String(serde.serializer().serialize("t", cluster),
        java.nio.charset.StandardCharsets.UTF_8).replace(",\"restartEpoch\":3", "");
    assertThat(before).doesNotContain("restartEpoch");
    assertThat(serde.deserializer().deserialize("t",
        before.getBytes(java.nio.charset.StandardCharsets.UTF_8)).restartEpoch()).isEqualTo(-1);
  }

  // --- A policy's status lists the destinations it selects ---

  private static final String OD_STATUS_KEY =
      "PolicyStatus/OutlierDetectionPolicy/global/reviews-outlier";
  private static final String FP_STATUS_KEY = "PolicyStatus/FailoverPolicy/global/local-first";

  /** The policy statuses sent to mgmt-cluster since the last call, oldest first. */
  private List<PolicyStatus> policyStatusesSent(String key) {
    return t.config(MGMT).readKeyValuesToList().stream().filter(kv -> kv.key.equals(key))
        .map(kv -> (PolicyStatus) kv.value).toList();
  }

  private static List<String> selected(PolicyStatus status) {
    return status.getSelectedDestinations().stream()
        .map(r -> r.getKind() + "/" + r.getNamespace() + "/" + r.getName()).toList();
  }

  /** reviews-vd at {@code generation} with {@code labels}. */
  private static KeyValue<String, SpecificRecord> reviewsVd(long generation,
      Map<String, String> labels) {
    KeyValue<String, SpecificRecord> vd = Bookinfo.reviewsVirtualDestination();
    return KeyValue.pair(vd.key, PolicyEvent.newBuilder((PolicyEvent) vd.value)
        .setGeneration(generation).setLabels(labels).build());
  }

  @Test
  void aPolicysStatusListsTheDestinationsItSelectsAndFollowsThem() {
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(MGMT, Bookinfo.globalPolicy(ResourceKind.OutlierDetectionPolicy, "reviews-outlier",
        new OutlierDetectionPolicySpec(List.of(ObjectSelector.newBuilder()
            .setLabels(Map.of("team", "reviews")).build()), new OutlierDetection(2, null, null,
            null))));
    PolicyStatus none = policyStatusesSent(OD_STATUS_KEY).get(0);
    assertThat(none.getState()).isEqualTo(ResourceState.ACCEPTED);
    assertThat(none.getNumSelectedDestinations()).isZero();

    // A destination it selects appears: the policy's status is republished naming it.
    t.send(MGMT, Bookinfo.reviewsVirtualDestination());
    PolicyStatus one = policyStatusesSent(OD_STATUS_KEY).get(0);
    assertThat(selected(one)).containsExactly("VirtualDestination/global/reviews-vd");
    assertThat(one.getNumSelectedDestinations()).isEqualTo(1);

    // A destination it does not select (the walkthrough's FailoverService has no team label)
    // changes nothing of the policy's status: nothing is sent for it.
    t.world();
    assertThat(policyStatusesSent(OD_STATUS_KEY)).isEmpty();

    // A policy created after the destination lists it at once.
    t.send(MGMT, Bookinfo.localFirstPolicy());
    assertThat(selected(policyStatusesSent(FP_STATUS_KEY).get(0)))
        .containsExactly("VirtualDestination/global/reviews-vd");

    // The destination's labels change: it leaves both lists; and comes back.
    t.send(MGMT, reviewsVd(2, Map.of("team", "ratings")));
    assertThat(policyStatusesSent(OD_STATUS_KEY)).singleElement()
        .satisfies(s -> assertThat(s.getNumSelectedDestinations()).isZero());
    t.send(MGMT, reviewsVd(3, Map.of("team", "reviews")));
    assertThat(selected(policyStatusesSent(OD_STATUS_KEY).get(0)))
        .containsExactly("VirtualDestination/global/reviews-vd");

    // The destination is deleted: it leaves the list.
    t.send(MGMT, KeyValue.pair(Bookinfo.reviewsVirtualDestination().key, null));
    List<PolicyStatus> afterDelete = policyStatusesSent(OD_STATUS_KEY);
    assertThat(afterDelete).singleElement().satisfies(s -> {
      assertThat(s.getSelectedDestinations()).isEmpty();
      assertThat(s.getNumSelectedDestinations()).isZero();
    });
  }
}
