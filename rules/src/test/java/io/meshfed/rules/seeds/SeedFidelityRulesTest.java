package io.meshfed.rules.seeds;

import static io.meshfed.rules.Fixtures.T0;
import static io.meshfed.rules.Fixtures.http;
import static io.meshfed.rules.Fixtures.meta;
import static io.meshfed.rules.Fixtures.reviewsFailover;
import static io.meshfed.rules.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.membership.DestinationPorts;
import io.meshfed.rules.membership.Member;
import io.meshfed.rules.membership.Membership;
import io.meshfed.rules.membership.MembershipResult;
import io.meshfed.rules.model.ClientMode;
import io.meshfed.rules.model.ClusterInfo;
import io.meshfed.rules.model.FailoverServiceSpec;
import io.meshfed.rules.model.FailoverPolicySpec;
import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.Meta;
import io.meshfed.rules.model.OutlierDetectionSpec;
import io.meshfed.rules.model.PortMapping;
import io.meshfed.rules.model.Resource;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.Selector;
import io.meshfed.rules.model.ServicePort;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.model.TargetPort;
import io.meshfed.rules.model.VirtualDestinationSpec;
import io.meshfed.rules.split.LoadSplit;
import io.meshfed.rules.split.SplitPolicy;
import io.meshfed.rules.split.TierHealth;
import io.meshfed.rules.status.ClusterAck;
import io.meshfed.rules.status.Condition;
import io.meshfed.rules.status.MeshStatus;
import io.meshfed.rules.status.PolicyReach;
import io.meshfed.rules.status.ResourceState;
import io.meshfed.rules.status.ResourceStatus;
import io.meshfed.rules.status.RestartEpochs;
import io.meshfed.rules.status.StatusInputs;
import io.meshfed.rules.status.StatusRules;
import io.meshfed.rules.tiers.TierPlanner;
import io.meshfed.rules.validation.Findings;
import io.meshfed.rules.validation.Validator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rules behind issue #18 ("Seed fidelity"), one group per item. */
class SeedFidelityRulesTest {

  private static FailoverServiceSpec reviewsFailoverWithThreshold(Integer percent) {
    FailoverServiceSpec walkthrough = reviewsFailover();
    return new FailoverServiceSpec(walkthrough.hostname(), walkthrough.port(),
        walkthrough.meshes(), walkthrough.clusters(), walkthrough.backingServices(), percent);
  }

  private static Resource.FailoverService failoverService(FailoverServiceSpec spec) {
    return new Resource.FailoverService(
        meta(Kind.FailoverService, "service-mesh-hub", "reviews-failover", T0), spec);
  }

  // --- A FailoverService sets its own failover threshold ---

  @Test
  void aFailoverServiceThresholdIsValidatedLikeAFailoverPolicys() {
    assertThat(Validator.validate(failoverService(reviewsFailoverWithThreshold(50))))
        .isEqualTo(Findings.NONE);
    assertThat(Validator.validate(failoverService(reviewsFailoverWithThreshold(0))).errors())
        .containsExactly("spec.failoverThresholdPercent 0 is outside 1-100");
    assertThat(Validator.validate(failoverService(reviewsFailoverWithThreshold(101))).errors())
        .containsExactly("spec.failoverThresholdPercent 101 is outside 1-100");
  }

  @Test
  void aThresholdSelectsPlainThresholdModeAndNoneKeepsOverprovisioning() {
    assertThat(SplitPolicy.forThreshold(50)).isEqualTo(new SplitPolicy.Threshold(50));
    assertThat(SplitPolicy.forThreshold(null)).isEqualTo(SplitPolicy.DEFAULT);
    // Half of tier 0 healthy: overprovisioning 1.4 spills 30 %, a 50 % threshold keeps it all.
    List<TierHealth> halfHealthy = List.of(new TierHealth(0, 1, 0, 0, 2),
        new TierHealth(1, 1, 0, 0, 1));
    assertThat(LoadSplit.compute(halfHealthy, SplitPolicy.forThreshold(null)).tierLoadPercent())
        .containsExactly(70, 30);
    assertThat(LoadSplit.compute(halfHealthy, SplitPolicy.forThreshold(50)).tierLoadPercent())
        .containsExactly(100, 0);
  }

  @Test
  void theWalkthroughFailoverServiceHasNoThreshold() {
    assertThat(reviewsFailover().failoverThresholdPercent()).isNull();
  }

  // --- A backing service that does not exist: WARNING, by a documented deviation ---

