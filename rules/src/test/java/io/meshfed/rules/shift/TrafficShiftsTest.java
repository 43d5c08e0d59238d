package io.meshfed.rules.shift;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.rules.shift.TrafficPolicy.FailoverServiceRef;
import io.meshfed.rules.shift.TrafficPolicy.KubeServiceRef;
import io.meshfed.rules.status.ResourceState;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The guide's TrafficPolicy trafficShift step, as the agent of one client cluster plans it. */
class TrafficShiftsTest {

  private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
  private static final FailoverServiceRef REVIEWS_FAILOVER =
      new FailoverServiceRef("reviews-failover", "service-mesh-hub");
  private static final ShiftTarget FS_HERE =
      new ShiftTarget("reviews-failover.bookinfo.global", 9080, "HTTP");

  /** The guide's reviews-shift-failover. */
  private static TrafficPolicy guide(String name, Instant created, String cluster) {
    return new TrafficPolicy("bookinfo", name, 1, created,
        List.of(new KubeServiceRef("reviews", "bookinfo", cluster)), List.of(REVIEWS_FAILOVER));
  }

  @Test
  void theGuidesPolicyShiftsReviewsToTheFailoverServiceHost() {
    var plan = TrafficShifts.plan("mgmt-cluster", true,
        List.of(guide("reviews-shift-failover", T0, "mgmt-cluster")),
        Map.of(REVIEWS_FAILOVER, FS_HERE));
    assertThat(plan.shifts()).singleElement().satisfies(s -> {
      assertThat(s.sourceHost()).isEqualTo("reviews.bookinfo.svc.cluster.local");
      assertThat(s.target()).isEqualTo(FS_HERE);
      assertThat(s.isHttp()).isTrue();
    });
    assertThat(plan.shiftsTo(REVIEWS_FAILOVER)).hasSize(1);
    assertThat(plan.shiftsTo(new FailoverServiceRef("other", "service-mesh-hub"))).isEmpty();
    var verdict = plan.verdicts().get("bookinfo/reviews-shift-failover");
    assertThat(verdict.state()).isEqualTo(ResourceState.ACCEPTED);
    assertThat(verdict.trafficTargets()).containsExactly(Map.entry("mgmt-cluster/bookinfo/reviews",
        new TrafficShifts.TargetState(ResourceState.ACCEPTED, "reviews-failover.bookinfo.global",
            null)));
  }

  @Test
  void aFailoverServiceWhoseConfigDoesNotReachTheClusterShiftsNothingWithAWarning() {
    var plan = TrafficShifts.plan("mgmt-cluster", true,
        List.of(guide("reviews-shift-failover", T0, "mgmt-cluster")), Map.of());
    assertThat(plan.shifts()).isEmpty();
    var verdict = plan.verdicts().get("bookinfo/reviews-shift-failover");
    assertThat(verdict.state()).isEqualTo(ResourceState.WARNING);
    assertThat(verdict.findings().warnings()).containsExactly("spec.trafficShift.destinations[0]"
        + ".failoverService service-mesh-hub/reviews-failover: no config for it reaches cluster"
        + " mgmt-cluster (it does not exist, is INVALID or is not visible there), so nothing is"
        + " shifted (yet)");
  }

  @Test
  void aServiceOfAnotherClusterIsAWarningNamingWhereToApplyThePolicy() {
    var plan = TrafficShifts.plan("mgmt-cluster", true,
        List.of(guide("p", T0, "remote-cluster")), Map.of(REVIEWS_FAILOVER, FS_HERE));
    assertThat(plan.shifts()).isEmpty();
    assertThat(plan.verdicts().get("bookinfo/p").findings().warnings()).containsExactly(
        "spec.destinationSelector: service remote-cluster/bookinfo/reviews is in cluster"
            + " remote-cluster; a TrafficPolicy shifts the clients of the cluster it is applied"
            + " in, so apply it in remote-cluster");
  }

