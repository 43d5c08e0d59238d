package io.meshfed.topology.partialview;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.ReasonCode;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.DriverTestBase;
import java.time.Duration;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;

/**
 * No first decision on a partial view: a FailoverService created just now is not decided while
 * its backing services are still arriving, so traffic never moves to tier 1 only because tier 0's
 * endpoints came second (the walkthrough's 92 ms false failover).
 */
class PartialViewTopologyTest extends DriverTestBase {

  /** The walkthrough's FailoverService, created at the driver's "now". */
  private KeyValue<String, SpecificRecord> createdNow() {
    KeyValue<String, SpecificRecord> fs = Bookinfo.failoverService(
        "reviews-failover.bookinfo.global", 1);
    PolicyEvent event = PolicyEvent.newBuilder((PolicyEvent) fs.value)
        .setCreationTimestamp(t.now()).build();
    return KeyValue.pair(fs.key, event);
  }

  @Test
  void aNewFailoverServiceWaitsForTierZeroInsteadOfFailingOverToTierOne() {
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()), Bookinfo.reviewsService(REMOTE),
        Bookinfo.reviewsEndpoints(REMOTE, true));
    t.send(MGMT, createdNow());
    assertThat(t.decisions().readValuesToList()).as("decisions on a partial view").isEmpty();

    t.tick(Duration.ofSeconds(2));
    t.send(MGMT, Bookinfo.reviewsService(MGMT), Bookinfo.reviewsEndpoints(MGMT, true));
    List<FailoverDecision> decisions = t.decisions().readValuesToList();
    assertThat(decisions).hasSize(2).allSatisfy(d -> {
      assertThat(d.getReasonCode()).isEqualTo(ReasonCode.INITIAL);
      assertThat(d.getAfter().getActiveTier()).isZero();
    });
  }

  @Test
  void aBackingServiceThatNeverArrivesDelaysTheFirstDecisionByTheGraceOnly() {
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()), Bookinfo.reviewsService(REMOTE),
        Bookinfo.reviewsEndpoints(REMOTE, true));
    t.send(MGMT, createdNow());
    t.tick(Duration.ofSeconds(9));
    assertThat(t.decisions().readValuesToList()).as("decisions within the grace").isEmpty();

    t.tick(Duration.ofSeconds(2));
    List<FailoverDecision> decisions = t.decisions().readValuesToList();
    assertThat(decisions).as("first decisions once the grace has passed").hasSize(2)
        .allSatisfy(d -> {
          assertThat(d.getAfter().getActiveTier()).isEqualTo(1);
          assertThat(d.getReason()).endsWith("decided after the 10 s grace with no report yet"
              + " from mgmt-cluster/bookinfo/reviews");
        });
    assertThat(t.latestConfig(REMOTE)).containsKey(
        "FederatedDestination/FailoverService/service-mesh-hub/reviews-failover");
  }

  @Test
  void aNewGenerationWithAnUnreportedBackingServiceKeepsThePreviousDecisionUntilTheGrace() {
    t.world();
    t.decisions().readValuesToList();
    t.tick(Duration.ofSeconds(1));
    // Generation 2 adds ratings on mgmt-cluster as a third tier; no agent has reported it.
    PolicyEvent current = (PolicyEvent) Bookinfo.failoverService(
        "reviews-failover.bookinfo.global", 1).value;
    io.meshfed.avro.FailoverServiceSpec spec = io.meshfed.avro.FailoverServiceSpec.newBuilder(
        (io.meshfed.avro.FailoverServiceSpec) current.getSpec()).build();
    List<io.meshfed.avro.ClusterObjectRef> backing = new java.util.ArrayList<>(
        spec.getBackingServices());
    backing.add(new io.meshfed.avro.ClusterObjectRef("ratings", "bookinfo", MGMT));
    spec.setBackingServices(backing);
    t.send(MGMT, KeyValue.pair(Bookinfo.failoverService("reviews-failover.bookinfo.global", 2)
        .key, PolicyEvent.newBuilder(current).setGeneration(2).setSpec(spec).build()));
    assertThat(t.decisions().readValuesToList()).as("decisions within the grace").isEmpty();

    t.tick(Duration.ofSeconds(11));
    List<FailoverDecision> decisions = t.decisions().readValuesToList();
    assertThat(decisions).extracting(FailoverDecision::getClientCluster)
        .containsExactlyInAnyOrder(MGMT, REMOTE);
    assertThat(decisions).allSatisfy(d -> {
      assertThat(d.getPolicyGeneration()).isEqualTo(2);
      assertThat(d.getReason()).endsWith("decided after the 10 s grace with no report yet from"
          + " mgmt-cluster/bookinfo/ratings");
    });
  }

  @Test
  void aBackingClusterWhoseHeartbeatHasNotArrivedIsNotDecidedAround() {
    // mgmt-cluster's services arrive before its first heartbeat: without the heartbeat the
    // cluster would count as stale and tier 0 as unknown, and a first decision would pick tier 1.
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()), Bookinfo.reviewsService(REMOTE),
        Bookinfo.reviewsEndpoints(REMOTE, true));
    t.send(MGMT, Bookinfo.reviewsService(MGMT), Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(MGMT, createdNow());
    assertThat(t.decisions().readValuesToList()).as("decisions before mgmt's heartbeat")
        .isEmpty();

    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()));
    assertThat(t.decisions().readValuesToList()).hasSize(2)
        .allSatisfy(d -> assertThat(d.getAfter().getActiveTier()).isZero());
  }
}