  @Test
  void aMissingBackingServiceIsAWarningAndTheOthersStillFormTiers() {
    FailoverServiceSpec spec = reviewsFailover();
    var onlyRemote = List.of(service("remote-cluster", "bookinfo", "reviews", T0,
        Map.of("app", "reviews"), http(9080)));
    Findings references = Validator.resolveReferences(spec,
        Set.of(new ServiceRef("remote-cluster", "bookinfo", "reviews"))::contains);
    assertThat(references.errors()).as("not INVALID: see README, Seed API coverage").isEmpty();
    assertThat(references.warnings()).containsExactly("spec.backingServices[0].kubeService:"
        + " service bookinfo/reviews does not exist in cluster mgmt-cluster (yet)");

    MembershipResult membership = Membership.select(spec, onlyRemote);
    assertThat(membership.members()).extracting(m -> m.ref().cluster())
        .containsExactly("remote-cluster");
    assertThat(TierPlanner.forFailoverService(spec, membership.members()))
        .extracting(tier -> tier.members().size()).containsExactly(0, 1);

    var status = StatusRules.forDestination(failoverService(spec).meta(), references,
        List.of(new ServiceRef("remote-cluster", "bookinfo", "reviews")), List.of("mgmt-cluster"),
        Map.of("mgmt-cluster", new ClusterAck("mgmt-cluster", 1, 1, true, null)));
    assertThat(status.state()).isEqualTo(ResourceState.WARNING);
    assertThat(status.clusters()).singleElement()
        .satisfies(c -> assertThat(c.state()).isEqualTo(ResourceState.ACCEPTED));
  }

  // --- Status that says what the seed implies: hosts-only, external backends, applied policies ---

  private static Resource.VirtualDestination virtualDestination(List<String> hosts,
      List<Selector> services, List<Selector> externalServices) {
    return new Resource.VirtualDestination(meta(Kind.VirtualDestination, "global", "vd", T0),
        new VirtualDestinationSpec(hosts, services, externalServices, List.of(),
            List.of(new PortMapping(8080L, "HTTP", null)), List.of()));
  }

  @Test
  void aHostsOnlyVirtualDestinationIsValidWithAWarningThatNothingRoutesIt() {
    Findings findings = Validator.validate(
        virtualDestination(List.of("destination-app.mesh.internal.com"), List.of(), List.of()));
    assertThat(findings.errors()).isEmpty();
    assertThat(findings.warnings()).containsExactly(Validator.HOSTS_ONLY);
    assertThat(Validator.HOSTS_ONLY).contains("nothing routes these hosts");

    Findings withServices = Validator.validate(virtualDestination(
        List.of("destination-app.mesh.internal.com"),
        List.of(Selector.byLabels(Map.of("app", "destination-app"))), List.of()));
    assertThat(withServices).isEqualTo(Findings.NONE);
  }

  @Test
  void externalSelectorsAloneAreValidBackingSelectors() {
    Findings findings = Validator.validate(virtualDestination(List.of(), List.of(),
        List.of(Selector.byLabels(Map.of("app", "db")))));
    assertThat(findings).isEqualTo(Findings.NONE);
  }

  @Test
  void aDestinationsStatusNamesThePoliciesThatApplyAndAnInvalidOneNone() {
    var meta = meta(Kind.VirtualDestination, "global", "reviews-vd", T0);
    List<ResourceId> applied = List.of(
        new ResourceId(Kind.FailoverPolicy, "global", "local-first"),
        new ResourceId(Kind.OutlierDetectionPolicy, "global", "reviews-outlier"));
    var accepted = StatusRules.forDestination(meta, Findings.NONE, List.of(), List.of(),
        Map.of(), applied);
    assertThat(accepted.appliedPolicies()).containsExactlyElementsOf(applied);
    var invalid = StatusRules.forDestination(meta, Findings.error("spec.ports must list at"
        + " least one port"), List.of(), List.of(), Map.of(), applied);
    assertThat(invalid.state()).isEqualTo(ResourceState.INVALID);
    assertThat(invalid.appliedPolicies()).isEmpty();
  }

  // --- VirtualDestination clientMode (Gloo's common.gloo.solo.io.ClientMode oneof) ---

  private static Resource.VirtualDestination withClientMode(List<String> members) {
    return new Resource.VirtualDestination(meta(Kind.VirtualDestination, "global", "vd", T0),
        new VirtualDestinationSpec(List.of("reviews.mesh.internal"),
            List.of(Selector.byLabels(Map.of("app", "reviews"))), List.of(), List.of(),
            List.of(new PortMapping(9080L, "HTTP", null)), List.of(), members));
  }

  @Test
  void absentAutoAndSniRoutingAreServedAndResolveToTheirMode() {
    assertThat(Validator.validate(withClientMode(null))).isEqualTo(Findings.NONE);
    assertThat(withClientMode(null).spec().resolvedClientMode()).isEqualTo(ClientMode.AUTO);
    assertThat(Validator.validate(withClientMode(List.of("auto")))).isEqualTo(Findings.NONE);
    assertThat(withClientMode(List.of("auto")).spec().resolvedClientMode())
        .isEqualTo(ClientMode.AUTO);
    assertThat(Validator.validate(withClientMode(List.of("sniRouting"))))
        .isEqualTo(Findings.NONE);
    assertThat(withClientMode(List.of("sniRouting")).spec().resolvedClientMode())
        .isEqualTo(ClientMode.SNI_ROUTING);
  }

