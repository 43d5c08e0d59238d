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

/** Dead letters next to good records on the real broker. */
class DeadLetterIntegrationTest extends BrokerTestBase {

  @Test
  void badRecordsGoToTheDeadLetterTopicWithHeadersAndGoodOnesAroundThemAreProcessed()
      throws Exception {
    start(config("it-deadletter", DAMPING));
    OutputCollector out = collect();
    var agent = agent();
    send(agent, MGMT, Bookinfo.heartbeat(MGMT, Instant.now()));
    try (var raw = new KafkaProducer<>(Map.<String, Object>of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers()),
        new StringSerializer(), new ByteArraySerializer())) {
      raw.send(new ProducerRecord<>("meshfed.cluster.mgmt-cluster.events",
          EventKeys.service(MGMT, "bookinfo", "x"), "garbage".getBytes(StandardCharsets.UTF_8)))
          .get();
    }
    send(agent, MGMT, Bookinfo.reviewsService(REMOTE)); // spoofed: key names remote-cluster
    world(agent);
    await().atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(latestConfig(out, REMOTE)).isNotNull());

    try (var dlq = new KafkaConsumer<>(Map.<String, Object>of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "dlq-reader",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      dlq.subscribe(List.of(MeshfedTopics.DEAD_LETTER));
      List<Map<String, String>> headers = new ArrayList<>();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        dlq.poll(Duration.ofMillis(200)).forEach(r -> headers.add(
            java.util.stream.StreamSupport.stream(r.headers().spliterator(), false)
                .collect(Collectors.toMap(h -> h.key(),
                    h -> new String(h.value(), StandardCharsets.UTF_8), (a, b) -> b))));
        assertThat(headers).hasSize(2);
      });
      assertThat(headers).allSatisfy(h -> {
        assertThat(h.get("__streams.errors.topic"))
            .isEqualTo("meshfed.cluster.mgmt-cluster.events");
        assertThat(h).containsKeys("__streams.errors.partition", "__streams.errors.offset",
            "__streams.errors.exception", "__streams.errors.message");
      });
      // In any order: the two bad records are keyed to different events partitions (the
      // garbage by Kafka's default partitioner, the agent's by EventPartitioner), and Kafka
      // orders records within a partition only.
      assertThat(headers).extracting(h -> h.get("__streams.errors.exception"))
          .containsExactlyInAnyOrder("io.meshfed.serde.WireFormatException$CorruptPayload",
          "io.meshfed.topology.ingest.InvalidEventException$SpoofedCluster");
    }
  }

}
