package io.meshfed.topology;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.config.TopologyConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The topology under {@link TopologyTestDriver}, with the real schema registry behind its
 * serdes: typed inputs per cluster, typed outputs, and the wall clock under the test's control.
 */
public final class TopologyHarness implements AutoCloseable {

  public static final Instant START = Instant.parse("2026-11-22T10:00:00Z");
  public static final Duration TTL = Duration.ofSeconds(30);
  public static final Duration DAMPING = Duration.ofSeconds(20);

  private final TopologyTestDriver driver;
  private final MeshfedTopics topics;
  private final Map<String, TestInputTopic<String, SpecificRecord>> inputs = new HashMap<>();
  private final Map<String, TestOutputTopic<String, SpecificRecord>> configs = new HashMap<>();
  private final TestOutputTopic<String, FailoverDecision> decisions;
  private final TestOutputTopic<byte[], byte[]> deadLetters;
  private final String applicationId;

  public TopologyHarness(String registryUrl) throws Exception {
    this(registryUrl, new java.util.Properties());
  }

  /** @param streamsOverrides laid over the topology's own Streams settings */
  public TopologyHarness(String registryUrl, java.util.Properties streamsOverrides)
      throws Exception {
    this(registryUrl, streamsOverrides, Duration.ZERO);
  }

  /**
   * @param streamsOverrides laid over the topology's own Streams settings
   * @param handoverWait make-before-break's bounded wait (zero: off, the default)
   */
  public TopologyHarness(String registryUrl, java.util.Properties streamsOverrides,
      Duration handoverWait) throws Exception {
    SchemaRegistryClient registry =
        new SchemaRegistryClient(RegistryConfig.of(registryUrl).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT));
    TopologyConfig config = TopologyConfig.defaults("unused:9092", registry.config(),
            Set.of(Bookinfo.MGMT))
        .withTimers(TTL, DAMPING, Duration.ofSeconds(1))
        .withStateDir(Files.createTempDirectory("meshfed-ttd"));
    config = new TopologyConfig(config.bootstrapServers(), config.registry(),
        config.applicationId(), config.stateDir(), config.exactlyOnce(), config.commitInterval(),
        config.producerLinger(), config.cacheMaxBytes(), config.standbyReplicas(),
        config.threads(), 1, config.policySourceClusters(), config.heartbeatTtl(),
        config.minHealthyDuration(), config.punctuateInterval(), null)
        .withHandoverWait(handoverWait);
    topics = new MeshfedTopics(registry);
    applicationId = config.applicationId();
    java.util.Properties settings = StreamsSettings.from(config);
    settings.putAll(streamsOverrides);
    driver = new TopologyTestDriver(MeshfedTopology.build(config, registry), settings, START);
    decisions = driver.createOutputTopic(topics.failoverEvents().name(), new StringDeserializer(),
        topics.failoverEvents().valueSerde().deserializer());
    deadLetters = driver.createOutputTopic(MeshfedTopics.DEAD_LETTER,
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  public String applicationId() {
    return applicationId;
  }

  public MeshfedTopics topics() {
    return topics;
  }

  @SafeVarargs
  public final void send(String cluster, KeyValue<String, SpecificRecord>... records) {
    TestInputTopic<String, SpecificRecord> input = inputs.computeIfAbsent(cluster, c ->
        driver.createInputTopic(topics.clusterEvents().forCluster(c).name(),
            new StringSerializer(), topics.clusterEvents().valueSerde().serializer()));
    for (KeyValue<String, SpecificRecord> record : records) {
      input.pipeInput(record.key, record.value, now());
    }
  }

  /** The walkthrough's starting point: both clusters report, the policies are applied. */
  public void world() {
    send(Bookinfo.MGMT, Bookinfo.heartbeat(Bookinfo.MGMT, now()),
        Bookinfo.reviewsService(Bookinfo.MGMT), Bookinfo.reviewsEndpoints(Bookinfo.MGMT, true));
    send(Bookinfo.REMOTE, Bookinfo.heartbeat(Bookinfo.REMOTE, now()),
        Bookinfo.reviewsService(Bookinfo.REMOTE),
        Bookinfo.reviewsEndpoints(Bookinfo.REMOTE, true));
    send(Bookinfo.MGMT, Bookinfo.outlierPolicy(),
        Bookinfo.failoverService("reviews-failover.bookinfo.global", 1));
  }

  /** Raw bytes onto a cluster's events topic, for bad-input tests. */
  public void sendRaw(String cluster, String key, byte[] value) {
    driver.createInputTopic(topics.clusterEvents().forCluster(cluster).name(),
        new StringSerializer(), new ByteArraySerializer()).pipeInput(key, value, now());
  }

  public TestOutputTopic<String, SpecificRecord> config(String cluster) {
    return configs.computeIfAbsent(cluster, c -> driver.createOutputTopic(
        topics.clusterConfig().forCluster(c).name(), new StringDeserializer(),
        topics.clusterConfig().valueSerde().deserializer()));
  }

  public TestOutputTopic<String, FailoverDecision> decisions() {
    return decisions;
  }

  public TestOutputTopic<byte[], byte[]> deadLetters() {
    return deadLetters;
  }

  private Duration elapsed = Duration.ZERO;

  /** The driver's wall clock; input records are stamped with it. */
  public Instant now() {
    return START.plus(elapsed);
  }

  /** Advances the driver's wall clock and the timestamps of later input records. */
  public void tick(Duration duration) {
    elapsed = elapsed.plus(duration);
    driver.advanceWallClockTime(duration);
  }

  public TopologyTestDriver driver() {
    return driver;
  }

  private final Map<String, Map<String, SpecificRecord>> compacted = new HashMap<>();

  /**
   * What a compacted read of a cluster's config topic gives now: the latest value per key,
   * a tombstone kept as a null value.
   */
  public Map<String, SpecificRecord> latestConfig(String cluster) {
    Map<String, SpecificRecord> latest = compacted.computeIfAbsent(cluster, c -> new HashMap<>());
    config(cluster).readKeyValuesToList().forEach(kv -> latest.put(kv.key, kv.value));
    return new HashMap<>(latest);
  }

  @Override
  public void close() {
    driver.close();
  }
}