  @Test
  void tlsTerminationIsInvalidBecauseMeshfedHasNoEastWestGatewayToTerminateAt() {
    Findings findings = Validator.validate(withClientMode(List.of("tlsTermination")));
    assertThat(findings.errors()).containsExactly(Validator.TLS_TERMINATION);
    assertThat(Validator.TLS_TERMINATION).startsWith("spec.clientMode.tlsTermination")
        .contains("east-west gateway").contains("plaintext").contains("sniRouting");
  }

  @Test
  void aClientModeSettingNoneSeveralOrAnUnknownMemberIsInvalidNamingIt() {
    assertThat(Validator.validate(withClientMode(List.of())).errors()).containsExactly(
        "spec.clientMode sets none of auto, sniRouting, tlsTermination; set exactly one, or"
            + " leave clientMode out for auto");
    assertThat(Validator.validate(withClientMode(List.of("auto", "sniRouting"))).errors())
        .containsExactly("spec.clientMode sets auto and sniRouting; it is a oneof: set exactly"
            + " one of auto, sniRouting, tlsTermination");
    assertThat(Validator.validate(withClientMode(List.of("passthrough"))).errors())
        .containsExactly("spec.clientMode.passthrough is not a client mode; Gloo Mesh's"
            + " ClientMode has auto, sniRouting, tlsTermination");
    // An invalid clientMode serves nothing, and resolves to auto only for completeness.
    assertThat(withClientMode(List.of("auto", "sniRouting")).spec().resolvedClientMode())
        .isEqualTo(ClientMode.AUTO);
  }

  @Test
  void aClusterThatAppliedButCannotServeTheModeIsAWarningNamingIt() {
    var meta = meta(Kind.VirtualDestination, "global", "reviews-vd", T0);
    String why = "clientMode sniRouting is not served here: kube-proxy originates no mTLS";
    var status = StatusRules.forDestination(meta, Findings.NONE, List.of(),
        List.of("east", "west"), Map.of(
            "east", new ClusterAck("east", 1, 4, true, null),
            "west", new ClusterAck("west", 1, 4, true, why)));
    assertThat(status.state()).isEqualTo(ResourceState.WARNING);
    assertThat(status.warnings()).containsExactly("cluster west: " + why);
    assertThat(status.clusters()).extracting(ResourceStatus.ClusterStatus::state)
        .containsExactly(ResourceState.ACCEPTED, ResourceState.WARNING);
    assertThat(status.clusters().get(1).message()).isEqualTo(why);
    assertThat(status.clusters().get(1).conditions()).singleElement().satisfies(c -> {
      assertThat(c.status()).isEqualTo(Condition.Status.True);
      assertThat(c.reason()).isEqualTo("AppliedWithWarnings");
    });
    assertThat(status.conditions()).filteredOn(c -> c.type().equals(Condition.APPLIED))
        .singleElement().satisfies(c -> {
          assertThat(c.reason()).isEqualTo("AppliedWithWarnings");
          assertThat(c.message()).contains("cluster west: " + why);
        });
    // Without the agent's message the same acks are ACCEPTED: the warning comes from it alone.
    var quiet = StatusRules.forDestination(meta, Findings.NONE, List.of(),
        List.of("east", "west"), Map.of(
            "east", new ClusterAck("east", 1, 4, true, null),
            "west", new ClusterAck("west", 1, 4, true, null)));
    assertThat(quiet.state()).isEqualTo(ResourceState.ACCEPTED);
  }

  // --- Several VirtualDestination ports, each routed to its own target port ---

  @Test
  void eachPortResolvesToItsOwnTargetPortByNameOrNumber() {
    var spec = new VirtualDestinationSpec(List.of("reviews.mesh.internal"),
        List.of(Selector.byLabels(Map.of("app", "reviews"))), List.of(), List.of(), List.of(
            new PortMapping(8080L, "http", new TargetPort(null, "http")),
            new PortMapping(8443L, "GRPC", new TargetPort(9090L, null)),
            new PortMapping(9000L, "TCP", null)), List.of());
    var vd = new Resource.VirtualDestination(
        meta(Kind.VirtualDestination, "global", "reviews-vd", T0), spec);
    var reviews = service("mgmt-cluster", "bookinfo", "reviews", T0, Map.of("app", "reviews"),
        new ServicePort("http", 9080, "TCP"), new ServicePort("grpc", 9090, "TCP"),
        new ServicePort("admin", 9000, "TCP"));
    List<Member> members = Membership.select(spec, List.of(reviews)).members();
    assertThat(members).singleElement().satisfies(m -> assertThat(m.targetPorts())
        .extracting(ServicePort::name).containsExactly("http", "grpc", "admin"));

    // The endpoints listen 1000 above the service ports, as an EndpointSlice may say.
    var endpointPortOf = (java.util.function.ToIntBiFunction<Member, ServicePort>)
        (member, servicePort) -> servicePort.number() + 1000;
    assertThat(DestinationPorts.resolve(vd, members, endpointPortOf)).containsExactly(
        new DesiredConfig.Port(8080, "HTTP", 10080),
        new DesiredConfig.Port(8443, "GRPC", 10090),
        new DesiredConfig.Port(9000, "TCP", 10000));
    assertThat(DestinationPorts.endpointPorts(members.get(0), endpointPortOf))
        .containsExactly(10080, 10090, 10000);

    // Nothing to resolve against yet: the numbers the spec names, never a name's front end.
    assertThat(DestinationPorts.resolve(vd, List.of(), endpointPortOf))
        .extracting(DesiredConfig.Port::targetPort).containsExactly(8080, 9090, 9000);
  }

