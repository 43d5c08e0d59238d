package io.meshfed.launcher;

import static io.meshfed.launcher.CliRun.meshfed;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.schema.SampleRecords;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.admin.TakeoverEpochs;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.decide.DestinationPartitioner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshfed admin takeover} on a secured standby broker (SASL SCRAM, ACLs): what MirrorMaker
 * 2 carried — a decision in the decision log, a config on a cluster's config topic — raises the
 * standby topology's epoch floors, each on the partition of the decide task that owns the
 * destination; a second run raises nothing. The seeding itself (and a standby deciding above
 * the hub's epochs) is {@code TwoRegionIntegrationTest}'s; this is the command a person runs.
 */
class AdminTakeoverTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry().secured();

  private static final String APP = "meshfed-standby";
  private static final int PARTITIONS = 6;

  @TempDir
  Path dir;

  @Test
  void raisesEachMirroredDestinationsEpochFloorOnceAndOnlyUp() throws Exception {
    ResourceRef vd = new ResourceRef(ResourceKind.VirtualDestination, "bookinfo", "reviews-vd");
    FailoverDecision decision = SampleRecords.decision();
    decision.setEpoch(7);
    FederatedDestination config = SampleRecords.federatedDestination();
    config.setDestination(vd);
    config.setEpoch(9);
    FederatedDestination older = SampleRecords.federatedDestination();
    older.setDestination(vd);
    older.setEpoch(4);
    mirror(decision, config, older);
    String fs = "FailoverService/" + decision.getDestination().getNamespace() + "/"
        + decision.getDestination().getName();
    String vdKey = "VirtualDestination/bookinfo/reviews-vd";

    Path admin = AdminCommandTest.commandConfig(STACK, dir);
    Path topology = topologyConfig(Map.of());
    CliRun first = meshfed("admin", "takeover", topology.toString(), "--command-config",
        admin.toString());
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out()).contains(fs + " 7\n").contains(vdKey + " 9\n");
    assertThat(first.err()).contains("raised the epoch floor of 2 destination(s) in "
        + TakeoverEpochs.changelog(APP));
    assertThat(changelog()).containsExactlyInAnyOrderEntriesOf(Map.of(
        new TopicPartition(TakeoverEpochs.changelog(APP),
            DestinationPartitioner.partitionOf(fs, PARTITIONS)) + " " + fs, 7L,
        new TopicPartition(TakeoverEpochs.changelog(APP),
            DestinationPartitioner.partitionOf(vdKey, PARTITIONS)) + " " + vdKey, 9L));

    // Again, connecting as the config's own meshfed.kafka.* say: nothing to raise.
    Map<String, String> own = new HashMap<>();
    STACK.kafka().security().adminClientSettings()
        .forEach((k, v) -> own.put("meshfed.kafka." + k, String.valueOf(v)));
    CliRun second = meshfed("admin", "takeover", topologyConfig(own).toString());
    assertThat(second.exit()).as(second.err()).isZero();
    assertThat(second.err()).contains("raised the epoch floor of 0 destination(s)");
    assertThat(second.out()).doesNotContain(fs + " ").doesNotContain(vdKey + " ");
    assertThat(changelog()).hasSize(2);
  }

  /** As MirrorMaker 2 leaves them in the standby region: committed records, as the admin. */
  private static void mirror(FailoverDecision decision, FederatedDestination... configs)
      throws Exception {
    try (var admin = STACK.kafka().admin()) {
      List<org.apache.kafka.clients.admin.NewTopic> topics =
          new java.util.ArrayList<>(TopicProvisioner.sharedTopics((short) 1));
      topics.addAll(TopicProvisioner.clusterTopics("mgmt-cluster", (short) 1));
      admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
    }
    MeshfedTopics topics = new MeshfedTopics(new SchemaRegistryClient(
        RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true)));
    Map<String, Object> settings = new HashMap<>(STACK.kafka().adminClientSettings());
    settings.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, SpecificRecord> producer = new KafkaProducer<>(settings,
        new StringSerializer(), topics.clusterConfig().valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(MeshfedTopics.FAILOVER_EVENTS, "k", decision))
          .get(30, TimeUnit.SECONDS);
      for (FederatedDestination config : configs) {
        producer.send(new ProducerRecord<>("meshfed.cluster.mgmt-cluster.config", "k", config))
            .get(30, TimeUnit.SECONDS);
      }
    }
  }

  private Path topologyConfig(Map<String, String> extra) throws Exception {
    Path file = Files.createTempFile(dir, "standby", ".properties");
    StringBuilder lines = new StringBuilder()
        .append("meshfed.bootstrap.servers=").append(STACK.bootstrapServers()).append('\n')
        .append("meshfed.registry.url=").append(STACK.registryUrl()).append('\n')
        .append("meshfed.policy.source.clusters=mgmt-cluster\n")
        .append("meshfed.application.id=").append(APP).append('\n')
        .append("meshfed.partitions=").append(PARTITIONS).append('\n');
    extra.forEach((k, v) -> lines.append(k).append('=').append(v).append('\n'));
    Files.writeString(file, lines);
    return file;
  }

  /** The epoch changelog's records as "topic-partition key" → epoch. */
  private static Map<String, Long> changelog() {
    Map<String, Object> settings = new HashMap<>(STACK.kafka().adminClientSettings());
    settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<String, Long> out = new HashMap<>();
    try (KafkaConsumer<String, Long> consumer = new KafkaConsumer<>(settings,
        new StringDeserializer(), new LongDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(TakeoverEpochs.changelog(APP))
          .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))
          && System.nanoTime() < until) {
        for (ConsumerRecord<String, Long> r : consumer.poll(Duration.ofMillis(200))) {
          out.put(new TopicPartition(r.topic(), r.partition()) + " " + r.key(), r.value());
        }
      }
    }
    return out;
  }
}
