package io.meshfed.topology.integration;

import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A read_committed consumer on a background thread that keeps every record of the matching
 * topics with the wall-clock time it became visible — what a user subscribing to meshfed sees.
 */
final class OutputCollector implements AutoCloseable {

  /** A record and when it was polled. */
  record Seen(ConsumerRecord<String, SpecificRecord> record, long seenAtMillis) {
    SpecificRecord value() {
      return record.value();
    }
  }

  private final Queue<Seen> seen = new ConcurrentLinkedQueue<>();
  private final KafkaConsumer<String, SpecificRecord> consumer;
  private final Thread thread;
  private volatile boolean running = true;

  OutputCollector(String bootstrap, SchemaRegistryClient registry, Pattern topics) {
    consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "collector-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.METADATA_MAX_AGE_CONFIG, 1000),
        new StringDeserializer(), AvroSerde.anyRecord(registry).deserializer());
    thread = new Thread(() -> {
      try {
        consumer.subscribe(topics);
        while (running) {
          for (ConsumerRecord<String, SpecificRecord> r : consumer.poll(Duration.ofMillis(50))) {
            seen.add(new Seen(r, System.currentTimeMillis()));
          }
        }
      } catch (WakeupException stopping) {
        // closing
      } finally {
        consumer.close();
      }
    }, "output-collector");
    thread.setDaemon(true);
    thread.start();
  }

  List<Seen> all() {
    return List.copyOf(seen);
  }

  List<Seen> onTopic(String topic) {
    return seen.stream().filter(s -> s.record().topic().equals(topic)).toList();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    consumer.wakeup();
    thread.join(10_000);
  }
}