  @Test
  void aOnePortDestinationsEndpointsCarryNoPortList() {
    var reviews = service("mgmt-cluster", "bookinfo", "reviews", T0, Map.of(), http(9080));
    List<Member> members = Membership.select(reviewsFailover(), List.of(reviews)).members();
    assertThat(DestinationPorts.endpointPorts(members.get(0), (m, p) -> p.number())).isEmpty();
    assertThat(DestinationPorts.resolve(failoverService(reviewsFailover()), members,
        (m, p) -> p.number())).containsExactly(new DesiredConfig.Port(9080, "HTTP", 9080));
  }

  @Test
  void aChangeOfAnEndpointsPortsIsAChangeOfConfig() {
    ServiceRef reviews = new ServiceRef("mgmt-cluster", "bookinfo", "reviews");
    DesiredConfig.WeightedEndpoint before = new DesiredConfig.WeightedEndpoint("10.0.0.11", 9080,
        1, reviews, null, null, EndpointHealth.HEALTHY, List.of(9080, 9091));
    DesiredConfig.WeightedEndpoint after = new DesiredConfig.WeightedEndpoint("10.0.0.11", 9080,
        1, reviews, null, null, EndpointHealth.HEALTHY, List.of(9080, 9092));
    assertThat(config(before).sameContentAs(config(after))).isFalse();
    assertThat(config(before).sameContentAs(config(before))).isTrue();
  }

  private static DesiredConfig config(DesiredConfig.WeightedEndpoint endpoint) {
    return new DesiredConfig(new ResourceId(Kind.VirtualDestination, "global", "reviews-vd"),
        "mgmt-cluster", List.of("reviews.mesh.internal"), List.of(), List.of(
            new DesiredConfig.Tier(0, 100, List.of(endpoint.service()), List.of(endpoint))), 0,
        null, 1, 1);
  }

  // --- meshes: visibility by the mesh a cluster reports ---

  private static ClusterInfo cluster(String name, String mesh) {
    return new ClusterInfo(name, "us-east-1", Set.of(),
        mesh == null ? Map.of() : Map.of(ClusterInfo.MESH_LABEL, mesh), T0);
  }

  private static FailoverServiceSpec withMeshesAndClusters(List<String> meshes,
      List<String> clusters) {
    FailoverServiceSpec walkthrough = reviewsFailover();
    return new FailoverServiceSpec(walkthrough.hostname(), walkthrough.port(), meshes, clusters,
        walkthrough.backingServices());
  }

  @Test
  void aFailoverServiceIsVisibleOnlyInTheClustersOfTheMeshesItLists() {
    var mgmt = cluster("mgmt-cluster", "istiod-istio-system-mgmt-cluster");
    var remote = cluster("remote-cluster", "istiod-istio-system-remote-cluster");
    var unlabelled = cluster("edge-cluster", null);
    var guide = failoverService(withMeshesAndClusters(
        List.of("istiod-istio-system-mgmt-cluster"), List.of()));
    assertThat(List.of(mgmt, remote, unlabelled)).filteredOn(guide::isVisibleTo)
        .extracting(ClusterInfo::name).containsExactly("mgmt-cluster");

    var everywhere = failoverService(reviewsFailover());
    assertThat(List.of(mgmt, remote, unlabelled)).filteredOn(everywhere::isVisibleTo)
        .hasSize(3);
    // Both lists: a cluster must be in each.
    var both = failoverService(withMeshesAndClusters(List.of("istiod-istio-system-mgmt-cluster",
        "istiod-istio-system-remote-cluster"), List.of("remote-cluster")));
    assertThat(List.of(mgmt, remote, unlabelled)).filteredOn(both::isVisibleTo)
        .extracting(ClusterInfo::name).containsExactly("remote-cluster");
  }

  @Test
  void aMeshNoClusterReportsIsAWarning() {
    var spec = withMeshesAndClusters(List.of("istiod-istio-system-mgmt-cluster", "typo-mesh"),
        List.of());
    assertThat(Validator.resolveMeshes(spec, Set.of("istiod-istio-system-mgmt-cluster"))
        .warnings()).containsExactly("spec.meshes[1] \"typo-mesh\": no cluster reports this"
            + " mesh (agent label meshfed.io/mesh=typo-mesh), so no cluster sees the"
            + " FailoverService through it");
    assertThat(Validator.resolveMeshes(reviewsFailover(), Set.of())).isEqualTo(Findings.NONE);
  }

  // --- VirtualMesh: several meshes, and backing services across meshes ---

  private static final String MGMT_MESH = "istiod-istio-system-mgmt-cluster";
  private static final String REMOTE_MESH = "istiod-istio-system-remote-cluster";

