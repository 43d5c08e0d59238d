package io.meshfed.topology.walkthrough;

import io.meshfed.avro.FailoverServiceSpec;

import io.meshfed.avro.PolicyEvent;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ReasonCode;
import io.meshfed.avro.ResourceState;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.DriverTestBase;
import io.meshfed.topology.TopologyHarness;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/** The Service Mesh Hub failover walkthrough through the topology (TopologyTestDriver). */
class WalkthroughTopologyTest extends DriverTestBase {

  private static final String CONFIG_KEY =
      "FederatedDestination/FailoverService/service-mesh-hub/reviews-failover";
  private static final String STATUS_KEY =
      "PolicyStatus/FailoverService/service-mesh-hub/reviews-failover";


  @Test
  void initiallyEveryClusterSendsReviewsTrafficToMgmtCluster() {
    t.world();
    for (String client : List.of(MGMT, REMOTE)) {
      FederatedDestination config = (FederatedDestination) t.latestConfig(client).get(CONFIG_KEY);
      assertThat(config).as("config of %s", client).isNotNull();
      assertThat(config.getActiveTier()).isZero();
      assertThat(config.getHosts()).containsExactly("reviews-failover.bookinfo.global");
      assertThat(config.getTiers().get(0).getEndpoints())
          .extracting(e -> e.getAddress() + "=" + e.getWeight())
          .containsExactly("10.0.0.11=500000000", "10.0.0.12=500000000");
      assertThat(config.getOutlierDetection().getConsecutiveErrors()).isEqualTo(1);
    }
    List<FailoverDecision> decisions = t.decisions().readValuesToList();
    assertThat(decisions).extracting(FailoverDecision::getReasonCode).contains(ReasonCode.INITIAL);
  }

  @Test
  void statusIsPendingUntilBothClustersAckThenAccepted() {
    t.world();
    PolicyStatus pending = (PolicyStatus) t.latestConfig(MGMT).get(STATUS_KEY);
    assertThat(pending.getState()).isEqualTo(ResourceState.PENDING);
    assertThat(pending.getNumSelectedBackingServices()).isEqualTo(2);
    long epoch = ((FederatedDestination) t.latestConfig(REMOTE).get(CONFIG_KEY)).getEpoch();
    t.send(MGMT, Bookinfo.ack(MGMT, epoch));
    t.send(REMOTE, Bookinfo.ack(REMOTE, epoch));
    PolicyStatus accepted = (PolicyStatus) t.latestConfig(MGMT).get(STATUS_KEY);
    assertThat(accepted.getState()).isEqualTo(ResourceState.ACCEPTED);
    assertThat(accepted.getWarnings()).isEmpty();
    assertThat(accepted.getObservedGeneration()).isEqualTo(1);
    // The remote cluster is not a policy source: statuses only go to mgmt-cluster.
    assertThat(t.latestConfig(REMOTE)).doesNotContainKey(STATUS_KEY);
  }

