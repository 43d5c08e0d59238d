package io.meshfed.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.schema.SampleRecords;
import io.meshfed.testing.EmbeddedSchemaRegistry;
import io.meshfed.topics.MeshfedTopics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The same round trip against Kafka in a container: extra coverage where a Docker engine
 * exists, skipped (not failed) where none does. The in-process broker test is the one that
 * always runs.
 */
@Testcontainers(disabledWithoutDocker = true)
class KafkaContainerRoundTripTest {

  @Container
  static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.0");

  @Test
  void everyRecordTypeRoundTripsThroughAContainerBroker() {
    try (EmbeddedSchemaRegistry server = EmbeddedSchemaRegistry.start()) {
      var registry = new SchemaRegistryClient(
          RegistryConfig.of(server.confluentApiUrl()).withAutoRegister(true));
      var events = new MeshfedTopics(registry).clusterEvents().forCluster("c1");
      Map<String, Object> common = Map.of("bootstrap.servers", KAFKA.getBootstrapServers());
      try (var producer = new KafkaProducer<>(Map.<String, Object>of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.getBootstrapServers()),
          new StringSerializer(), events.valueSerde().serializer())) {
        for (SpecificRecord record : SampleRecords.all()) {
          producer.send(new ProducerRecord<>(events.name(), 0, "k", record));
        }
      }
      List<SpecificRecord> received = new ArrayList<>();
      try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, common.get("bootstrap.servers"),
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
          new StringDeserializer(), events.valueSerde().deserializer())) {
        consumer.assign(List.of(new TopicPartition(events.name(), 0)));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          consumer.poll(Duration.ofMillis(200)).forEach(r -> received.add(r.value()));
          assertThat(received).containsExactlyElementsOf(SampleRecords.all());
        });
      }
    }
  }
}