  private static ClusterInfo cluster(String name, String mesh, String virtualMesh) {
    Map<String, String> labels = new java.util.HashMap<>();
    labels.put(ClusterInfo.MESH_LABEL, mesh);
    if (virtualMesh != null) {
      labels.put(ClusterInfo.VIRTUAL_MESH_LABEL, virtualMesh);
    }
    return new ClusterInfo(name, "us-east-1", Set.of(), labels, T0);
  }

  @Test
  void theVirtualMeshesAreTheMeshesTheirClustersReport() {
    var vms = io.meshfed.rules.model.VirtualMesh.fromClusters(List.of(
        cluster("mgmt-cluster", MGMT_MESH, "bookinfo-vm"),
        cluster("remote-cluster", REMOTE_MESH, "bookinfo-vm"),
        cluster("edge-cluster", "edge-mesh", null),
        new ClusterInfo("bare", "us-east-1", Set.of(),
            Map.of(ClusterInfo.VIRTUAL_MESH_LABEL, "meshless-vm"), T0)));
    assertThat(vms).containsExactly(new io.meshfed.rules.model.VirtualMesh("bookinfo-vm",
        Set.of(MGMT_MESH, REMOTE_MESH)));
  }

  @Test
  void severalListedMeshesMustShareACommonVirtualMesh() {
    var spec = withMeshesAndClusters(List.of(MGMT_MESH, REMOTE_MESH), List.of());
    var apart = Validator.resolveMeshGroups(spec, List.of(cluster("mgmt-cluster", MGMT_MESH, null),
        cluster("remote-cluster", REMOTE_MESH, "other-vm")));
    assertThat(apart.errors()).containsExactly("spec.meshes \"" + MGMT_MESH + "\", \""
        + REMOTE_MESH + "\" are not grouped under a common VirtualMesh (cluster label"
        + " meshfed.io/virtual-mesh); a FailoverService may list several meshes only when one"
        + " VirtualMesh groups them");
    assertThat(Validator.resolveMeshGroups(spec, List.of(
        cluster("mgmt-cluster", MGMT_MESH, "bookinfo-vm"),
        cluster("remote-cluster", REMOTE_MESH, "bookinfo-vm")))).isEqualTo(Findings.NONE);
  }

  @Test
  void backingServicesMustBeInOneMeshOrACommonVirtualMesh() {
    // The guide's FailoverService: backed in both clusters, visible in the mgmt mesh only.
    var guide = withMeshesAndClusters(List.of(MGMT_MESH), List.of());
    var apart = Validator.resolveMeshGroups(guide, List.of(cluster("mgmt-cluster", MGMT_MESH, null),
        cluster("remote-cluster", REMOTE_MESH, null)));
    assertThat(apart.isValid()).isFalse();
    assertThat(apart.errors()).singleElement().asString()
        .startsWith("spec.backingServices span meshes \"" + MGMT_MESH + "\", \"" + REMOTE_MESH
            + "\" with spec.meshes: bookinfo/reviews in mgmt-cluster (mesh " + MGMT_MESH + ")")
        .contains("bookinfo/reviews in remote-cluster")
        .endsWith("backing services must be in one mesh or in meshes grouped under a common"
            + " VirtualMesh (cluster label meshfed.io/virtual-mesh)");
    // Nothing listed: the backing services alone must still share a mesh or a VirtualMesh.
    assertThat(Validator.resolveMeshGroups(reviewsFailover(), List.of(
        cluster("mgmt-cluster", MGMT_MESH, null), cluster("remote-cluster", REMOTE_MESH, null)))
        .isValid()).isFalse();
    // Grouped under the guide's VirtualMesh: valid.
    assertThat(Validator.resolveMeshGroups(guide, List.of(
        cluster("mgmt-cluster", MGMT_MESH, "bookinfo-vm"),
        cluster("remote-cluster", REMOTE_MESH, "bookinfo-vm")))).isEqualTo(Findings.NONE);
    // One mesh for both clusters: valid without a VirtualMesh.
    assertThat(Validator.resolveMeshGroups(guide, List.of(cluster("mgmt-cluster", MGMT_MESH, null),
        cluster("remote-cluster", MGMT_MESH, null)))).isEqualTo(Findings.NONE);
    // A backing cluster reporting no mesh is in none: nothing to judge.
    assertThat(Validator.resolveMeshGroups(guide, List.of(cluster("mgmt-cluster", MGMT_MESH, null),
        ClusterInfo.of("remote-cluster", "us-east-1", null, T0)))).isEqualTo(Findings.NONE);
  }

  @Test
  void aListedMeshNoClusterReportsStaysAWarningNotAVirtualMeshError() {
    var spec = withMeshesAndClusters(List.of(MGMT_MESH, "typo-mesh"), List.of());
    var found = Validator.resolveMeshGroups(spec, List.of(cluster("mgmt-cluster", MGMT_MESH, null)));
    assertThat(found.errors()).isEmpty();
    assertThat(found.warnings()).singleElement().asString().startsWith("spec.meshes[1]");
  }

