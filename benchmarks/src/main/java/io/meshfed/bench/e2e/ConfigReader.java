package io.meshfed.bench.e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads every partition of the config topics of a set of clusters, from the beginning, with one
 * read_committed consumer on a thread of its own (large polls and fetches, so a hundred topics
 * written at once do not fall behind), and hands each record with its arrival time to a
 * handler. The arrival time is taken once per poll, before the records are handled, so the
 * handler's own cost does not add to the latency it measures.
 */
final class ConfigReader implements AutoCloseable {

  private final KafkaConsumer<String, SpecificRecord> consumer;
  private final Thread thread;
  private final BiConsumer<ConsumerRecord<String, SpecificRecord>, Long> handler;
  private final AtomicLong records = new AtomicLong();
  private volatile long lastRecordAt = System.nanoTime();
  private volatile boolean running = true;
  private volatile Throwable failure;

  ConfigReader(BenchEnvironment env, List<String> clusters, String name,
      BiConsumer<ConsumerRecord<String, SpecificRecord>, Long> handler) {
    this.handler = handler;
    this.consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
        ConsumerConfig.CLIENT_ID_CONFIG, "bench-" + name,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 20_000,
        ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024,
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024,
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10),
        new StringDeserializer(), env.serde().deserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (String cluster : clusters) {
      String topic = "meshfed.cluster." + cluster + ".config";
      consumer.partitionsFor(topic).forEach(p -> partitions.add(
          new TopicPartition(topic, p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    thread = new Thread(this::read, "bench-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  private void read() {
    try {
      while (running) {
        var batch = consumer.poll(Duration.ofMillis(50));
        long now = System.nanoTime();
        if (!batch.isEmpty()) {
          lastRecordAt = now;
        }
        for (ConsumerRecord<String, SpecificRecord> r : batch) {
          records.incrementAndGet();
          handler.accept(r, now);
        }
      }
    } catch (RuntimeException | Error e) {
      failure = e;
    }
  }

  long records() {
    return records.get();
  }

  /** Nanotime of the last poll that returned records. */
  long lastRecordAt() {
    return lastRecordAt;
  }

  /** Throws if the reader thread died: a wait on it would otherwise run into its timeout. */
  void check() {
    if (failure != null) {
      throw new IllegalStateException("config reader failed", failure);
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    consumer.close(Duration.ofSeconds(5));
  }
}
