package io.meshfed.destination;

import io.meshfed.avro.FederatedDestination;
import io.meshfed.topics.ClusterTopic;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows every cluster's config topic ({@code meshfed.cluster.<name>.config}, read_committed,
 * from the beginning, no consumer group) into a {@link DestinationIndex}. Topics of clusters
 * added later are picked up on the next topic scan. Records that are not a
 * {@code FederatedDestination} (policy statuses) are skipped.
 */
public final class ConfigTopicsReader implements Runnable, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ConfigTopicsReader.class);
  private static final Duration TOPIC_SCAN = Duration.ofSeconds(5);

  private final KafkaConsumer<String, SpecificRecord> consumer;
  private final ClusterTopic<String, SpecificRecord> configTopics;
  private final DestinationIndex index;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private volatile boolean running = true;
  private Map<TopicPartition, Long> initialEnd;
  private long nextScan;

  public ConfigTopicsReader(KafkaConsumer<String, SpecificRecord> consumer,
      ClusterTopic<String, SpecificRecord> configTopics, DestinationIndex index) {
    this.consumer = consumer;
    this.configTopics = configTopics;
    this.index = index;
  }

  /** Waits until every config topic that existed at start has been read to its end. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void run() {
    try {
      scanTopics();
      initialEnd = consumer.endOffsets(consumer.assignment());
      while (running) {
        try {
          for (ConsumerRecord<String, SpecificRecord> record
              : consumer.poll(Duration.ofMillis(100))) {
            accept(record);
          }
        } catch (RecordDeserializationException e) {
          // Only the topology writes these topics; a record it wrote that we cannot read is
          // skipped (the next one for the key replaces it) rather than stopping every stream.
          LOG.warn("destination API: skipping undecodable record {}-{}@{}: {}",
              e.topicPartition().topic(), e.topicPartition().partition(), e.offset(),
              e.getMessage());
          consumer.seek(e.topicPartition(), e.offset() + 1);
        }
        if (caughtUp.getCount() > 0 && initialEnd.entrySet().stream()
            .allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
          caughtUp.countDown();
          LOG.info("destination API: read {} config topics", consumer.assignment().size());
        }
        if (System.nanoTime() >= nextScan) {
          scanTopics();
        }
      }
    } catch (WakeupException stopping) {
      // close() was called
    } catch (RuntimeException e) {
      LOG.error("destination API: config reader stopped", e);
    } finally {
      consumer.close();
    }
  }

  private void accept(ConsumerRecord<String, SpecificRecord> record) {
    Optional<String> client = configTopics.clusterOf(record.topic());
    if (client.isEmpty() || record.key() == null
        || !record.key().startsWith("FederatedDestination/")) {
      return;
    }
    if (record.value() == null || record.value() instanceof FederatedDestination) {
      index.put(client.get(), record.key(), (FederatedDestination) record.value());
    }
  }

  private void scanTopics() {
    nextScan = System.nanoTime() + TOPIC_SCAN.toNanos();
    Set<TopicPartition> wanted = new HashSet<>(consumer.assignment());
    for (var entry : consumer.listTopics().entrySet()) {
      if (configTopics.clusterOf(entry.getKey()).isPresent()) {
        entry.getValue().forEach(p -> wanted.add(new TopicPartition(p.topic(), p.partition())));
      }
    }
    if (!wanted.equals(consumer.assignment())) {
      List<TopicPartition> added = wanted.stream()
          .filter(p -> !consumer.assignment().contains(p)).toList();
      consumer.assign(wanted);
      consumer.seekToBeginning(added);
    }
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
  }
}