  // --- MCS/Kubernetes-style conditions; PENDING judged on the latest decision epoch ---

  private static final java.util.regex.Pattern CONDITION_REASON =
      java.util.regex.Pattern.compile("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$");

  private static StatusInputs inputs(Map<String, ClusterAck> acks, Map<String, Long> epochs) {
    return new StatusInputs(List.of("mgmt-cluster", "remote-cluster"), acks, epochs,
        Map.of("mgmt-cluster", "mesh-a", "remote-cluster", "mesh-b"),
        List.of("mesh-a", "mesh-b"), List.of(), List.of());
  }

  private static ClusterAck ack(String cluster, long generation, long epoch, boolean applied) {
    return new ClusterAck(cluster, generation, epoch, applied, applied ? null : "webhook denied");
  }

  @Test
  void aClusterThatHasNotAppliedTheLatestFailoverIsPendingNotAccepted() {
    var meta = failoverService(reviewsFailover()).meta();
    var acks = Map.of("mgmt-cluster", ack("mgmt-cluster", 1, 4, true),
        "remote-cluster", ack("remote-cluster", 1, 5, true));
    // The generation is applied everywhere, but mgmt-cluster's latest decision is epoch 6.
    var behind = StatusRules.forDestination(meta, Findings.NONE, List.of(),
        inputs(acks, Map.of("mgmt-cluster", 6L, "remote-cluster", 5L)));
    assertThat(behind.state()).isEqualTo(ResourceState.PENDING);
    assertThat(behind.clusters()).extracting(c -> c.state() + "/" + c.latestEpoch())
        .containsExactly("PENDING/6", "ACCEPTED/5");
    assertThat(behind.condition(Condition.APPLIED)).satisfies(c -> {
      assertThat(c.status()).isEqualTo(Condition.Status.False);
      assertThat(c.reason()).isEqualTo("Pending");
      assertThat(c.message()).contains("1 of 2").contains("mgmt-cluster");
    });
    assertThat(behind.clusters().get(0).conditions()).singleElement()
        .satisfies(c -> assertThat(c.message())
            .isEqualTo("applied epoch 4, latest decision is epoch 6"));
    // Its ack for epoch 6 arrives: ACCEPTED, Applied True everywhere.
    var caughtUp = StatusRules.forDestination(meta, Findings.NONE, List.of(),
        inputs(Map.of("mgmt-cluster", ack("mgmt-cluster", 1, 6, true),
            "remote-cluster", ack("remote-cluster", 1, 5, true)),
            Map.of("mgmt-cluster", 6L, "remote-cluster", 5L)));
    assertThat(caughtUp.state()).isEqualTo(ResourceState.ACCEPTED);
    assertThat(caughtUp.conditions()).extracting(c -> c.type() + "=" + c.status())
        .containsExactly("Valid=True", "Accepted=True", "Applied=True", "Conflict=False");
    // A failure to apply an old epoch says nothing about the latest: still pending.
    var oldNack = StatusRules.forDestination(meta, Findings.NONE, List.of(),
        inputs(Map.of("mgmt-cluster", ack("mgmt-cluster", 1, 5, false),
            "remote-cluster", ack("remote-cluster", 1, 5, true)),
            Map.of("mgmt-cluster", 6L, "remote-cluster", 5L)));
    assertThat(oldNack.state()).isEqualTo(ResourceState.PENDING);
  }

  @Test
  void aClusterWithNoAckOfTheGenerationIsPendingAndItsStatusDoesNotMoveWithEachDecision() {
    var meta = failoverService(reviewsFailover()).meta();
    // remote-cluster never acked; mgmt-cluster acked an older generation.
    var acks = Map.of("mgmt-cluster", ack("mgmt-cluster", 0, 2, true));
    var atSix = StatusRules.forDestination(meta, Findings.NONE, List.of(),
        inputs(acks, Map.of("mgmt-cluster", 6L, "remote-cluster", 6L)));
    var atNine = StatusRules.forDestination(meta, Findings.NONE, List.of(),
        inputs(acks, Map.of("mgmt-cluster", 9L, "remote-cluster", 8L)));
    assertThat(atSix.clusters()).extracting(c -> c.state() + "/" + c.latestEpoch())
        .containsExactly("PENDING/-1", "PENDING/-1");
    assertThat(atSix.clusters()).extracting(c -> c.conditions().get(0).message())
        .containsExactly("applied generation 0 of 1", "no acknowledgement yet");
    // Pending on the generation alone: three more decisions change nothing a status shows.
    assertThat(atNine).isEqualTo(atSix);
  }

