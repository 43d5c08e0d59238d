package io.meshfed.bench.regions;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.agent.ClusterAgent;
import io.meshfed.agent.apply.IstioApplier;
import io.meshfed.agent.apply.Reconciler;
import io.meshfed.agent.config.AgentConfig;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.Directories;
import io.meshfed.testing.EmbeddedKafka;
import io.meshfed.testing.EmbeddedSchemaRegistry;
import io.meshfed.testing.SharedSchemaRegistry;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.topology.RoutingKeys;
import io.meshfed.topology.admin.TakeoverEpochs;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyMain;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.TopologyConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two regions joined by a real MirrorMaker 2 (issue #17): the hub region's Kafka runs the
 * topology; remote-cluster's agent (a real {@link ClusterAgent} on a mock Kubernetes API server)
 * lives in the standby region and talks only to that region's Kafka. mgmt-cluster, the policy
 * source, is homed at the hub; its agent is played by a producer of its records.
 */
@EnableKubernetesMockClient(crud = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoRegionIntegrationTest {

  static KubernetesClient client;

  private static Path work;
  private static EmbeddedKafka hub;
  private static EmbeddedKafka standby;
  private static MirrorMaker2 mirror;
  private static KafkaStreams hubTopology;
  private static KafkaStreams standbyTopology;
  private static ClusterAgent remoteAgent;
  private static KafkaProducer<String, SpecificRecord> mgmtAgent;
  private static RegistryConfig registryConfig;

  @BeforeAll
  static void twoRegions() throws Exception {
    work = Files.createTempDirectory("meshfed-regions");
    // One registry for both regions (README: the hub region runs it): the test
    // JVM's shared one, launched now if no earlier class did, ready after the brokers start.
    SharedSchemaRegistry.launch();
    hub = EmbeddedKafka.start();
    standby = EmbeddedKafka.start();
    EmbeddedSchemaRegistry registry = SharedSchemaRegistry.get();
    registryConfig = RegistryConfig.of(registry.confluentApiUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT);
    // Each region's provisioner creates every topic that region holds (README, "What each
    // region runs"): the hub every cluster's; the standby its own clusters' and the mirrored ones.
    for (String cluster : List.of(MGMT, REMOTE)) {
      TopicProvisioner.addCluster(hub.bootstrapServers(), cluster, (short) 1);
      TopicProvisioner.addCluster(standby.bootstrapServers(), cluster, (short) 1);
    }
    mirror = MirrorMaker2.start(hub.bootstrapServers(), standby.bootstrapServers(),
        RegionTopics.hubToStandby(List.of(MGMT), List.of(REMOTE)),
        RegionTopics.standbyToHub(List.of(REMOTE)));
    hubTopology = TopologyMain.start(TopologyConfig.defaults(hub.bootstrapServers(),
            registryConfig, Set.of(MGMT))
        .withApplicationId("meshfed-topology")
        .withStateDir(Files.createDirectories(work.resolve("hub-state"))));

    mgmtAgent = new KafkaProducer<>(Map.of("bootstrap.servers", hub.bootstrapServers(),
        "acks", "all"), new StringSerializer(),
        AvroSerde.anyRecord(new SchemaRegistryClient(registryConfig)).serializer());
    // mgmt-cluster's reviews endpoints are all down, so remote-cluster's (tier 1) take the
    // traffic: what remote-cluster's agent applies can only come from its own endpoints having
    // crossed to the hub.
    // The first registrations of a just-started registry can time out on a loaded machine;
    // a record is sent again until it goes (the topology keeps the latest per key anyway).
    await().atMost(Duration.ofSeconds(120)).ignoreExceptions().until(() -> {
      Bookinfo.publish(mgmtAgent, MGMT, Bookinfo.heartbeat(MGMT, Instant.now()),
          Bookinfo.reviewsService(MGMT), Bookinfo.reviewsEndpoints(MGMT, false),
          Bookinfo.outlierPolicy(),
          Bookinfo.failoverService("reviews-failover.bookinfo.global", 1));
      return true;
    });

    // remote-cluster, in the standby region: a Service and its endpoints in its API server.
    client.services().inNamespace("bookinfo").resource(new ServiceBuilder()
        .withMetadata(new ObjectMetaBuilder().withName("reviews").withNamespace("bookinfo")
            .withLabels(Map.of("app", "reviews")).withUid("uid-reviews-remote")
            .withCreationTimestamp("2026-11-22T09:00:00Z").build())
        .withNewSpec().addNewPort().withName("http").withPort(9080).withProtocol("TCP")
        .endPort().endSpec().build()).create();
    client.discovery().v1().endpointSlices().inNamespace("bookinfo").resource(
        new EndpointSliceBuilder()
            .withMetadata(new ObjectMetaBuilder().withName("reviews-v3").withNamespace("bookinfo")
                .withLabels(Map.of("kubernetes.io/service-name", "reviews")).build())
            .withAddressType("IPv4")
            .withEndpoints(new EndpointBuilder().withAddresses("10.1.0.21")
                .withZone("eu-west-1a").build())
            .withPorts(new EndpointPortBuilder().withName("http").withPort(9080).build())
            .build()).create();
    Properties p = new Properties();
    p.setProperty("meshfed.bootstrap.servers", standby.bootstrapServers());
    p.setProperty("meshfed.registry.url", registry.confluentApiUrl());
    p.setProperty("meshfed.registry.auto.register", "true");
    p.setProperty("meshfed.agent.region", "eu-west-1");
    p.setProperty("meshfed.agent.zones", "eu-west-1a");
    p.setProperty("meshfed.agent.heartbeat.interval.ms", "1000");
    p.setProperty("meshfed.agent.health.port", "0");
    remoteAgent = new ClusterAgent(AgentConfig.fromProperties(REMOTE, p), client).start();
  }

  @AfterAll
  static void stop() throws Exception {
    List<AutoCloseable> all = new ArrayList<>();
    all.add(remoteAgent);
    all.add(mgmtAgent);
    all.add(() -> {
      if (hubTopology != null) {
        hubTopology.close(Duration.ofSeconds(10));
      }
    });
    all.add(() -> {
      if (standbyTopology != null) {
        standbyTopology.close(Duration.ofSeconds(10));
      }
    });
    all.add(mirror);
    all.add(hub);
    all.add(standby);
    for (AutoCloseable c : all) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // a region already stopped by a test
      }
    }
    Directories.deleteRecursively(work);
  }

  /**
   * The whole loop across regions: remote-cluster's agent publishes to the standby's Kafka,
   * MM2 carries its events to the hub, the hub's topology decides, MM2 carries the config back,
   * and the agent applies it: a ServiceEntry whose only endpoint is remote-cluster's own.
   */
  @Test
  @Order(1)
  void agentInTheStandbyRegionAppliesWhatTheHubDecided() {
    // Generous: on a loaded 2-core machine the topology alone has taken 90 s to start.
    await().atMost(Duration.ofSeconds(300)).untilAsserted(() -> {
      GenericKubernetesResource se = serviceEntry();
      assertThat(se).isNotNull();
      assertThat(addresses(se)).containsExactly("10.1.0.21");
    });
    GenericKubernetesResource se = serviceEntry();
    assertThat(se.getAdditionalProperties().get("spec").toString())
        .contains("reviews-failover.bookinfo.global");
  }

  static GenericKubernetesResource serviceEntry() {
    List<GenericKubernetesResource> items = client.genericKubernetesResources(
        Reconciler.contextFor(IstioApplier.SERVICE_ENTRY)).inNamespace("meshfed").list()
        .getItems();
    return items.isEmpty() ? null : items.get(0);
  }

  @SuppressWarnings("unchecked")
  static List<String> addresses(GenericKubernetesResource se) {
    Map<String, Object> spec = (Map<String, Object>) se.getAdditionalProperties().get("spec");
    return ((List<Map<String, Object>>) spec.get("endpoints")).stream()
        .map(e -> (String) e.get("address")).toList();
  }

  /**
   * The hub region is lost: its topology, MirrorMaker 2 and its Kafka stop at once. The standby
   * topology (same application id, on the standby's Kafka) seeds its epochs from what was
   * mirrored ({@link TakeoverEpochs}), starts, rebuilds its state from the mirrored and local
   * inputs, and decides the next change: a second endpoint of remote-cluster. Within
   * {@link #TAKEOVER_BOUND} of the loss the agent applies it, with an epoch above every epoch
   * the hub wrote; and a late config of the old hub (a lower epoch) is refused by the agent.
   */
  @Test
  @Order(2)
  void theStandbyTakesOverWithMonotonicEpochsWhenTheHubIsLost() throws Exception {
    List<FederatedDestination> beforeLoss = await().atMost(Duration.ofSeconds(60))
        .until(() -> configsAtStandby(), l -> !l.isEmpty());
    long hubEpoch = beforeLoss.get(beforeLoss.size() - 1).getEpoch();

    long lost = System.nanoTime();
    hubTopology.close(Duration.ZERO); // a region loss: no clean leave, nothing flushed after
    mirror.close();
    hub.close();

    TopologyConfig standbyConfig = TopologyConfig.defaults(standby.bootstrapServers(),
            registryConfig, Set.of(MGMT))
        .withApplicationId("meshfed-topology")
        .withStateDir(Files.createDirectories(work.resolve("standby-state")));
    Map<String, Long> seeded = TakeoverEpochs.seed(standbyConfig);
    // Epochs are per destination, shared by its clients: mgmt-cluster's decisions may have
    // taken it past remote-cluster's last config.
    assertThat(seeded.get(RoutingKeys.destination(Bookinfo.REVIEWS_FAILOVER)))
        .isGreaterThanOrEqualTo(hubEpoch);
    standbyTopology = TopologyMain.start(standbyConfig);

    // The change after the loss: remote-cluster gains an endpoint.
    client.discovery().v1().endpointSlices().inNamespace("bookinfo").resource(
        new EndpointSliceBuilder()
            .withMetadata(new ObjectMetaBuilder().withName("reviews-v3b").withNamespace("bookinfo")
                .withLabels(Map.of("kubernetes.io/service-name", "reviews")).build())
            .withAddressType("IPv4")
            .withEndpoints(new EndpointBuilder().withAddresses("10.1.0.22")
                .withZone("eu-west-1a").build())
            .withPorts(new EndpointPortBuilder().withName("http").withPort(9080).build())
            .build()).create();
    await().atMost(TAKEOVER_BOUND).untilAsserted(() ->
        assertThat(addresses(serviceEntry())).containsExactlyInAnyOrder("10.1.0.21",
            "10.1.0.22"));
    double tookSeconds = (System.nanoTime() - lost) / 1e9;
    System.out.printf("standby took over and the next decision was applied %.1f s after the"
        + " hub was lost%n", tookSeconds);

    // Every config remote-cluster's topic ever held, hub's then standby's: epochs only rise.
    List<FederatedDestination> all = configsAtStandby();
    assertThat(all.size()).isGreaterThan(beforeLoss.size());
    // Sorted, not strictly: MM2 copies at least once, so a record may be there twice.
    assertThat(all.stream().map(FederatedDestination::getEpoch).toList()).isSorted();
    assertThat(all.get(all.size() - 1).getEpoch()).isGreaterThan(hubEpoch);

    // A late record of the old hub: an older epoch. The agent keeps what it applied.
    try (var late = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers",
        standby.bootstrapServers()), new StringSerializer(),
        AvroSerde.anyRecord(new SchemaRegistryClient(registryConfig)).serializer())) {
      late.send(new ProducerRecord<>(RegionTopics.config(REMOTE), CONFIG_KEY,
          beforeLoss.get(beforeLoss.size() - 1))).get();
    }
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(addresses(serviceEntry())).containsExactlyInAnyOrder("10.1.0.21",
            "10.1.0.22"));
  }

  /**
   * The README's bound (Operating at scale) from the hub's loss to the standby's next decision
   * applied, on a 2-core machine; most of it is Kafka Streams starting and rebalancing.
   */
  static final Duration TAKEOVER_BOUND = Duration.ofSeconds(180);

  private static final String CONFIG_KEY =
      "FederatedDestination/FailoverService/service-mesh-hub/reviews-failover";

  /** The FederatedDestinations on remote-cluster's config topic at the standby, in order. */
  static List<FederatedDestination> configsAtStandby() {
    List<FederatedDestination> out = new ArrayList<>();
    try (KafkaConsumer<String, SpecificRecord> c = new KafkaConsumer<>(Map.<String, Object>of(
        "bootstrap.servers", standby.bootstrapServers(), "isolation.level", "read_committed",
        "enable.auto.commit", false), new StringDeserializer(),
        AvroSerde.anyRecord(new SchemaRegistryClient(registryConfig)).deserializer())) {
      // One key: its records are on one partition, in the order they were written.
      List<TopicPartition> tps = c.partitionsFor(RegionTopics.config(REMOTE)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps);
      while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (var r : c.poll(Duration.ofMillis(200))) {
          if (r.value() instanceof FederatedDestination fd && CONFIG_KEY.equals(r.key())) {
            out.add(fd);
          }
        }
      }
    }
    return out;
  }
}
