package io.meshfed.topology.virtualdestination;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.EndpointHealth;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FailoverPolicySpec;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.HealthOutcome;
import io.meshfed.avro.HealthSignal;
import io.meshfed.avro.ObjectSelector;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.OutlierDetectionPolicySpec;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.PortMapping;
import io.meshfed.avro.ReasonCode;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.TargetPort;
import io.meshfed.avro.TierOrdering;
import io.meshfed.avro.VirtualDestinationSpec;
import io.meshfed.avro.WeightedEndpoint;
import io.meshfed.topics.EventKeys;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.DriverTestBase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;

/**
 * A Gloo Mesh VirtualDestination through the topology: label selection across clusters, a
 * locality FailoverPolicy giving each client cluster its own tiers, and outlier detection from
 * health signals, with ejection ended by the passing of time.
 */
class VirtualDestinationTopologyTest extends DriverTestBase {

  private static final String CONFIG_KEY = "FederatedDestination/VirtualDestination/global/reviews-vd";

  private static KeyValue<String, SpecificRecord> policy(ResourceKind kind, String name,
      Object spec) {
    return Bookinfo.globalPolicy(kind, name, spec);
  }

  private void world() {
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()), Bookinfo.reviewsService(REMOTE),
        Bookinfo.reviewsEndpoints(REMOTE, true));
    ObjectSelector reviewsVd = ObjectSelector.newBuilder().setName("reviews-vd").build();
    t.send(MGMT,
        policy(ResourceKind.OutlierDetectionPolicy, "reviews-outlier",
            new OutlierDetectionPolicySpec(List.of(reviewsVd),
                new OutlierDetection(2, 10_000L, 15_000L, 100))),
        Bookinfo.localFirstPolicy(), Bookinfo.reviewsVirtualDestination());
  }

  private FederatedDestination config(String cluster) {
    return (FederatedDestination) t.latestConfig(cluster).get(CONFIG_KEY);
  }

  @Test
  void eachClientClusterPrefersItsOwnCluster() {
    world();
    FederatedDestination mgmt = config(MGMT);
    FederatedDestination remote = config(REMOTE);
    assertThat(mgmt.getTiers().get(0).getMembers()).extracting(m -> m.getClusterName())
        .containsExactly(MGMT);
    assertThat(remote.getTiers().get(0).getMembers()).extracting(m -> m.getClusterName())
        .containsExactly(REMOTE);
    assertThat(mgmt.getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getNumber()).isEqualTo(8080);
      // targetPort {name: http}: the backends' http port, not the front-end number.
      assertThat(p.getTargetPort()).isEqualTo(9080);
    });
    assertThat(mgmt.getTiers().get(0).getEndpoints()).extracting(WeightedEndpoint::getPort)
        .containsOnly(9080);
    PolicyStatus status = (PolicyStatus) t.latestConfig(MGMT)
        .get("PolicyStatus/VirtualDestination/global/reviews-vd");
    assertThat(status.getNumSelectedBackingServices()).isEqualTo(2);
    assertThat(status.getWarnings()).isEmpty();
  }

  @Test
  void consecutiveErrorsEjectAnEndpointUntilItsEjectionTimePasses() {
    world();
    t.decisions().readValuesToList();
    HealthSignal error = new HealthSignal("bookinfo", "reviews", "10.0.0.11", 9080,
        HealthOutcome.ERROR, t.now());
    String key = EventKeys.health(MGMT, "bookinfo", "reviews", "10.0.0.11", 9080);
    t.send(MGMT, KeyValue.pair(key, error));
    assertThat(t.decisions().readValuesToList()).as("one error of two").isEmpty();
    t.send(MGMT, KeyValue.pair(key, HealthSignal.newBuilder(error).setTime(t.now()).build()));

    List<FailoverDecision> ejected = t.decisions().readValuesToList();
    assertThat(ejected).isNotEmpty();
    WeightedEndpoint v1 = config(MGMT).getTiers().get(0).getEndpoints().stream()
        .filter(e -> e.getAddress().equals("10.0.0.11")).findFirst().orElseThrow();
    assertThat(v1.getHealth()).isEqualTo(EndpointHealth.EJECTED);
    assertThat(v1.getWeight()).isZero();

    // Base ejection time 15 s; keep the clusters fresh while it passes.
    for (int i = 0; i < 4; i++) {
      t.tick(Duration.ofSeconds(4));
      t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()));
      t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()));
    }
    t.tick(Duration.ofSeconds(25)); // failback damping of the harness is 20 s
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()));
    t.tick(Duration.ofSeconds(1));
    WeightedEndpoint back = config(MGMT).getTiers().get(0).getEndpoints().stream()
        .filter(e -> e.getAddress().equals("10.0.0.11")).findFirst().orElseThrow();
    assertThat(back.getHealth()).isEqualTo(EndpointHealth.HEALTHY);
    assertThat(back.getWeight()).isPositive();
  }

  @Test
  void aServiceThatStopsMatchingLeavesTheDestination() {
    world();
    t.send(REMOTE, KeyValue.pair(EventKeys.service(REMOTE, "bookinfo", "reviews"),
        io.meshfed.avro.ServiceSnapshot.newBuilder(
            (io.meshfed.avro.ServiceSnapshot) Bookinfo.reviewsService(REMOTE).value)
            .setLabels(Map.of("app", "ratings")).build()));
    FederatedDestination mgmt = config(MGMT);
    assertThat(mgmt.getTiers()).flatExtracting(tier -> tier.getMembers())
        .extracting(m -> m.getClusterName()).containsExactly(MGMT);
    assertThat(t.decisions().readValuesToList()).extracting(FailoverDecision::getReasonCode)
        .contains(ReasonCode.MEMBERSHIP_CHANGED);
  }

  @Test
  void aMembersKindDecidesWhichSelectorPicksIt() {
    world();
    // remote-cluster's reviews republished as an external service: app=reviews under
    // services no longer selects it...
    io.meshfed.avro.ServiceSnapshot external = io.meshfed.avro.ServiceSnapshot.newBuilder(
        (io.meshfed.avro.ServiceSnapshot) Bookinfo.reviewsService(REMOTE).value)
        .setKind(io.meshfed.avro.MemberKind.EXTERNAL_SERVICE).build();
    t.send(REMOTE, KeyValue.pair(EventKeys.service(REMOTE, "bookinfo", "reviews"), external));
    assertThat(config(MGMT).getTiers()).flatExtracting(tier -> tier.getMembers())
        .extracting(m -> m.getClusterName()).containsExactly(MGMT);

    // ...and the same selector under externalServices does.
    KeyValue<String, SpecificRecord> vd = Bookinfo.reviewsVirtualDestination();
    io.meshfed.avro.PolicyEvent event = (io.meshfed.avro.PolicyEvent) vd.value;
    io.meshfed.avro.VirtualDestinationSpec spec =
        (io.meshfed.avro.VirtualDestinationSpec) event.getSpec();
    spec.setExternalServices(List.copyOf(spec.getServices()));
    event.setGeneration(event.getGeneration() + 1);
    t.send(MGMT, vd);
    assertThat(config(MGMT).getTiers()).flatExtracting(tier -> tier.getMembers())
        .extracting(m -> m.getClusterName()).containsExactlyInAnyOrder(MGMT, REMOTE);
    PolicyStatus status = (PolicyStatus) t.latestConfig(MGMT)
        .get("PolicyStatus/VirtualDestination/global/reviews-vd");
    assertThat(status.getNumSelectedBackingServices()).isEqualTo(2);
    assertThat(status.getWarnings()).isEmpty();
  }
}