  @Test
  void conditionsOfAnInvalidAConflictingAndAFailedDestination() {
    var meta = failoverService(reviewsFailover()).meta();
    var invalid = StatusRules.forDestination(meta, Findings.error("spec.port is required"),
        List.of(), inputs(Map.of(), Map.of()));
    assertThat(invalid.conditions()).extracting(c -> c.type() + "=" + c.status() + "/"
        + c.reason()).containsExactly("Valid=False/ValidationFailed", "Accepted=False/Invalid",
        "Applied=False/Invalid", "Conflict=False/NoConflict");
    assertThat(invalid.condition(Condition.VALID).message()).isEqualTo("spec.port is required");

    String lost = "spec.hostname \"reviews.global\" is claimed by older global/reviews";
    var conflicting = StatusRules.forDestination(meta, Findings.error(lost), List.of(),
        new StatusInputs(List.of(), Map.of(), Map.of(), Map.of(), List.of(), List.of(lost),
            List.of()));
    assertThat(conflicting.state()).isEqualTo(ResourceState.INVALID);
    assertThat(conflicting.conditions()).extracting(c -> c.type() + "=" + c.status() + "/"
        + c.reason()).containsExactly("Valid=True/Valid", "Accepted=False/HostnameConflict",
        "Applied=False/HostnameConflict", "Conflict=True/HostnameConflict");
    assertThat(conflicting.condition(Condition.CONFLICT).message()).isEqualTo(lost);

    var failed = StatusRules.forDestination(meta, Findings.warning("default outlier detection"),
        List.of(), inputs(Map.of("mgmt-cluster", ack("mgmt-cluster", 1, 2, false),
            "remote-cluster", ack("remote-cluster", 1, 2, true)), Map.of()));
    assertThat(failed.state()).isEqualTo(ResourceState.FAILED);
    assertThat(failed.condition(Condition.ACCEPTED).reason()).isEqualTo("AcceptedWithWarnings");
    assertThat(failed.condition(Condition.APPLIED).message()).isEqualTo("failed in mgmt-cluster");
    assertThat(failed.clusters().get(0).conditions()).singleElement().satisfies(c ->
        assertThat(c.reason() + ": " + c.message()).isEqualTo("ApplyFailed: epoch 2: webhook"
            + " denied"));

    var policy = StatusRules.forPolicy(meta(Kind.OutlierDetectionPolicy, "g", "od", T0),
        Findings.NONE);
    assertThat(policy.conditions()).extracting(c -> c.type() + "=" + c.status())
        .containsExactly("Valid=True", "Accepted=True");

    // Every reason matches the API server's metav1.Condition pattern, every condition carries
    // the generation, and a huge message is bounded.
    for (ResourceStatus status : List.of(invalid, conflicting, failed, policy)) {
      for (Condition c : status.conditions()) {
        assertThat(c.reason()).matches(CONDITION_REASON);
        assertThat(c.observedGeneration()).isEqualTo(1);
      }
    }
    assertThat(new Condition("Valid", Condition.Status.False, "ValidationFailed",
        "x".repeat(5000), 1).message()).hasSize(Condition.MAX_MESSAGE);
  }

  // --- Status per mesh (Service Mesh Hub ApprovalStatus) ---

  @Test
  void eachListedMeshRollsUpItsClusters() {
    var meta = failoverService(reviewsFailover()).meta();
    var inputs = new StatusInputs(List.of("mgmt-cluster", "remote-cluster", "edge-cluster"),
        Map.of("mgmt-cluster", ack("mgmt-cluster", 1, 3, true),
            "remote-cluster", ack("remote-cluster", 1, 3, false)),
        Map.of(), Map.of("mgmt-cluster", "mesh-a", "remote-cluster", "mesh-b",
            "edge-cluster", "mesh-b"), List.of("mesh-a", "mesh-b", "mesh-c"), List.of(),
        List.of());
    var status = StatusRules.forDestination(meta, Findings.NONE, List.of(), inputs);
    assertThat(status.meshes()).containsExactly(
        new MeshStatus("mesh-a", 0, ResourceState.ACCEPTED, List.of()),
        new MeshStatus("mesh-b", 0, ResourceState.FAILED,
            List.of("remote-cluster: webhook denied")),
        new MeshStatus("mesh-c", 0, ResourceState.PENDING,
            List.of("no cluster reports mesh mesh-c")));
    // No meshes listed: the meshes of the target clusters; a VirtualDestination has none.
    var unlisted = StatusRules.forDestination(meta, Findings.NONE, List.of(), new StatusInputs(
        List.of("mgmt-cluster"), Map.of("mgmt-cluster", ack("mgmt-cluster", 1, 3, true)),
        Map.of(), Map.of("mgmt-cluster", "mesh-a"), List.of(), List.of(), List.of()));
    assertThat(unlisted.meshes()).extracting(MeshStatus::mesh).containsExactly("mesh-a");
    var vd = StatusRules.forDestination(meta, Findings.NONE, List.of(), new StatusInputs(
        List.of("mgmt-cluster"), Map.of(), Map.of(), Map.of("mgmt-cluster", "mesh-a"), null,
        List.of(), List.of()));
    assertThat(vd.meshes()).isEmpty();
  }

  // --- Agent restart epochs (Istio proxy agent) ---

