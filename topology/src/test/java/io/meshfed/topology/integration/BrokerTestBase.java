package io.meshfed.topology.integration;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.ReasonCode;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.rules.decision.Decider;
import io.meshfed.rules.decision.DecisionInputs;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.decision.EndpointInput;
import io.meshfed.rules.decision.MemberInput;
import io.meshfed.rules.decision.TierInput;
import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.split.SplitPolicy;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.EventKeys;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyMain;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.TopologyConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import io.meshfed.topics.EventPartitioner;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Shared wiring for the topology's integration tests: a real broker and registry per test class
 * (each class gets its own topics and decision log), agents as plain producers, and a
 * read_committed collector of everything the topology writes.
 */
abstract class BrokerTestBase {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry();

  static final String CONFIG_KEY =
      "FederatedDestination/FailoverService/service-mesh-hub/reviews-failover";
  static final Duration DAMPING = Duration.ofSeconds(2);
  static SchemaRegistryClient registry;

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeAll
  static void provision() {
    registry = new SchemaRegistryClient(
        RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT));
    TopicProvisioner.addCluster(STACK.bootstrapServers(), MGMT, (short) 1);
    TopicProvisioner.addCluster(STACK.bootstrapServers(), REMOTE, (short) 1);
  }

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(toClose);
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  static TopologyConfig config(String appId, Duration damping) throws Exception {
    return TopologyConfig.defaults(STACK.bootstrapServers(), registry.config(), Set.of(MGMT))
        .withApplicationId(appId)
        .withStateDir(Files.createTempDirectory("meshfed-it"))
        .withTimers(Duration.ofSeconds(30), damping, Duration.ofMillis(200));
  }

  KafkaStreams start(TopologyConfig config) {
    return start(config, new java.util.Properties());
  }

  /** As {@link #start(TopologyConfig)}, with Streams/client properties laid over the test's. */
  KafkaStreams start(TopologyConfig config, java.util.Properties extra) {
    KafkaStreams streams = TopologyMain.start(config, overrides(extra));
    // Closed after the test even when it never reaches RUNNING: a topology left running would
    // go on writing to the shared topics (dead letters, configs) under the next tests.
    toClose.add(() -> streams.close(Duration.ofSeconds(30)));
    awaitRunning(streams);
    return streams;
  }

  /**
   * A running topology that is not closed after the test: for one that several tests of a
   * class share (the class closes it). Closed here if it does not reach RUNNING.
   */
  static KafkaStreams startUnclosed(TopologyConfig config, java.util.Properties extra) {
    KafkaStreams streams = TopologyMain.start(config, overrides(extra));
    try {
      awaitRunning(streams);
    } catch (RuntimeException | Error e) {
      streams.close(Duration.ofSeconds(30));
      throw e;
    }
    return streams;
  }

  private static java.util.Properties overrides(java.util.Properties extra) {
    java.util.Properties overrides = new java.util.Properties();
    // A killed instance's partitions move within seconds, not the 45 s default.
    overrides.put("consumer.session.timeout.ms", 6000);
    overrides.put("consumer.heartbeat.interval.ms", 1000);
    overrides.putAll(extra);
    return overrides;
  }

  private static void awaitRunning(KafkaStreams streams) {
    await().atMost(Duration.ofSeconds(60))
        .until(() -> streams.state() == KafkaStreams.State.RUNNING);
  }

  KafkaProducer<String, SpecificRecord> agent() {
    var producer = new KafkaProducer<>(Map.<String, Object>of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ACKS_CONFIG, "all",
        // As the agent partitions: a service's records on its own partition (EventPartitioner).
        ProducerConfig.PARTITIONER_CLASS_CONFIG, EventPartitioner.class.getName()),
        new StringSerializer(), AvroSerde.anyRecord(registry).serializer());
    toClose.add(producer);
    return producer;
  }

  @SafeVarargs
  static void send(KafkaProducer<String, SpecificRecord> producer, String cluster,
      KeyValue<String, SpecificRecord>... records) throws Exception {
    Bookinfo.publish(producer, cluster, records);
  }

  /** Heartbeats from both clusters every second, as their agents would send them. */
  void heartbeats(KafkaProducer<String, SpecificRecord> agent) {
    var pump = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    pump.scheduleAtFixedRate(() -> {
      try {
        send(agent, MGMT, Bookinfo.heartbeat(MGMT, Instant.now()));
        send(agent, REMOTE, Bookinfo.heartbeat(REMOTE, Instant.now()));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, 0, 1, java.util.concurrent.TimeUnit.SECONDS);
    toClose.add(() -> {
      pump.shutdownNow();
      pump.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
    });
  }

  /** Closed after the test, before what was registered earlier. */
  void closing(AutoCloseable resource) {
    toClose.add(resource);
  }

  OutputCollector collect() {
    OutputCollector collector = new OutputCollector(STACK.bootstrapServers(), registry,
        Pattern.compile("meshfed\\.cluster\\..*\\.config|meshfed\\.failover-events"));
    toClose.add(collector);
    return collector;
  }

  static void world(KafkaProducer<String, SpecificRecord> agent) throws Exception {
    send(agent, MGMT, Bookinfo.heartbeat(MGMT, Instant.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    send(agent, REMOTE, Bookinfo.heartbeat(REMOTE, Instant.now()),
        Bookinfo.reviewsService(REMOTE), Bookinfo.reviewsEndpoints(REMOTE, true));
    send(agent, MGMT, Bookinfo.outlierPolicy(),
        Bookinfo.failoverService("reviews-failover.bookinfo.global", 1));
  }

  static List<FailoverDecision> decisions(OutputCollector out) {
    return out.onTopic(MeshfedTopics.FAILOVER_EVENTS).stream()
        .map(s -> (FailoverDecision) s.value()).toList();
  }

  static FederatedDestination latestConfig(OutputCollector out, String cluster) {
    FederatedDestination latest = null;
    for (var s : out.onTopic("meshfed.cluster." + cluster + ".config")) {
      if (s.record().key().equals(CONFIG_KEY)) {
        latest = (FederatedDestination) s.value();
      }
    }
    return latest;
  }

  static void report(String what, List<Long> samples) throws Exception {
    List<Long> sorted = samples.stream().sorted().toList();
    long p50 = sorted.get((int) Math.ceil(0.5 * sorted.size()) - 1);
    long p99 = sorted.get((int) Math.ceil(0.99 * sorted.size()) - 1);
    String line = what + ": n=" + sorted.size() + " p50=" + p50 + "ms p99=" + p99 + "ms max="
        + sorted.get(sorted.size() - 1) + "ms samples=" + samples;
    System.out.println(line);
    Path file = Path.of("target", "topology-latency.txt");
    Files.createDirectories(file.getParent());
    Files.writeString(file, line + System.lineSeparator(),
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
  }
}
