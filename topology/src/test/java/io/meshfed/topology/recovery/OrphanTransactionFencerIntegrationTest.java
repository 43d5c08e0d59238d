package io.meshfed.topology.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshfed.testing.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Against a real broker: an instance "killed" inside a transaction (a producer with a Streams
 * transactional id whose process has no member in the group, its transaction left open) is
 * aborted by the fencer once a rebalance opens its window; a live instance's open transaction
 * (its process is a member) is left alone and commits.
 */
class OrphanTransactionFencerIntegrationTest {

  private static final String APP = "fencer-app";
  private static final String TOPIC = "fencer-out";
  private static EmbeddedKafka kafka;

  @BeforeAll
  static void broker() {
    kafka = EmbeddedKafka.start();
    kafka.createTopics(1, TOPIC);
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  @Test
  void theDeadInstancesTransactionIsAbortedAndTheLiveOnesIsNot() throws Exception {
    String dead = APP + "-" + UUID.randomUUID() + "-1";
    String liveProcess = UUID.randomUUID().toString();
    String live = APP + "-" + liveProcess + "-1";
    try (KafkaProducer<String, String> deadProducer = transactional(dead);
        KafkaProducer<String, String> liveProducer = transactional(live);
        KafkaConsumer<String, String> member = groupMember(
            APP + "-" + liveProcess + "-StreamThread-1-consumer")) {
      deadProducer.send(new ProducerRecord<>(TOPIC, "k", "from the dead instance")).get();
      liveProducer.send(new ProducerRecord<>(TOPIC, "k", "from the live instance")).get();
      await().atMost(Duration.ofSeconds(30)).until(() -> ongoing().containsAll(List.of(dead, live)));

      try (OrphanTransactionFencer fencer = OrphanTransactionFencer.start(APP, client())) {
        // No rebalance yet: the window is closed and nothing is touched.
        assertThat(ongoing()).contains(dead);
        fencer.onStateChange(KafkaStreams.State.REBALANCING);
        await().atMost(Duration.ofSeconds(20)).until(() -> !ongoing().contains(dead));
        assertThat(ongoing()).contains(live);
      }
      // The dead producer is fenced: were it a zombie, it could not commit what it wrote.
      assertThatThrownBy(deadProducer::commitTransaction).isInstanceOf(KafkaException.class);
      liveProducer.commitTransaction();
    }
    // read_committed sees the live instance's record and never the dead one's.
    assertThat(committedValues()).containsExactly("from the live instance");
  }

  private static Properties client() {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    return p;
  }

  private static List<String> ongoing() throws Exception {
    try (var admin = kafka.admin()) {
      return admin.listTransactions().all().get().stream()
          .filter(t -> t.state() == TransactionState.ONGOING)
          .map(TransactionListing::transactionalId).toList();
    }
  }

  private static KafkaProducer<String, String> transactional(String transactionalId) {
    KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
        ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000),
        new StringSerializer(), new StringSerializer());
    producer.initTransactions();
    producer.beginTransaction();
    return producer;
  }

  /** A consumer with the client id a Streams thread of {@code liveProcess} would have. */
  private static KafkaConsumer<String, String> groupMember(String clientId) {
    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, APP,
        ConsumerConfig.CLIENT_ID_CONFIG, clientId,
        ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic"),
        new StringDeserializer(), new StringDeserializer());
    consumer.subscribe(List.of(TOPIC));
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      consumer.poll(Duration.ofMillis(100));
      return !consumer.assignment().isEmpty();
    });
    return consumer;
  }

  private static List<String> committedValues() {
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> reader = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.GROUP_ID_CONFIG, "fencer-reader"),
        new StringDeserializer(), new StringDeserializer())) {
      reader.subscribe(List.of(TOPIC));
      // Both transactions are resolved, so the reader reaches the end (the aborted record and
      // both commit/abort markers are skipped).
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        for (ConsumerRecord<String, String> r : reader.poll(Duration.ofMillis(200))) {
          values.add(r.value());
        }
        return !values.isEmpty() && reader.assignment().stream().allMatch(tp ->
            reader.position(tp) >= reader.endOffsets(List.of(tp)).get(tp));
      });
    }
    return values;
  }
}