  @Test
  void restartEpochsStartAtZeroGoUpByOneAndAFailedStartReusesItsEpoch() {
    assertThat(RestartEpochs.next(RestartEpochs.UNKNOWN, false)).isZero();
    assertThat(RestartEpochs.next(0, true)).isEqualTo(1);
    // The seed's "epoch 0 followed by a failed epoch 1 start; then epoch 1 again".
    assertThat(RestartEpochs.next(1, false)).isEqualTo(1);
    assertThat(RestartEpochs.next(1, true)).isEqualTo(2);
  }

  @Test
  void anAckFromAnOlderRestartEpochThanOneSeenIsStale() {
    assertThat(RestartEpochs.isStale(1, 2)).isTrue();
    assertThat(RestartEpochs.isStale(2, 2, 1)).isFalse();
    assertThat(RestartEpochs.isStale(1, RestartEpochs.UNKNOWN, 2)).as("an earlier ack's").isTrue();
    assertThat(RestartEpochs.isStale(RestartEpochs.UNKNOWN, 5)).as("unreported fences nothing")
        .isFalse();
    assertThat(RestartEpochs.isStale(3)).isFalse();
  }

  // --- An OutlierDetectionPolicy's status lists the destinations it selects ---

  private static Meta labelled(Kind kind, String namespace, String name, String team) {
    return new Meta(new ResourceId(kind, namespace, name), "uid-" + name, 1, T0,
        Map.of("team", team));
  }

  @Test
  void aPolicysStatusListsTheDestinationsItsSelectorsSelect() {
    var policy = new Resource.OutlierDetectionPolicy(
        meta(Kind.OutlierDetectionPolicy, "g", "reviews-outlier", T0),
        new OutlierDetectionSpec(List.of(Selector.byLabels(Map.of("team", "reviews")),
            new Selector(null, "ratings", "bookinfo", null)), 1, null, null, null));
    Meta vd = labelled(Kind.VirtualDestination, "global", "reviews-vd", "reviews");
    Meta fs = labelled(Kind.FailoverService, "service-mesh-hub", "reviews-failover", "reviews");
    Meta byName = labelled(Kind.FailoverService, "bookinfo", "ratings", "ratings");
    Meta other = labelled(Kind.FailoverService, "bookinfo", "details", "details");
    Meta sameNameOtherNamespace = labelled(Kind.FailoverService, "other", "ratings", "ratings");

    // The same selector match the decisions use: any selector, every set field.
    assertThat(List.of(vd, fs, byName, other, sameNameOtherNamespace))
        .filteredOn(m -> PolicyReach.selects(policy, m)).extracting(Meta::id)
        .containsExactly(vd.id(), fs.id(), byName.id());

    // A FailoverPolicy with the same selectors: never a FailoverService (its tiers are its
    // backingServices; the decisions do not consult FailoverPolicies for it).
    var failoverPolicy = new Resource.FailoverPolicy(
        meta(Kind.FailoverPolicy, "g", "local-first", T0), new FailoverPolicySpec(
            policy.spec().destinations(), null, null, null, null, null, null));
    assertThat(List.of(vd, fs, byName, other)).filteredOn(m -> PolicyReach.selects(
        failoverPolicy, m)).extracting(Meta::id).containsExactly(vd.id());

    PolicyReach reach = PolicyReach.of(List.of(vd.id(), byName.id(), fs.id()));
    ResourceStatus status = StatusRules.forPolicy(policy.meta(), Validator.validate(policy),
        reach);
    assertThat(status.state()).isEqualTo(ResourceState.ACCEPTED);
    assertThat(status.reach().listed()).as("in id order, whatever the input order")
        .containsExactly(byName.id(), fs.id(), vd.id());
    assertThat(status.reach().total()).isEqualTo(3);
    assertThat(status.condition(Condition.ACCEPTED).message()).startsWith("it selects 3 ");

    // An INVALID policy applies to nothing, so it lists nothing.
    ResourceStatus invalid = StatusRules.forPolicy(policy.meta(), Findings.error("bad"), reach);
    assertThat(invalid.reach()).isEqualTo(PolicyReach.NONE);
    // A destination's status has no reach.
    assertThat(StatusRules.forDestination(vd, Findings.NONE, List.of(), List.of(), Map.of())
        .reach()).isEqualTo(PolicyReach.NONE);
  }

  @Test
  void aPolicysListIsBoundedAndCountsTheRest() {
    List<ResourceId> many = new java.util.ArrayList<>();
    for (int i = 0; i < 250; i++) {
      many.add(new ResourceId(Kind.VirtualDestination, "ns", String.format("vd-%03d", 249 - i)));
    }
    PolicyReach reach = PolicyReach.of(many);
    assertThat(reach.total()).isEqualTo(250);
    assertThat(reach.listed()).hasSize(PolicyReach.LISTED_LIMIT);
    assertThat(reach.listed().get(0).name()).isEqualTo("vd-000");
    assertThat(reach.listed().get(PolicyReach.LISTED_LIMIT - 1).name()).isEqualTo("vd-099");
    assertThat(reach.truncated()).isTrue();
    assertThat(PolicyReach.of(many.subList(0, 3)).truncated()).isFalse();
  }
}
