package io.meshfed.topology.admin;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.RoutingKeys;
import io.meshfed.topology.config.TopologyConfig;
import io.meshfed.topology.decide.DestinationPartitioner;
import io.meshfed.topology.state.Stores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;
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
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Keeps epochs monotonic when a standby region's topology takes over from a lost hub (issue
 * #17). The epoch of a destination lives in the topology's state (with its clients' decisions),
 * which a standby starting on its own region's Kafka does not have: it would start every
 * destination at epoch 1 again, below what the agents already applied. Before the standby's
 * first start, this reads what MirrorMaker 2 carried into the standby region — the decision log
 * and the config topics — and writes each destination's highest epoch into the changelog of the
 * epoch-floor store ({@code decide-epochs}, which the topology reads and never writes), so that
 * the store restores with it and the standby's first decision is the next epoch.
 *
 * <p>It only raises: a destination whose changelog already holds an epoch at least as high is
 * left alone, so running it again, or before a standby that ran before, is harmless. The
 * changelog is created when missing, with the partitions Kafka Streams will expect (the
 * topology's {@code meshfed.partitions}), compaction and the broker's default replication, as
 * Kafka Streams creates it; each epoch goes to the partition of
 * the decide task that owns the destination ({@link DestinationPartitioner#partitionOf}).
 *
 * <p>What it cannot know: decisions made at the hub after the last record MirrorMaker 2
 * carried. Those were never seen in the standby region, so no client there applied them; a hub
 * client that did is in the lost region.
 */
public final class TakeoverEpochs {

  private static final Pattern CONFIG_TOPICS = Pattern.compile("meshfed\\.cluster\\..+\\.config");

  private TakeoverEpochs() {}

  /** The changelog topic of the epoch store of application {@code applicationId}. */
  public static String changelog(String applicationId) {
    return applicationId + "-" + Stores.EPOCHS + "-changelog";
  }

  /**
   * Seeds the epoch store of {@code config}'s application on {@code config}'s Kafka from the
   * mirrored decision log and config topics there, as the topology's own principal
   * ({@code meshfed.kafka.*}); returns the epochs written, by destination.
   */
  public static Map<String, Long> seed(TopologyConfig config) {
    return seed(config, config.kafkaClient());
  }

  /**
   * As {@link #seed(TopologyConfig)}, connecting with {@code security} (Kafka client security
   * settings): a principal that may read the config topics, which the topology's grants only
   * let it write.
   */
  public static Map<String, Long> seed(TopologyConfig config, Map<String, String> security) {
    Map<String, Object> client = new HashMap<>(security);
    client.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    SchemaRegistryClient registry = new SchemaRegistryClient(config.registry());
    Map<String, Long> highest = new HashMap<>();
    try (KafkaConsumer<String, SpecificRecord> consumer = new KafkaConsumer<>(with(client,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(), AvroSerde.anyRecord(registry).deserializer())) {
      List<String> topics = new ArrayList<>();
      topics.add(MeshfedTopics.FAILOVER_EVENTS);
      consumer.listTopics().keySet().stream().filter(t -> CONFIG_TOPICS.matcher(t).matches())
          .forEach(topics::add);
      for (ConsumerRecord<String, SpecificRecord> r : readAll(consumer, topics)) {
        if (r.value() instanceof FailoverDecision d) {
          highest.merge(RoutingKeys.destination(d.getDestination()), d.getEpoch(), Math::max);
        } else if (r.value() instanceof FederatedDestination fd) {
          highest.merge(RoutingKeys.destination(fd.getDestination()), fd.getEpoch(), Math::max);
        }
      }
    }
    String changelog = changelog(config.applicationId());
    createChangelog(client, changelog, config.partitions());
    try (KafkaConsumer<String, Long> existing = new KafkaConsumer<>(with(client,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(), new LongDeserializer())) {
      for (ConsumerRecord<String, Long> r : readAll(existing, List.of(changelog))) {
        if (r.value() != null && highest.containsKey(r.key()) && r.value() >= highest.get(r.key())) {
          highest.remove(r.key());
        }
      }
    }
    try (KafkaProducer<String, Long> producer = new KafkaProducer<>(with(client,
        ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new LongSerializer())) {
      for (var e : highest.entrySet()) {
        producer.send(new ProducerRecord<>(changelog,
            DestinationPartitioner.partitionOf(e.getKey(), config.partitions()), e.getKey(),
            e.getValue()));
      }
      producer.flush();
    }
    return highest;
  }

  /** Every record of {@code topics} up to their current ends. */
  private static <V> List<ConsumerRecord<String, V>> readAll(KafkaConsumer<String, V> consumer,
      List<String> topics) {
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : topics) {
      consumer.partitionsFor(topic).forEach(p -> partitions.add(
          new TopicPartition(p.topic(), p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
    List<ConsumerRecord<String, V>> records = new ArrayList<>();
    long until = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
      if (System.nanoTime() > until) {
        throw new IllegalStateException("could not read " + topics + " to their end in 2 min");
      }
      consumer.poll(Duration.ofMillis(200)).forEach(records::add);
    }
    return records;
  }

  /** {@code client} (bootstrap and security) with a client's own settings on top. */
  private static Map<String, Object> with(Map<String, Object> client, Object... keyValues) {
    Map<String, Object> out = new HashMap<>(client);
    for (int i = 0; i < keyValues.length; i += 2) {
      out.put((String) keyValues[i], keyValues[i + 1]);
    }
    return out;
  }

  private static void createChangelog(Map<String, Object> client, String name, int partitions) {
    try (Admin admin = Admin.create(client)) {
      admin.createTopics(List.of(new NewTopic(name, java.util.Optional.of(partitions),
          java.util.Optional.empty())
          .configs(Map.of("cleanup.policy", "compact")))).all().get();
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create " + name, e.getCause());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