  @Test
  void theOldestPolicyKeepsAServiceSeveralSelect() {
    var younger = guide("a-younger", T0.plusSeconds(5), "mgmt-cluster");
    var older = guide("z-older", T0, "mgmt-cluster");
    var plan = TrafficShifts.plan("mgmt-cluster", true, List.of(younger, older),
        Map.of(REVIEWS_FAILOVER, FS_HERE));
    assertThat(plan.shifts()).extracting(Shift::policy).containsExactly("bookinfo/z-older");
    assertThat(plan.verdicts().get("bookinfo/a-younger").findings().warnings()).containsExactly(
        "spec.destinationSelector: service mgmt-cluster/bookinfo/reviews is already shifted by"
            + " the older TrafficPolicy bookinfo/z-older");
    assertThat(plan.verdicts().get("bookinfo/z-older").state()).isEqualTo(ResourceState.ACCEPTED);
  }

  @Test
  void aKubernetesApplierClusterCannotShiftAndSaysSo() {
    var plan = TrafficShifts.plan("mgmt-cluster", false,
        List.of(guide("p", T0, "mgmt-cluster")), Map.of(REVIEWS_FAILOVER, FS_HERE));
    assertThat(plan.shifts()).isEmpty();
    assertThat(plan.verdicts().get("bookinfo/p").findings().warnings()).singleElement()
        .asString().contains("kube-proxy cannot send a Service's clients elsewhere");
  }

  @Test
  void specErrorsAreInvalidWithTheField() {
    var bad = new TrafficPolicy("bookinfo", "bad", 3, T0,
        List.of(new KubeServiceRef("reviews", null, "mgmt-cluster")),
        List.of(REVIEWS_FAILOVER, new FailoverServiceRef("x", "y")));
    var verdict = TrafficShifts.plan("mgmt-cluster", true, List.of(bad),
        Map.of(REVIEWS_FAILOVER, FS_HERE)).verdicts().get("bookinfo/bad");
    assertThat(verdict.state()).isEqualTo(ResourceState.INVALID);
    assertThat(verdict.observedGeneration()).isEqualTo(3);
    assertThat(verdict.findings().errors()).containsExactly(
        "spec.destinationSelector kubeServiceRefs service 1 namespace is required",
        "spec.trafficShift.destinations lists 2 destinations; meshfed shifts to exactly one"
            + " failoverService");
    assertThat(TrafficShifts.validate(new TrafficPolicy("bookinfo", "empty", 1, T0, null,
        List.of(new FailoverServiceRef(null, "ns")))).errors()).containsExactly(
        "spec.destinationSelector must select at least one service (kubeServiceRefs.services)",
        "spec.trafficShift.destinations[0].failoverService.name is required");
  }

  @Test
  void tenThousandNamelessServicesAreTwentyErrorsAndACount() {
    List<KubeServiceRef> nameless = new java.util.ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      nameless.add(new KubeServiceRef(null, "bookinfo", "mgmt-cluster"));
    }
    var errors = TrafficShifts.validate(new TrafficPolicy("bookinfo", "huge", 1, T0, nameless,
        List.of(REVIEWS_FAILOVER))).errors();
    assertThat(errors).hasSize(io.meshfed.rules.validation.Findings.MAX_MESSAGES + 1);
    assertThat(errors.get(0)).isEqualTo(
        "spec.destinationSelector kubeServiceRefs service 1 name is required");
    assertThat(errors.get(errors.size() - 1)).isEqualTo("... and 9980 more errors");
  }

  @Test
  void tcpFailoverServicesAreShiftedAsTcp() {
    var tcp = new ShiftTarget("db.global", 5432, "TCP");
    var plan = TrafficShifts.plan("mgmt-cluster", true, List.of(guide("p", T0, "mgmt-cluster")),
        Map.of(REVIEWS_FAILOVER, tcp));
    assertThat(plan.shifts()).singleElement().satisfies(s -> assertThat(s.isHttp()).isFalse());
  }
}
