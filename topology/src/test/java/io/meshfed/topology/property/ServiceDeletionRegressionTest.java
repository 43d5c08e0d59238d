package io.meshfed.topology.property;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.EndpointPort;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.MeshKind;
import io.meshfed.avro.ObjectSelector;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PortMapping;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ServicePort;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.avro.TargetPort;
import io.meshfed.avro.VirtualDestinationSpec;
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
 * Found by {@link TopologyPropertyTest}: a VirtualDestination whose last backing service is
 * deleted. The decision that withdraws the tier (it had 100% of the traffic, now there is no
 * tier) made {@code Decider.explain} read {@code raw.get(-1)}: an
 * ArrayIndexOutOfBoundsException, the member removal dead-lettered, and every client kept
 * routing to the deleted service (every later evaluation of the destination failed the same
 * way until a backing service came back). Now a MEMBERSHIP_CHANGED decision withdraws the tier.
 */
class ServiceDeletionRegressionTest extends DriverTestBase {

  static final String MGMT = Bookinfo.MGMT;
  static final String KEY = "FederatedDestination/VirtualDestination/global/vd-0";

  KeyValue<String, SpecificRecord> heartbeat() {
    return KeyValue.pair(EventKeys.heartbeat(MGMT), ClusterHeartbeat.newBuilder()
        .setAgentVersion("test").setRegion("us-east-1").setZones(List.of("us-east-1a"))
        .setMeshKind(MeshKind.ISTIO).setTime(t.now()).setStartedAt(Bookinfo.CREATED).build());
  }

  static KeyValue<String, SpecificRecord> service(boolean present) {
    return KeyValue.pair(EventKeys.service(MGMT, "shop", "ratings"), !present ? null
        : ServiceSnapshot.newBuilder().setNamespace("shop").setName("ratings")
            .setUid("uid-ratings").setCreationTimestamp(Bookinfo.CREATED)
            .setLabels(Map.of("app", "ratings"))
            .setPorts(List.of(new ServicePort("http", 9080, "TCP", null))).build());
  }

  static KeyValue<String, SpecificRecord> endpoints() {
    return KeyValue.pair(EventKeys.endpoints(MGMT, "shop", "ratings"),
        EndpointSnapshot.newBuilder().setNamespace("shop").setServiceName("ratings")
            .setPorts(List.of(new EndpointPort("http", 9080, "TCP", null)))
            .setEndpoints(List.of(io.meshfed.avro.Endpoint.newBuilder()
                .setAddresses(List.of("10.0.0.1")).setReady(true).setServing(true).build()))
            .build());
  }

  static KeyValue<String, SpecificRecord> virtualDestination() {
    return KeyValue.pair(EventKeys.policy(MGMT, ResourceKind.VirtualDestination, "global",
        "vd-0"), PolicyEvent.newBuilder().setKind(ResourceKind.VirtualDestination)
        .setNamespace("global").setName("vd-0").setUid("uid-vd").setGeneration(1)
        .setCreationTimestamp(Bookinfo.CREATED)
        .setSpec(VirtualDestinationSpec.newBuilder().setHosts(List.of("vd-0.mesh.internal"))
            .setServices(List.of(ObjectSelector.newBuilder()
                .setLabels(Map.of("app", "ratings")).build()))
            .setPorts(List.of(new PortMapping(8080L, "HTTP", new TargetPort(null, "http"))))
            .build())
        .build());
  }

  private FederatedDestination config() {
    return (FederatedDestination) t.latestConfig(MGMT).get(KEY);
  }

  @Test
  void deletingTheLastBackingServiceWithdrawsItsTier() {
    t.send(MGMT, heartbeat(), service(true), endpoints(), virtualDestination());
    t.tick(Duration.ofMillis(50));
    assertThat(config().getTiers()).singleElement()
        .satisfies(tier -> assertThat(tier.getLoadPercent()).isEqualTo(100));
    long lastEpoch = t.decisions().readValuesToList().stream()
        .mapToLong(io.meshfed.avro.FailoverDecision::getEpoch).max().orElseThrow();

    t.send(MGMT, service(false));
    t.tick(Duration.ofMillis(50));
    t.send(MGMT, heartbeat());
    t.tick(Duration.ofSeconds(1));

    assertThat(t.deadLetters().readRecordsToList()).as("dead-lettered records")
        .extracting(r -> new String(r.headers().lastHeader("__streams.errors.exception").value())
            + ": " + new String(r.headers().lastHeader("__streams.errors.message").value()))
        .isEmpty();
    assertThat(t.decisions().readValuesToList()).singleElement().satisfies(d -> {
      assertThat(d.getEpoch()).isEqualTo(lastEpoch + 1);
      assertThat(d.getAfter().getTierLoadPercent()).isEmpty();
      assertThat(d.getReasonCode()).isEqualTo(io.meshfed.avro.ReasonCode.MEMBERSHIP_CHANGED);
    });
    assertThat(config().getTiers()).isEmpty();
    assertThat(config().getActiveTier()).isEqualTo(-1);
  }
}