  @Test
  void reviewsV1AndV2BreakingFailsOverToRemoteClusterAndBackAfterDamping() {
    t.world();
    t.decisions().readValuesToList();
    long before = Math.max(
        ((FederatedDestination) t.latestConfig(MGMT).get(CONFIG_KEY)).getEpoch(),
        ((FederatedDestination) t.latestConfig(REMOTE).get(CONFIG_KEY)).getEpoch());

    t.send(MGMT, Bookinfo.reviewsEndpoints(MGMT, false));
    List<FailoverDecision> failover = t.decisions().readValuesToList();
    assertThat(failover).extracting(FailoverDecision::getClientCluster)
        .containsExactlyInAnyOrder(MGMT, REMOTE);
    for (FailoverDecision d : failover) {
      assertThat(d.getReasonCode()).isEqualTo(ReasonCode.TIER_UNHEALTHY);
      assertThat(d.getReason()).isEqualTo("tier 0 mgmt-cluster/bookinfo/reviews healthy 0/2"
          + " (< 71%): 100% to tier 1 remote-cluster/bookinfo/reviews");
    }
    // Epochs are per destination: one contiguous sequence across both client clusters.
    assertThat(failover).extracting(FailoverDecision::getEpoch)
        .containsExactly(before + 1, before + 2);
    for (String client : List.of(MGMT, REMOTE)) {
      FederatedDestination config = (FederatedDestination) t.latestConfig(client).get(CONFIG_KEY);
      assertThat(config.getActiveTier()).isEqualTo(1);
      assertThat(config.getTiers().get(1).getEndpoints()).singleElement()
          .satisfies(e -> assertThat(e.getWeight()).isEqualTo(1_000_000_000));
    }

    t.tick(Duration.ofSeconds(5));
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()));
    assertThat(t.decisions().readValuesToList()).as("restored, but damped").isEmpty();

    t.tick(TopologyHarness.DAMPING.minusSeconds(1));
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()));
    assertThat(t.decisions().readValuesToList()).isEmpty();

    t.tick(Duration.ofSeconds(2));
    List<FailoverDecision> failback = t.decisions().readValuesToList();
    assertThat(failback).extracting(FailoverDecision::getReasonCode)
        .containsOnly(ReasonCode.TIER_RECOVERED).hasSize(2);
    assertThat(failback).extracting(FailoverDecision::getEpoch)
        .containsExactly(before + 3, before + 4);
    Map<String, SpecificRecord> mgmt = t.latestConfig(MGMT);
    assertThat(((FederatedDestination) mgmt.get(CONFIG_KEY)).getActiveTier()).isZero();
  }

  @Test
  void aClusterWhoseHeartbeatStopsIsStaleAndTrafficLeavesIt() {
    t.world();
    t.decisions().readValuesToList();
    // remote-cluster keeps beating, mgmt-cluster goes silent past the TTL.
    for (int i = 0; i < 4; i++) {
      t.tick(Duration.ofSeconds(10));
      t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()));
    }
    // mgmt-cluster's silence is evidence once remote-cluster was heard after its TTL ran out
    // (at 40 s, topology/DESIGN.md "Time"); the next punctuation finds it stale.
    t.tick(Duration.ofSeconds(1));
    List<FailoverDecision> decisions = t.decisions().readValuesToList();
    assertThat(decisions).isNotEmpty();
    assertThat(decisions).extracting(FailoverDecision::getReasonCode)
        .containsOnly(ReasonCode.CLUSTER_STALE);
    assertThat(decisions.get(0).getReason()).contains("2 endpoint(s) of a stale cluster");
  }

  @Test
  void deletingTheFailoverServiceWithdrawsItsConfigEverywhere() {
    t.world();
    t.latestConfig(MGMT);
    t.latestConfig(REMOTE);
    t.decisions().readValuesToList();
    t.send(MGMT, new org.apache.kafka.streams.KeyValue<>(
        Bookinfo.failoverService("x.global", 1).key, null));
    for (String client : List.of(MGMT, REMOTE)) {
      Map<String, SpecificRecord> config = t.latestConfig(client);
      assertThat(config).containsKey(CONFIG_KEY);
      assertThat(config.get(CONFIG_KEY)).as("tombstone for %s", client).isNull();
    }
    assertThat(t.decisions().readValuesToList()).extracting(FailoverDecision::getReasonCode)
        .containsOnly(ReasonCode.DESTINATION_REMOVED).hasSize(2);
  }

  @Test
  void changingTheBackingServicesMovesMembersInAndOut() {
    t.world();
    var original = Bookinfo.failoverService("reviews-failover.bookinfo.global", 2);
    PolicyEvent event = (PolicyEvent) original.value;
    FailoverServiceSpec spec = (FailoverServiceSpec) event.getSpec();
    PolicyEvent remoteOnly = PolicyEvent.newBuilder(event).setSpec(FailoverServiceSpec
        .newBuilder(spec).setBackingServices(List.of(spec.getBackingServices().get(1))).build())
        .build();
    t.send(MGMT, org.apache.kafka.streams.KeyValue.pair(original.key, remoteOnly));
    FederatedDestination config = (FederatedDestination) t.latestConfig(MGMT).get(CONFIG_KEY);
    assertThat(config.getTiers()).hasSize(1);
    assertThat(config.getTiers().get(0).getEndpoints())
        .extracting(e -> e.getAddress() + "=" + e.getWeight()).containsExactly("10.1.0.21=1000000000");
    // And back: mgmt-cluster's service is a member again, first.
    t.send(MGMT, org.apache.kafka.streams.KeyValue.pair(original.key,
        PolicyEvent.newBuilder(event).setGeneration(3).build()));
    config = (FederatedDestination) t.latestConfig(MGMT).get(CONFIG_KEY);
    assertThat(config.getTiers()).hasSize(2);
    assertThat(config.getTiers().get(0).getEndpoints())
        .extracting(e -> e.getAddress() + "=" + e.getWeight())
        .containsExactly("10.0.0.11=500000000", "10.0.0.12=500000000");
  }
}
