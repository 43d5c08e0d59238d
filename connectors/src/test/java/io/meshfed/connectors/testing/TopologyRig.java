package io.meshfed.connectors.testing;

import static org.awaitility.Awaitility.await;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyMain;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.TopologyConfig;
import java.nio.file.Files;
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
import java.util.regex.Pattern;
import org.apache.avro.Schema;
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

/**
 * What the connectors' end-to-end tests run the connectors against, every part real: the
 * topology on the test's broker, an agent producer with heartbeats for the Kubernetes clusters
 * every second, a read_committed subscriber of everything the topology writes, and a Connect
 * worker for the connector under test. {@link #close()} stops them in reverse order.
 */
public final class TopologyRig implements AutoCloseable {

  private final SchemaRegistryClient registry;
  private final KafkaStreams topology;
  private final KafkaProducer<String, SpecificRecord> agent;
  private final ScheduledExecutorService heartbeats;
  private final Collector out;
  private final ConnectWorker worker;
  private final java.nio.file.Path stateDir;

  /**
   * @param schemas registered up front, as a release pipeline would (the connectors do not
   *     register schemas)
   * @param clusters provisioned; {@code beating} of them get a heartbeat every second
   */
  public static TopologyRig start(KafkaStack stack, String name, List<Schema> schemas,
      List<String> clusters, List<String> beating, Duration damping) throws Exception {
    return new TopologyRig(stack, name, schemas, clusters, beating, damping);
  }

  private TopologyRig(KafkaStack stack, String name, List<Schema> schemas, List<String> clusters,
      List<String> beating, Duration damping) throws Exception {
    registry = new SchemaRegistryClient(
        RegistryConfig.of(stack.registryUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT));
    for (Schema schema : schemas) {
      registry.register(AvroSerde.subjectFor(schema), schema);
    }
    for (String cluster : clusters) {
      TopicProvisioner.addCluster(stack.bootstrapServers(), cluster, (short) 1);
    }
    stateDir = Files.createTempDirectory("meshfed-" + name);
    TopologyConfig config = TopologyConfig.defaults(stack.bootstrapServers(), registry.config(),
            Set.of(Bookinfo.MGMT))
        .withApplicationId(name)
        .withStateDir(stateDir)
        .withTimers(Duration.ofSeconds(30), damping, Duration.ofMillis(200));
    topology = TopologyMain.start(config, new Properties());
    await().atMost(Duration.ofSeconds(180))
        .until(() -> topology.state() == KafkaStreams.State.RUNNING);
    out = new Collector(stack.bootstrapServers(), name + "-collector", registry);
    agent = new KafkaProducer<>(Map.<String, Object>of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ACKS_CONFIG, "all"),
        new StringSerializer(), AvroSerde.anyRecord(registry).serializer());
    heartbeats = Executors.newSingleThreadScheduledExecutor();
    heartbeats.scheduleAtFixedRate(() -> {
      try {
        for (String cluster : beating) {
          Bookinfo.publish(agent, cluster, Bookinfo.heartbeat(cluster, Instant.now()));
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, 0, 1, TimeUnit.SECONDS);
    worker = ConnectWorker.start(stack.bootstrapServers(), name + "-connect");
  }

  public KafkaProducer<String, SpecificRecord> agent() {
    return agent;
  }

  public ConnectWorker worker() {
    return worker;
  }

  /** Every decision seen so far, in order. */
  public List<FailoverDecision> decisions() {
    return out.seen.stream().filter(r -> r.topic().equals(MeshfedTopics.FAILOVER_EVENTS))
        .map(r -> (FailoverDecision) r.value()).toList();
  }

  /** The latest config under {@code key} on {@code client}'s config topic, or null. */
  public FederatedDestination latest(String client, String key) {
    FederatedDestination latest = null;
    for (ConsumerRecord<String, SpecificRecord> r : out.seen) {
      if (r.topic().equals("meshfed.cluster." + client + ".config") && key.equals(r.key())) {
        latest = (FederatedDestination) r.value();
      }
    }
    return latest;
  }

  @Override
  public void close() throws Exception {
    worker.close();
    heartbeats.shutdownNow();
    heartbeats.awaitTermination(5, TimeUnit.SECONDS);
    out.close();
    topology.close(Duration.ofSeconds(30));
    agent.close();
    try (var files = Files.walk(stateDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Everything the topology writes, read_committed, as a subscriber sees it. */
  private static final class Collector implements AutoCloseable {
    final Queue<ConsumerRecord<String, SpecificRecord>> seen = new ConcurrentLinkedQueue<>();
    private final KafkaConsumer<String, SpecificRecord> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    Collector(String bootstrapServers, String group, SchemaRegistryClient registry) {
      consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
          ConsumerConfig.GROUP_ID_CONFIG, group,
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
      }, group);
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
}
