package io.meshfed.connectors.probe;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.EndpointHealth;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.HealthSignal;
import io.meshfed.avro.ObjectSelector;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.OutlierDetectionPolicySpec;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.avro.TierOrdering;
import io.meshfed.avro.WeightedEndpoint;
import io.meshfed.connectors.prometheus.PrometheusHealthSourceConnector;
import io.meshfed.connectors.testing.ConnectWorker;
import io.meshfed.connectors.testing.LoopbackHttpServer;
import io.meshfed.connectors.testing.TopologyRig;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.EventKeys;
import io.meshfed.topology.Bookinfo;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * External members end to end, every part real: two VMs (loopback HTTP servers on 127.0.0.2 and
 * 127.0.0.3) declared in a HealthProbeSourceConnector with {@code members.publish}, running in a
 * real Connect worker; the connector publishes them as cluster vm-datacenter and probes them;
 * the real topology selects them into the reviews VirtualDestination's last tier. Both
 * Kubernetes tiers failing moves traffic to the VMs; one VM's health check failing ejects it.
 * (The order matters for what can be seen: health in a tier without traffic changes no weight,
 * so the topology emits no new config for it.)
 */
class ExternalMembersEndToEndTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry();

  static final String VMS = "vm-datacenter";
  static final String CONFIG_KEY = EventKeys.config("FederatedDestination",
      ResourceKind.VirtualDestination, "global", "reviews-vd");

  static final AtomicBoolean vmOneFailing = new AtomicBoolean();
  static LoopbackHttpServer vmOne;
  static LoopbackHttpServer vmTwo;

  static TopologyRig rig;
  static KafkaProducer<String, SpecificRecord> agent;
  static ConnectWorker worker;

  @BeforeAll
  static void start() throws Exception {
    // Two VMs of one service: the same port on two addresses, as an EndpointSlice lists them.
    vmOne = new LoopbackHttpServer(InetAddress.getByName("127.0.0.2"), 0, exchange ->
        LoopbackHttpServer.respond(exchange, vmOneFailing.get() ? 503 : 200, "text/plain",
            vmOneFailing.get() ? "down" : "ok"));
    vmTwo = new LoopbackHttpServer(InetAddress.getByName("127.0.0.3"), vmOne.port(),
        exchange -> LoopbackHttpServer.respond(exchange, 200, "text/plain", "ok"));

    // The VMs' cluster beats through the connector; the Kubernetes clusters through the rig.
    rig = TopologyRig.start(STACK, "e2e-external", List.of(HealthSignal.getClassSchema(),
        ServiceSnapshot.getClassSchema(), EndpointSnapshot.getClassSchema(),
        ClusterHeartbeat.getClassSchema()), List.of(MGMT, REMOTE, VMS), List.of(MGMT, REMOTE),
        Duration.ofSeconds(1));
    agent = rig.agent();
    worker = rig.worker();
  }

  @AfterAll
  static void stop() throws Exception {
    if (rig != null) {
      rig.close();
    }
    for (LoopbackHttpServer vm : new LoopbackHttpServer[] {vmOne, vmTwo}) {
      if (vm != null) {
        vm.close();
      }
    }
  }

  @Test
  void vmsAreTheLastTierTakeTrafficWhenKubernetesFailsAndAFailingHealthCheckEjectsOne()
      throws Exception {
    // reviews on both clusters, the VirtualDestination over app=reviews (from mgmt-cluster),
    // cluster order mgmt, remote, then the VMs; a tier stays healthy down to half its
    // endpoints; one failed check ejects for a minute (longer than the test).
    Bookinfo.publish(agent, MGMT, Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    Bookinfo.publish(agent, REMOTE, Bookinfo.reviewsService(REMOTE),
        Bookinfo.reviewsEndpoints(REMOTE, true));
    ObjectSelector teamReviews = ObjectSelector.newBuilder()
        .setLabels(Map.of("team", "reviews")).build();
    Bookinfo.publish(agent, MGMT,
        Bookinfo.globalPolicy(ResourceKind.FailoverPolicy, "reviews-order",
            io.meshfed.avro.FailoverPolicySpec.newBuilder()
                .setDestinations(List.of(teamReviews))
                .setOrdering(TierOrdering.CLUSTER_ORDER)
                .setClusterOrder(List.of(MGMT, REMOTE, VMS))
                .setFailoverThresholdPercent(50).build()),
        Bookinfo.globalPolicy(ResourceKind.OutlierDetectionPolicy, "reviews-outlier",
            new OutlierDetectionPolicySpec(List.of(teamReviews),
                new OutlierDetection(1, null, 60_000L, null))),
        withExternalServices(Bookinfo.reviewsVirtualDestination()));

    ObjectMapper json = new ObjectMapper();
    worker.rest("PUT", "/connectors/vm-reviews/config", json.createObjectNode()
        .put("connector.class", HealthProbeSourceConnector.class.getName())
        .put("key.converter", PrometheusHealthSourceConnector.BYTE_ARRAY_CONVERTER)
        .put("value.converter", PrometheusHealthSourceConnector.BYTE_ARRAY_CONVERTER)
        .put("meshfed.cluster", VMS)
        .put("probe.targets", "bookinfo/reviews-vm/127.0.0.2:" + vmOne.port()
            + ",bookinfo/reviews-vm/127.0.0.3:" + vmTwo.port())
        .put("probe.http.path", "/healthz")
        .put("probe.http.expected.body", "ok")
        .put("probe.interval.ms", "500")
        .put("probe.jitter.ms", "100")
        .put("probe.timeout.ms", "2000")
        .put("members.publish", "true")
        .put("members.labels", "app=reviews")
        .put("members.port.name", "http")
        .put("registry.url", STACK.registryUrl()));

    // The VMs are published, selected and healthy: the last of three tiers.
    await().atMost(Duration.ofSeconds(180)).untilAsserted(() -> {
      FederatedDestination config = latest(MGMT);
      assertThat(config).isNotNull();
      assertThat(config.getActiveTier()).isZero();
      assertThat(config.getTiers()).hasSize(3);
      DestinationTier vms = config.getTiers().get(2);
      assertThat(vms.getMembers()).singleElement().satisfies(m -> {
        assertThat(m.getClusterName()).isEqualTo(VMS);
        assertThat(m.getName()).isEqualTo("reviews-vm");
      });
      assertThat(health(vms)).containsExactlyInAnyOrderEntriesOf(Map.of(
          "127.0.0.2:" + vmOne.port(), EndpointHealth.HEALTHY,
          "127.0.0.3:" + vmTwo.port(), EndpointHealth.HEALTHY));
    });

    // Both Kubernetes tiers fail: all traffic to the VMs.
    Bookinfo.publish(agent, MGMT, Bookinfo.reviewsEndpoints(MGMT, false));
    Bookinfo.publish(agent, REMOTE, Bookinfo.reviewsEndpoints(REMOTE, false));
    await().atMost(Duration.ofSeconds(180)).untilAsserted(() -> {
      FederatedDestination config = latest(MGMT);
      assertThat(config.getActiveTier()).isEqualTo(2);
      assertThat(config.getTiers().get(2).getLoadPercent()).isEqualTo(100);
      assertThat(weights(config.getTiers().get(2))).containsOnlyKeys(
          "127.0.0.2:" + vmOne.port(), "127.0.0.3:" + vmTwo.port())
          .allSatisfy((endpoint, weight) -> assertThat(weight).isPositive());
    });
    FailoverDecision failover = decisions().stream()
        .filter(d -> d.getClientCluster().equals(MGMT))
        .filter(d -> d.getAfter().getActiveTier() == 2)
        .findFirst().orElseThrow();
    assertThat(failover.getReason()).contains("100% to tier 2 " + VMS + "/bookinfo/reviews-vm");

    // VM one's health check fails: outlier detection ejects it, VM two takes all the traffic.
    vmOneFailing.set(true);
    await().atMost(Duration.ofSeconds(180)).untilAsserted(() -> {
      FederatedDestination config = latest(MGMT);
      assertThat(config.getActiveTier()).isEqualTo(2);
      DestinationTier vms = config.getTiers().get(2);
      assertThat(health(vms)).containsExactlyInAnyOrderEntriesOf(Map.of(
          "127.0.0.2:" + vmOne.port(), EndpointHealth.EJECTED,
          "127.0.0.3:" + vmTwo.port(), EndpointHealth.HEALTHY));
      assertThat(weights(vms).get("127.0.0.2:" + vmOne.port())).isZero();
      assertThat(weights(vms).get("127.0.0.3:" + vmTwo.port())).isPositive();
    });
  }

  static Map<String, Integer> weights(DestinationTier tier) {
    Map<String, Integer> weights = new java.util.TreeMap<>();
    for (WeightedEndpoint e : tier.getEndpoints()) {
      weights.put(e.getAddress() + ":" + e.getPort(), e.getWeight());
    }
    return weights;
  }

  static Map<String, EndpointHealth> health(DestinationTier tier) {
    Map<String, EndpointHealth> health = new java.util.TreeMap<>();
    for (WeightedEndpoint e : tier.getEndpoints()) {
      health.put(e.getAddress() + ":" + e.getPort(), e.getHealth());
    }
    return health;
  }

  static List<FailoverDecision> decisions() {
    return rig.decisions();
  }

  static FederatedDestination latest(String client) {
    return rig.latest(client, CONFIG_KEY);
  }


  /**
   * The walkthrough's VirtualDestination, whose app=reviews selector also picks external
   * services: the VMs are published as EXTERNAL_SERVICE (the connector's default members.kind),
   * which a services selector does not select.
   */
  private static KeyValue<String, SpecificRecord> withExternalServices(
      KeyValue<String, SpecificRecord> virtualDestination) {
    io.meshfed.avro.PolicyEvent event = (io.meshfed.avro.PolicyEvent) virtualDestination.value;
    io.meshfed.avro.VirtualDestinationSpec spec =
        (io.meshfed.avro.VirtualDestinationSpec) event.getSpec();
    spec.setExternalServices(List.copyOf(spec.getServices()));
    return virtualDestination;
  }
}
