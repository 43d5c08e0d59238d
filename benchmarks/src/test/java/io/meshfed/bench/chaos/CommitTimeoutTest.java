package io.meshfed.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshfed.testing.TcpProxy;
import io.meshfed.topology.faults.CommitRetryingProducer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker-restart class's stream-thread death at the producer: a transactional commit that
 * times out because the broker cannot be reached (here a partition of the producer's path, as
 * long as a broker restart on a busy machine), after which Kafka Streams calls
 * {@code sendOffsetsToTransaction} or {@code abortTransaction} — refused by the producer, which
 * killed the thread. {@link CommitRetryingProducer} (the topology's producers) retries the
 * commit first; the records of the timed-out transaction and those after it arrive, committed.
 */
class CommitTimeoutTest {

  static final String TOPIC = "commit-timeout";
  static final TopicPartition INPUT = new TopicPartition(TOPIC, 0);

  @TempDir
  static Path dir;
  static TcpProxy path;
  static BrokerProcess broker;

  @BeforeAll
  static void start() throws Exception {
    path = new TcpProxy(0, 16);
    broker = new BrokerProcess(dir.resolve("broker"), 0, path.port());
    path.forwardTo(broker.topologyPort);
    broker.start(Duration.ofMinutes(5));
    try (Admin admin = Admin.create(Map.<String, Object>of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.internal()))) {
      admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get();
    }
  }

  @AfterAll
  static void stop() throws Exception {
    broker.close();
    path.close();
  }

  private static KafkaProducer<byte[], byte[]> producer(String id) {
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.<String, Object>of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.topology(),
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, id,
        // Short, so that the partition below outlasts it without the test waiting 60 s.
        ProducerConfig.MAX_BLOCK_MS_CONFIG, 3_000,
        ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 120_000),
        new ByteArraySerializer(), new ByteArraySerializer());
    // A busy machine may take longer than max.block.ms to set up the first transaction; the
    // producer allows retrying initTransactions after a timeout.
    await().atMost(Duration.ofMinutes(3)).ignoreException(TimeoutException.class)
        .until(() -> {
          producer.initTransactions();
          return true;
        });
    return producer;
  }

  private static ProducerRecord<byte[], byte[]> record(String value) {
    return new ProducerRecord<>(TOPIC, 0, null, value.getBytes());
  }

  /** The commit times out while the path is cut; the path is healed afterwards. */
  private static void commitTimesOut(Producer<byte[], byte[]> producer, String value) {
    producer.beginTransaction();
    producer.send(record(value));
    path.partition();
    try {
      assertThatThrownBy(producer::commitTransaction).isInstanceOf(TimeoutException.class);
    } finally {
      path.heal();
    }
  }

  @Test
  void theKafkaProducerRefusesAnythingButARetriedCommitAfterACommitTimedOut() {
    try (KafkaProducer<byte[], byte[]> producer = producer("raw")) {
      commitTimesOut(producer, "raw-1");
      // What Streams does next, and what killed its thread.
      assertThatThrownBy(() -> producer.sendOffsetsToTransaction(
          Map.of(INPUT, new OffsetAndMetadata(1)), new ConsumerGroupMetadata("raw")))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("must be retried");
      assertThatThrownBy(producer::abortTransaction)
          .isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void aTimedOutCommitIsRetriedBeforeTheNextTransactionsOffsetsAndAnAbort() {
    try (CommitRetryingProducer producer = new CommitRetryingProducer(producer("wrapped"))) {
      commitTimesOut(producer, "wrapped-1");
      assertThat(producer.commitPending()).isTrue();
      // Streams' recovery: another commit (offsets first) of the transaction it thinks open.
      producer.send(record("wrapped-2"));
      producer.sendOffsetsToTransaction(Map.of(INPUT, new OffsetAndMetadata(7)),
          new ConsumerGroupMetadata("wrapped"));
      producer.commitTransaction();
      assertThat(producer.commitPending()).isFalse();
      // Streams' other recovery: abort after the timeout. The commit is finished instead.
      commitTimesOut(producer, "wrapped-3");
      producer.abortTransaction();
      assertThat(producer.commitPending()).isFalse();
      // And the next transaction is an ordinary one.
      producer.beginTransaction();
      producer.send(record("wrapped-4"));
      producer.commitTransaction();
    }
    assertThat(committedValues()).containsSubsequence("wrapped-1", "wrapped-2", "wrapped-3",
        "wrapped-4");
    try (Admin admin = Admin.create(Map.<String, Object>of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.internal()))) {
      await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(admin
          .listConsumerGroupOffsets("wrapped").partitionsToOffsetAndMetadata().get()
          .get(INPUT).offset()).isEqualTo(7));
    }
  }

  /** Every value committed to the topic so far, read_committed, in order. */
  private static List<String> committedValues() {
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.<String, Object>of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.internal(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(), new StringDeserializer())) {
      consumer.assign(List.of(INPUT));
      consumer.seekToBeginning(List.of(INPUT));
      await().atMost(Duration.ofMinutes(1)).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
        return values.contains("wrapped-4");
      });
    }
    return values;
  }
}
