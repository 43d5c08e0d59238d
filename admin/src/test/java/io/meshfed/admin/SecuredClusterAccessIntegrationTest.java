package io.meshfed.admin;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshfed.avro.FederatedDestination;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.EmbeddedKafka;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.MeshfedTopology;
import io.meshfed.topology.StreamsSettings;
import io.meshfed.topology.config.TopologyConfig;
import io.meshfed.topology.lag.EventsLag;
import io.meshfed.topology.lag.EventsLagMonitor;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue #16's isolation promise on a secured broker (SASL SCRAM, StandardAuthorizer, nothing
 * allowed without an ACL): {@code add-cluster} A (mgmt-cluster) and B (remote-cluster), then
 * A's credentials against B's topics, the decision log and topic creation; A's own path through
 * the real topology running as its own principal; and {@code remove-cluster} A cutting A off on
 * its next request. The removal runs last: it takes A away from the other tests.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecuredClusterAccessIntegrationTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry().secured();

  private static final String APPLICATION_ID = "meshfed-topology-secured-it";
  private static final String CONFIG_KEY =
      "FederatedDestination/FailoverService/service-mesh-hub/reviews-failover";

  private static Admin superUser;
  private static AccessAdmin access;
  private static AccessAdmin.Credentials agentA;
  private static AccessAdmin.Credentials agentB;
  private static AccessAdmin.Credentials topology;
  private static SchemaRegistryClient registry;
  private static KafkaStreams topologyStreams;
  private static final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeAll
  static void addClusters() {
    superUser = STACK.kafka().admin();
    access = new AccessAdmin(superUser, AccessPlan.DEFAULT_TOPOLOGY_USER);
    agentA = access.addCluster(MGMT, (short) 1).agent();
    agentB = access.addCluster(REMOTE, (short) 1).agent();
    topology = access.grantTopology(APPLICATION_ID);
    registry = new SchemaRegistryClient(
        RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT));
  }

  @AfterAll
  static void closeAll() throws Exception {
    java.util.Collections.reverse(toClose);
    for (AutoCloseable c : toClose) {
      try {
        c.close();
      } catch (org.apache.kafka.common.KafkaException e) {
        // A client of the removed cluster reports its refusal once more when closed.
        assertThat(e).rootCause().isInstanceOf(TopicAuthorizationException.class);
      }
    }
    superUser.close();
  }

  @Test
  @Order(1)
  void agentACannotWriteTheEventsTopicOfB() {
    KafkaProducer<String, byte[]> producer = agentProducer(agentA);
    assertThatThrownBy(() -> producer.send(new ProducerRecord<>(events(REMOTE),
        REMOTE + "/Heartbeat", new byte[] {0})).get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(TopicAuthorizationException.class)
        .hasMessageContaining(events(REMOTE));
  }

  @Test
  @Order(1)
  void agentACannotWriteItsOwnConfigTopic() {
    KafkaProducer<String, byte[]> producer = agentProducer(agentA);
    assertThatThrownBy(() -> producer.send(new ProducerRecord<>(config(MGMT), CONFIG_KEY,
        new byte[] {0})).get(10, TimeUnit.SECONDS))
        .cause().isInstanceOf(TopicAuthorizationException.class);
  }

  @Test
  @Order(1)
  void agentACannotReadTheConfigTopicOfB() {
    assertThatThrownBy(() -> readFromStart(agentA, config(REMOTE)))
        .isInstanceOf(TopicAuthorizationException.class)
        .hasMessageContaining(config(REMOTE));
  }

  @Test
  @Order(1)
  void agentACannotReadTheDecisionLog() {
    assertThatThrownBy(() -> readFromStart(agentA, MeshfedTopics.FAILOVER_EVENTS))
        .isInstanceOf(TopicAuthorizationException.class)
        .hasMessageContaining(MeshfedTopics.FAILOVER_EVENTS);
  }

  @Test
  @Order(1)
  void agentACannotCreateTopicsNorGrantItselfAccess() throws Exception {
    try (Admin admin = Admin.create(clientSettings(agentA))) {
      assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic(
          "meshfed.cluster.intruder.events", 1, (short) 1))).all().get(10, TimeUnit.SECONDS))
          .cause().isInstanceOf(TopicAuthorizationException.class);
      assertThatThrownBy(() -> admin.createAcls(AccessPlan.bindings(
          AccessPlan.agent(REMOTE).stream().map(g -> new AccessPlan.Grant(
              "User:" + agentA.user(), g.resource(), g.operations())).toList()))
          .all().get(10, TimeUnit.SECONDS))
          .cause().isInstanceOf(ClusterAuthorizationException.class);
    }
  }

  /**
   * The topology's grants do not include the broker's configs, so its start cannot ask which
   * sessions the broker accepts: it keeps the stock 6 s (TopologyMain says so in one line)
   * instead of failing.
   */
  @Test
  @Order(1)
  void theTopologyCannotReadTheBrokersSessionBoundsAndKeepsTheStockSession() {
    try (Admin admin = Admin.create(clientSettings(topology))) {
      io.meshfed.topology.admin.GroupSessionBounds.Answer answer =
          io.meshfed.topology.admin.GroupSessionBounds.ask(admin, Duration.ofSeconds(10));
      assertThat(answer.bounds()).isEmpty();
      assertThat(answer.whyUnknown()).startsWith("ClusterAuthorizationException");
    }
    assertThat(io.meshfed.topology.config.CrashDetection.DEFAULT.sessionTimeout())
        .isEqualTo(Duration.ofSeconds(6));
  }

  @Test
  @Order(1)
  void theTopologyCannotReadConfigTopicsNorWriteEventsTopics() {
    assertThatThrownBy(() -> readFromStart(topology, config(MGMT)))
        .isInstanceOf(TopicAuthorizationException.class);
    assertThatThrownBy(() -> agentProducer(topology).send(new ProducerRecord<>(events(MGMT),
        MGMT + "/Heartbeat", new byte[] {0})).get(10, TimeUnit.SECONDS))
        .cause().isInstanceOf(TopicAuthorizationException.class);
  }

  /**
   * A's own path end to end: A's agent (its producer settings, its credentials) publishes, the
   * real topology decides under its own principal, and A reads its config as its agent does.
   */
  @Test
  @Order(2)
  void agentAsOwnPathWorksThroughTheRealTopology() throws Exception {
    startTopology();
    KafkaProducer<String, SpecificRecord> a = avroAgentProducer(agentA);
    KafkaProducer<String, SpecificRecord> b = avroAgentProducer(agentB);
    Bookinfo.publish(b, REMOTE, Bookinfo.heartbeat(REMOTE, Instant.now()),
        Bookinfo.reviewsService(REMOTE), Bookinfo.reviewsEndpoints(REMOTE, true));
    Bookinfo.publish(a, MGMT, Bookinfo.heartbeat(MGMT, Instant.now()),
        Bookinfo.reviewsService(MGMT), Bookinfo.reviewsEndpoints(MGMT, true),
        Bookinfo.outlierPolicy(), Bookinfo.failoverService("reviews-failover.bookinfo.global", 1));

    KafkaConsumer<String, SpecificRecord> follower = configFollower(agentA, MGMT);
    Map<String, SpecificRecord> desired = new HashMap<>();
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      for (ConsumerRecord<String, SpecificRecord> r : follower.poll(Duration.ofMillis(200))) {
        desired.put(r.key(), r.value());
      }
      return desired.get(CONFIG_KEY) instanceof FederatedDestination;
    });
    FederatedDestination fd = (FederatedDestination) desired.get(CONFIG_KEY);
    assertThat(fd.getTiers()).isNotEmpty();
    // The backlog monitor TopologyMain starts beside Streams measures with the same grants.
    await().atMost(Duration.ofSeconds(30)).until(() ->
        EventsLag.of(APPLICATION_ID).keySet().containsAll(List.of(MGMT, REMOTE)));
  }

  /**
   * remove-cluster A: A's producer and consumer, already connected and authenticated, fail on
   * their next request, and A cannot log in again; B and the topology carry on.
   */
  @Test
  @Order(3)
  void aRemovedClusterIsCutOffOnItsNextRequest() throws Exception {
    KafkaProducer<String, byte[]> producer = agentProducer(agentA);
    producer.send(new ProducerRecord<>(events(MGMT), MGMT + "/Heartbeat", new byte[] {0}))
        .get(10, TimeUnit.SECONDS);
    KafkaConsumer<String, byte[]> consumer = rawConsumer(agentA);
    consumer.assign(List.of(new TopicPartition(config(MGMT), 0)));
    consumer.seekToBeginning(consumer.assignment());
    consumer.poll(Duration.ofMillis(500));

    access.removeCluster(MGMT);

    assertThatThrownBy(() -> producer.send(new ProducerRecord<>(events(MGMT),
        MGMT + "/Heartbeat", new byte[] {0})).get(10, TimeUnit.SECONDS))
        .cause().isInstanceOf(TopicAuthorizationException.class);
    consumer.seekToBeginning(consumer.assignment());
    assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(5)))
        .isInstanceOf(TopicAuthorizationException.class);
    assertThatThrownBy(() -> readFromStart(agentA, config(MGMT)))
        .isInstanceOf(SaslAuthenticationException.class);
    agentProducer(agentB).send(new ProducerRecord<>(events(REMOTE), REMOTE + "/Heartbeat",
        new byte[] {0})).get(10, TimeUnit.SECONDS);
    // The topology keeps reading A's topic (an authorization error would end its thread).
    assertThat(topologyStreams.state()).isEqualTo(KafkaStreams.State.RUNNING);
  }

  private static void startTopology() throws Exception {
    TopologyConfig config = TopologyConfig.defaults(STACK.bootstrapServers(), registry.config(),
            Set.of(MGMT))
        .withApplicationId(APPLICATION_ID)
        .withStateDir(Files.createTempDirectory("meshfed-secured-it"))
        // One partition per internal topic, as 'meshfed up' runs it: the grants are per topic
        // prefix, group and transactional id, none per partition; one instance gains nothing
        // from more but tasks.
        .withPartitions(1);
    // TopologyMain.start would first provision the shared topics with an unauthenticated admin
    // client; add-cluster created them, so the topology and its backlog monitor are started as
    // TopologyMain starts them without that step, with the topology's credentials.
    Properties props = StreamsSettings.from(config);
    props.putAll(clientSettings(topology));
    KafkaStreams streams = new KafkaStreams(MeshfedTopology.build(config, registry), props);
    toClose.add(() -> streams.close(Duration.ofSeconds(30)));
    Properties monitorClient = new Properties();
    monitorClient.putAll(clientSettings(topology));
    EventsLagMonitor lag = EventsLagMonitor.start(APPLICATION_ID,
        new MeshfedTopics(registry).clusterEvents(), monitorClient);
    toClose.add(lag);
    topologyStreams = streams;
    streams.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      assertThat(streams.state()).isNotIn(KafkaStreams.State.ERROR,
          KafkaStreams.State.PENDING_ERROR);
      return streams.state() == KafkaStreams.State.RUNNING;
    });
  }

  private static Map<String, Object> clientSettings(AccessAdmin.Credentials who) {
    Map<String, Object> settings = new HashMap<>(
        EmbeddedKafka.Security.clientSettings(who.user(), who.password()));
    settings.put("bootstrap.servers", STACK.bootstrapServers());
    return settings;
  }

  /** The producer settings of {@code ClusterAgent}: idempotent, acks=all, bounded waits. */
  private static Map<String, Object> agentProducerSettings(AccessAdmin.Credentials who) {
    Map<String, Object> settings = clientSettings(who);
    settings.put(ProducerConfig.ACKS_CONFIG, "all");
    settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    settings.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    settings.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
    settings.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    settings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    return settings;
  }

  private static KafkaProducer<String, byte[]> agentProducer(AccessAdmin.Credentials who) {
    var producer = new KafkaProducer<>(agentProducerSettings(who), new StringSerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer());
    toClose.add(producer);
    return producer;
  }

  private static KafkaProducer<String, SpecificRecord> avroAgentProducer(
      AccessAdmin.Credentials who) {
    var producer = new KafkaProducer<>(agentProducerSettings(who), new StringSerializer(),
        AvroSerde.anyRecord(registry).serializer());
    toClose.add(producer);
    return producer;
  }

  /** The config follower's consumer: no group, read_committed, every partition from 0. */
  private static KafkaConsumer<String, SpecificRecord> configFollower(
      AccessAdmin.Credentials who, String cluster) {
    Map<String, Object> settings = clientSettings(who);
    settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    var consumer = new KafkaConsumer<>(settings, new StringDeserializer(),
        AvroSerde.anyRecord(registry).deserializer());
    toClose.add(consumer);
    List<TopicPartition> partitions = consumer.partitionsFor(config(cluster)).stream()
        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    return consumer;
  }

  /** A consumer without a group, as the agent's: it assigns partitions itself. */
  private static KafkaConsumer<String, byte[]> rawConsumer(AccessAdmin.Credentials who) {
    Map<String, Object> settings = clientSettings(who);
    settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    settings.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    var consumer = new KafkaConsumer<>(settings, new StringDeserializer(),
        new ByteArrayDeserializer());
    // A refused consumer waits out its whole close timeout (30 s by default) for its fetcher.
    toClose.add(() -> consumer.close(
        org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(1))));
    return consumer;
  }

  /** One poll of partition 0 of {@code topic} from the start, as {@code who}. */
  private static void readFromStart(AccessAdmin.Credentials who, String topic) {
    KafkaConsumer<String, byte[]> consumer = rawConsumer(who);
    consumer.assign(List.of(new TopicPartition(topic, 0)));
    consumer.seekToBeginning(consumer.assignment());
    consumer.poll(Duration.ofSeconds(10));
  }

  private static String events(String cluster) {
    return AccessPlan.eventsTopic(cluster);
  }

  private static String config(String cluster) {
    return AccessPlan.configTopic(cluster);
  }
}
