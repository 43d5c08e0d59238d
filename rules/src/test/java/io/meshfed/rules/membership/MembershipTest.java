package io.meshfed.rules.membership;

import static io.meshfed.rules.Fixtures.T0;
import static io.meshfed.rules.Fixtures.http;
import static io.meshfed.rules.Fixtures.reviewsFailover;
import static io.meshfed.rules.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.rules.model.BackendKind;
import io.meshfed.rules.model.PortMapping;
import io.meshfed.rules.model.Selector;
import io.meshfed.rules.model.Service;
import io.meshfed.rules.model.ServicePort;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.model.TargetPort;
import io.meshfed.rules.model.VirtualDestinationSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The VirtualDestination membership rules of the Gloo Mesh seed, and FailoverService members. */
class MembershipTest {

  private static final Map<String, String> APP = Map.of("app", "destination-app");

  private static VirtualDestinationSpec vd(List<Selector> services, List<PortMapping> ports) {
    return new VirtualDestinationSpec(List.of("destination-app.mesh.internal.com"), services,
        List.of(), List.of(), ports, List.of());
  }

  private static final List<PortMapping> SEED_PORTS =
      List.of(new PortMapping(8080L, "HTTP", new TargetPort(9080L, null)));

  @Test
  void aServiceMatchingAnySelectorIsSelected() {
    Service byLabel = service("c1", "apps", "dest", T0, APP, http(9080));
    Service byName = service("c2", "other", "legacy", T0, Map.of(), http(9080));
    Service neither = service("c3", "apps", "unrelated", T0, Map.of("app", "x"), http(9080));
    var result = Membership.select(vd(List.of(Selector.byLabels(APP),
        new Selector(Map.of(), "legacy", "other", null)), SEED_PORTS),
        List.of(byLabel, byName, neither));
    assertThat(result.members()).extracting(Member::ref)
        .containsExactly(byLabel.ref(), byName.ref());
    assertThat(result.warnings()).isEmpty();
  }

  @Test
  void everyFieldGivenInASelectorMustMatch() {
    Service wrongCluster = service("c2", "apps", "dest", T0, APP, http(9080));
    Service wrongNamespace = service("c1", "other", "dest", T0, APP, http(9080));
    Service all = service("c1", "apps", "dest", T0, Map.of("app", "destination-app", "v", "2"),
        http(9080));
    var selector = new Selector(APP, "dest", "apps", "c1");
    var result = Membership.select(vd(List.of(selector), SEED_PORTS),
        List.of(wrongCluster, wrongNamespace, all));
    assertThat(result.members()).extracting(Member::ref).containsExactly(all.ref());
  }

  @Test
  void onlyOneServicePerClusterTheOldestWithAWarning() {
    Service newest = service("c1", "apps", "dest-b", T0.plusSeconds(20), APP, http(9080));
    Service oldest = service("c1", "apps", "dest-c", T0, APP, http(9080));
    Service sameAgeLaterName = service("c1", "apps", "dest-d", T0, APP, http(9080));
    Service otherCluster = service("c2", "apps", "dest-z", T0.plusSeconds(99), APP, http(9080));
    var result = Membership.select(vd(List.of(Selector.byLabels(APP)), SEED_PORTS),
        List.of(newest, sameAgeLaterName, oldest, otherCluster));
    assertThat(result.members()).extracting(Member::ref)
        .containsExactly(oldest.ref(), otherCluster.ref());
    assertThat(result.warnings()).containsExactly("cluster c1: 3 services match (apps/dest-c,"
        + " apps/dest-d, apps/dest-b); only one per cluster is allowed, selected the oldest,"
        + " apps/dest-c");
  }

  @Test
  void targetPortIsMatchedByNumberOrByName() {
    Service named = service("c1", "apps", "dest", T0, APP, new ServicePort("web", 7000, "TCP"));
    var byName = Membership.select(vd(List.of(Selector.byLabels(APP)),
        List.of(new PortMapping(8080L, "HTTP", new TargetPort(null, "web")))), List.of(named));
    assertThat(byName.members()).singleElement()
        .satisfies(m -> assertThat(m.targetPorts()).extracting(ServicePort::number)
            .containsExactly(7000));
    var sameNumber = Membership.select(vd(List.of(Selector.byLabels(APP)),
        List.of(new PortMapping(7000L, "HTTP", null))), List.of(named));
    assertThat(sameNumber.members()).hasSize(1);
  }

  @Test
  void aMemberWithoutTheTargetPortIsExcludedWithAWarning() {
    Service good = service("c1", "apps", "dest", T0, APP, http(9080));
    Service missing = service("c2", "apps", "dest", T0, APP, new ServicePort("grpc", 9090, "TCP"));
    var result = Membership.select(vd(List.of(Selector.byLabels(APP)), SEED_PORTS),
        List.of(good, missing));
    assertThat(result.members()).extracting(Member::ref).containsExactly(good.ref());
    assertThat(result.warnings()).containsExactly("backing service c2/apps/dest has no port 9080"
        + " (ports: grpc=9090); it is excluded");
  }

  @Test
  void externalServicesAreAllSelectedAndExternalWorkloadsOnePerCluster() {
    Service ext1 = new Service(new ServiceRef("c1", "ext", "db-a"), BackendKind.EXTERNAL_SERVICE,
        "u1", T0, APP, List.of(http(9080)));
    Service ext2 = new Service(new ServiceRef("c1", "ext", "db-b"), BackendKind.EXTERNAL_SERVICE,
        "u2", T0, APP, List.of(http(9080)));
    Service vm1 = new Service(new ServiceRef("c1", "vm", "vm-a"), BackendKind.EXTERNAL_WORKLOAD,
        "u3", T0, APP, List.of(http(9080)));
    Service vm2 = new Service(new ServiceRef("c1", "vm", "vm-b"), BackendKind.EXTERNAL_WORKLOAD,
        "u4", T0.plusSeconds(1), APP, List.of(http(9080)));
    var spec = new VirtualDestinationSpec(List.of(), List.of(), List.of(Selector.byLabels(APP)),
        List.of(Selector.byLabels(APP)), SEED_PORTS, List.of());
    var result = Membership.select(spec, List.of(ext1, ext2, vm1, vm2));
    assertThat(result.members()).extracting(Member::ref)
        .containsExactly(ext1.ref(), ext2.ref(), vm1.ref());
    assertThat(result.warnings()).singleElement().asString()
        .startsWith("cluster c1: 2 external workloads match");
  }

  @Test
  void aKubernetesServiceIsNotAnExternalBackend() {
    Service kube = service("c1", "apps", "dest", T0, APP, http(9080));
    var spec = new VirtualDestinationSpec(List.of("a.example"), List.of(),
        List.of(Selector.byLabels(APP)), List.of(), SEED_PORTS, List.of());
    assertThat(Membership.select(spec, List.of(kube)).members()).isEmpty();
  }

  @Test
  void failoverServiceMembersAreTheExistingBackingServicesInOrder() {
    Service remote = service("remote-cluster", "bookinfo", "reviews", T0, Map.of(), http(9080));
    Service mgmt = service("mgmt-cluster", "bookinfo", "reviews", T0, Map.of(), http(9080));
    var result = Membership.select(reviewsFailover(), List.of(remote, mgmt));
    assertThat(result.members()).extracting(Member::ref).containsExactly(mgmt.ref(), remote.ref());
    var onlyRemote = Membership.select(reviewsFailover(), List.of(remote));
    assertThat(onlyRemote.members()).extracting(Member::ref).containsExactly(remote.ref());
  }
}
