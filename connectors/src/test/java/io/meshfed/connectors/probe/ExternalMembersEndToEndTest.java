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
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.EventKeys;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyMain;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.TopologyConfig;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
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
  static ConnectWorker worker;
  static KafkaStreams topology;
  static Path stateDir;
  static KafkaProducer<String, SpecificRecord> agent;
  static ScheduledExecutorService heartbeats;
  static Collector out;
  static SchemaRegistryClient registry;

  @BeforeAll
  static void start() throws Exception {
    // Two VMs of one service: the same port on two addresses, as an EndpointSlice lists them.
    vmOne = new LoopbackHttpServer(InetAddress.getByName("127.0.0.2"), 0, exchange ->
        LoopbackHttpServer.respond(exchange, vmOneFailing.get() ? 503 : 200, "text/plain",
            vmOneFailing.get() ? "down" : "ok"));
    vmTwo = new LoopbackHttpServer(InetAddress.getByName("127.0.0.3"), vmOne.port(),
        exchange -> LoopbackHttpServer.respond(exchange, 200, "text/plain", "ok"));

    registry = new SchemaRegistryClient(
        RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true));
    // As the release pipeline would: the connector itself does not register schemas.
    for (var schema : List.of(HealthSignal.getClassSchema(), ServiceSnapshot.getClassSchema(),
        EndpointSnapshot.getClassSchema(), ClusterHeartbeat.getClassSchema())) {
      registry.register(AvroSerde.subjectFor(schema), schema);
    }
    for (String cluster : List.of(MGMT, REMOTE, VMS)) {
      TopicProvisioner.addCluster(STACK.bootstrapServers(), cluster, (short) 1);
    }
    stateDir = Files.createTempDirectory("meshfed-e2e-external");
    TopologyConfig config = TopologyConfig.defaults(STACK.bootstrapServers(), registry.config(),
            Set.of(MGMT))
        .withApplicationId("e2e-external")
        .withStateDir(stateDir)
        .withTimers(Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofMillis(200));
    topology = TopologyMain.start(config, new Properties());
    await().atMost(Duration.ofSeconds(180))
        .until(() -> topology.state() == KafkaStreams.State.RUNNING);
    out = new Collector();

    agent = new KafkaProducer<>(Map.<String, Object>of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ACKS_CONFIG, "all"),
        new StringSerializer(), AvroSerde.anyRecord(registry).serializer());
    heartbeats = Executors.newSingleThreadScheduledExecutor();
    heartbeats.scheduleAtFixedRate(() -> {
      try {
        Bookinfo.publish(agent, MGMT, Bookinfo.heartbeat(MGMT, Instant.now()));
        Bookinfo.publish(agent, REMOTE, Bookinfo.heartbeat(REMOTE, Instant.now()));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, 0, 1, TimeUnit.SECONDS);
    worker = ConnectWorker.start(STACK.bootstrapServers(), "meshfed-e2e-external-connect");
  }

  @AfterAll
  static void stop() throws Exception {
    if (worker != null) {
      worker.close();
    }
    if (heartbeats != null) {
      heartbeats.shutdownNow();
      heartbeats.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (out != null) {
      out.close();
    }
    if (topology != null) {
      topology.close(Duration.ofSeconds(30));
    }
    if (agent != null) {
      agent.close();
    }
    for (LoopbackHttpServer vm : new LoopbackHttpServer[] {vmOne, vmTwo}) {
      if (vm != null) {
        vm.close();
      }
    }
    if (stateDir != null) {
      try (var files = Files.walk(stateDir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
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
    return out.seen.stream().filter(r -> r.topic().equals(MeshfedTopics.FAILOVER_EVENTS))
        .map(r -> (FailoverDecision) r.value()).toList();
  }

  static FederatedDestination latest(String client) {
    FederatedDestination latest = null;
    for (ConsumerRecord<String, SpecificRecord> r : out.seen) {
      if (r.topic().equals("meshfed.cluster." + client + ".config")
          && CONFIG_KEY.equals(r.key())) {
        latest = (FederatedDestination) r.value();
      }
    }
    return latest;
  }

  /** Everything the topology writes, read_committed, as a subscriber sees it. */
  static final class Collector implements AutoCloseable {
    final Queue<ConsumerRecord<String, SpecificRecord>> seen = new ConcurrentLinkedQueue<>();
    private final KafkaConsumer<String, SpecificRecord> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    Collector() {
      consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
          ConsumerConfig.GROUP_ID_CONFIG, "e2e-external-collector",
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
          ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
          ConsumerConfig.METADATA_MAX_AGE_CONFIG, 1000),
          new StringDeserializer(), AvroSerde.anyRecord(registry).deserializer());
      thread = new Thread(() -> {
        try {
          consumer.subscribe(Pattern.compile(
              "meshfed\\.cluster\\..*\\.config|meshfed\\.failover-events"));
          while (running) {
            consumer.poll(Duration.ofMillis(50)).forEach(seen::add);
          }
        } catch (WakeupException stopping) {
          // closing
        } finally {
          consumer.close();
        }
      }, "e2e-external-collector");
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      consumer.wakeup();
      thread.join(10_000);
    }
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
