package io.meshfed.topology.staleness;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.ReasonCode;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.DriverTestBase;
import io.meshfed.topology.TopologyHarness;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Staleness is judged on evidence that a cluster was silent, not that the bus was (issue #21):
 * a gap in every cluster's heartbeats at once is a broker outage (or the topology's own
 * downtime), and does not count against any cluster; a gap in one cluster's heartbeats while
 * another's arrive is that cluster's silence, as before.
 */
class FleetSilenceTopologyTest extends DriverTestBase {

  private static final String CONFIG_KEY =
      "FederatedDestination/FailoverService/service-mesh-hub/reviews-failover";

  @Test
  void everyClusterSilentAtOnceForTwiceTheTtlDecidesNothing() {
    t.world();
    assertThat(t.decisions().readValuesToList()).isNotEmpty();

    silence(TopologyHarness.TTL.multipliedBy(2)); // the broker is down: nobody's beats arrive
    // The broker is back: the agents' heartbeats arrive one after the other, not together.
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()));
    t.tick(Duration.ofSeconds(2));
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()));
    beat(List.of(MGMT, REMOTE), TopologyHarness.TTL.multipliedBy(2));

    assertThat(t.decisions().readValuesToList()).as("no cluster was silent, the bus was")
        .isEmpty();
    assertThat(activeTier(MGMT)).isZero();
    assertThat(activeTier(REMOTE)).isZero();
  }

  @Test
  void oneClusterSilentWhileAnotherBeatsTurnsStaleAsBefore() {
    t.world();
    t.decisions().readValuesToList();

    beat(List.of(REMOTE), TopologyHarness.TTL.plusSeconds(5));

    List<FailoverDecision> decisions = t.decisions().readValuesToList();
    assertThat(decisions).isNotEmpty();
    assertThat(decisions).extracting(FailoverDecision::getReasonCode)
        .containsOnly(ReasonCode.CLUSTER_STALE);
    assertThat(activeTier(REMOTE)).isEqualTo(1);
  }

  @Test
  void aClusterThatStaysSilentAfterTheBusReturnsTurnsStaleATtlLater() {
    t.world();
    t.decisions().readValuesToList();

    silence(TopologyHarness.TTL.multipliedBy(2));
    // Only remote-cluster's agent comes back: mgmt-cluster's silence counts from here.
    beat(List.of(REMOTE), TopologyHarness.TTL.minusSeconds(5));
    assertThat(t.decisions().readValuesToList()).as("within the TTL after the bus returned")
        .isEmpty();

    beat(List.of(REMOTE), Duration.ofSeconds(10));
    assertThat(t.decisions().readValuesToList()).extracting(FailoverDecision::getReasonCode)
        .isNotEmpty().containsOnly(ReasonCode.CLUSTER_STALE);
  }

  @Test
  void silenceBeforeTheFleetWentQuietStillCounts() {
    t.world();
    t.decisions().readValuesToList();

    // mgmt-cluster is silent for 20 s while remote-cluster beats; then the whole fleet is.
    beat(List.of(REMOTE), Duration.ofSeconds(20));
    silence(TopologyHarness.TTL.multipliedBy(2));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()));
    beat(List.of(REMOTE), Duration.ofSeconds(5));
    assertThat(t.decisions().readValuesToList()).as("25 s of mgmt-cluster's own silence")
        .isEmpty();

    beat(List.of(REMOTE), Duration.ofSeconds(10));
    assertThat(t.decisions().readValuesToList()).as("35 s of mgmt-cluster's own silence")
        .extracting(FailoverDecision::getReasonCode)
        .isNotEmpty().containsOnly(ReasonCode.CLUSTER_STALE);
  }

  /** Time passes in 1 s steps (the punctuation runs at each) with no heartbeat at all. */
  private void silence(Duration length) {
    for (long s = 0; s < length.toSeconds(); s++) {
      t.tick(Duration.ofSeconds(1));
    }
  }

  /** Time passes in 1 s steps; the given clusters send a heartbeat each second. */
  private void beat(List<String> clusters, Duration length) {
    for (long s = 0; s < length.toSeconds(); s++) {
      t.tick(Duration.ofSeconds(1));
      for (String cluster : clusters) {
        t.send(cluster, Bookinfo.heartbeat(cluster, t.now()));
      }
    }
  }

  private int activeTier(String client) {
    return ((FederatedDestination) t.latestConfig(client).get(CONFIG_KEY)).getActiveTier();
  }
}
