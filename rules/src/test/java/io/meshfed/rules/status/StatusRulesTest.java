package io.meshfed.rules.status;

import static io.meshfed.rules.Fixtures.T0;
import static io.meshfed.rules.Fixtures.meta;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.Meta;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.validation.Findings;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StatusRulesTest {

  private final Meta fs = meta(Kind.FailoverService, "smh", "reviews-failover", T0);
  private final List<ServiceRef> selected = List.of(
      new ServiceRef("mgmt-cluster", "bookinfo", "reviews"),
      new ServiceRef("remote-cluster", "bookinfo", "reviews"));
  private final Set<String> targets = Set.of("mgmt-cluster", "remote-cluster");

  @Test
  void invalidWinsAndCarriesTheErrors() {
    var status = StatusRules.forDestination(fs, Findings.error("spec.port is required"),
        selected, targets, Map.of());
    assertThat(status.state()).isEqualTo(ResourceState.INVALID);
    assertThat(status.validationErrors()).containsExactly("spec.port is required");
    assertThat(status.observedGeneration()).isEqualTo(1);
    assertThat(status.numSelectedBackingServices()).isZero();
  }

  @Test
  void pendingUntilEveryTargetClusterAckedThenAccepted() {
    var oneAck = Map.of("mgmt-cluster", new ClusterAck("mgmt-cluster", 1, 1, true, null));
    var pending = StatusRules.forDestination(fs, Findings.NONE, selected, targets, oneAck);
    assertThat(pending.state()).isEqualTo(ResourceState.PENDING);
    assertThat(pending.clusters()).extracting(ResourceStatus.ClusterStatus::state)
        .containsExactly(ResourceState.ACCEPTED, ResourceState.PENDING);

    var bothAcks = Map.of("mgmt-cluster", new ClusterAck("mgmt-cluster", 1, 1, true, null),
        "remote-cluster", new ClusterAck("remote-cluster", 1, 1, true, null));
    var accepted = StatusRules.forDestination(fs, Findings.NONE, selected, targets, bothAcks);
    assertThat(accepted.state()).isEqualTo(ResourceState.ACCEPTED);
    assertThat(accepted.numSelectedBackingServices()).isEqualTo(2);
  }

  @Test
  void anAckForAnOlderGenerationIsStillPending() {
    Meta gen2 = Meta.of(fs.id(), fs.uid(), 2, fs.created());
    var acks = Map.of("mgmt-cluster", new ClusterAck("mgmt-cluster", 1, 4, true, null),
        "remote-cluster", new ClusterAck("remote-cluster", 2, 4, true, null));
    assertThat(StatusRules.forDestination(gen2, Findings.NONE, selected, targets, acks).state())
        .isEqualTo(ResourceState.PENDING);
  }

  @Test
  void aFailedClusterIsFailedWithItsMessage() {
    var acks = Map.of("mgmt-cluster", new ClusterAck("mgmt-cluster", 1, 1, false,
            "ServiceEntry rejected: 403"),
        "remote-cluster", new ClusterAck("remote-cluster", 1, 1, true, null));
    var status = StatusRules.forDestination(fs, Findings.NONE, selected, targets, acks);
    assertThat(status.state()).isEqualTo(ResourceState.FAILED);
    assertThat(status.clusters().get(0).message()).isEqualTo("ServiceEntry rejected: 403");
  }

  @Test
  void warningsMakeAnAppliedDestinationWarning() {
    var acks = Map.of("mgmt-cluster", new ClusterAck("mgmt-cluster", 1, 1, true, null),
        "remote-cluster", new ClusterAck("remote-cluster", 1, 1, true, null));
    var status = StatusRules.forDestination(fs, Findings.warning("default outlier detection"),
        selected, targets, acks);
    assertThat(status.state()).isEqualTo(ResourceState.WARNING);
    assertThat(status.warnings()).containsExactly("default outlier detection");
  }

  @Test
  void policiesAreInvalidWarningOrAccepted() {
    Meta policy = meta(Kind.OutlierDetectionPolicy, "smh", "outlier", T0);
    assertThat(StatusRules.forPolicy(policy, Findings.NONE).state())
        .isEqualTo(ResourceState.ACCEPTED);
    assertThat(StatusRules.forPolicy(policy, Findings.error("x")).state())
        .isEqualTo(ResourceState.INVALID);
    assertThat(StatusRules.forPolicy(policy, Findings.warning("y")).state())
        .isEqualTo(ResourceState.WARNING);
  }
}
