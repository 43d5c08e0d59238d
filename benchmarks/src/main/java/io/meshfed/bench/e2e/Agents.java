package io.meshfed.bench.e2e;

import io.meshfed.topics.EventPartitioner;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/** The simulated agents of a fleet: one producer set like an agent's, heartbeats on a timer. */
final class Agents {

  private Agents() {}

  /**
   * The simulated agents' producer, set like {@code ClusterAgent}'s where it changes what the
   * broker and the topology get: acks=all, idempotent, linger 1 ms, Kafka's default batch size,
   * no compression. One producer stands for the whole fleet, so its client-side costs land in
   * the benchmark's JVM, beside the topology; it used lz4 with 256 KB batches until 2026-12-03,
   * and with a fleet's 600 events partitions each batch held a record or two, so the compressor's
   * per-batch buffers made 13 GB a minute of garbage in the fleet section's resync (JFR
   * allocation samples) and paused the topology's threads with the rest — load a real fleet's
   * agents put on their own machines.
   */
  static KafkaProducer<String, SpecificRecord> producer(BenchEnvironment env, String clientId) {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
        ProducerConfig.CLIENT_ID_CONFIG, clientId,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.LINGER_MS_CONFIG, 1,
        ProducerConfig.PARTITIONER_CLASS_CONFIG, EventPartitioner.class.getName()),
        new StringSerializer(), env.serde().serializer());
  }

  /** Every cluster's heartbeat every {@code interval}, on a thread of its own, until closed. */
  static final class Heartbeats implements AutoCloseable {
    private final KafkaProducer<String, SpecificRecord> producer;
    private final int clusters;
    private final BiFunction<Integer, Instant, ProducerRecord<String, SpecificRecord>> heartbeat;
    private final Duration interval;
    private final List<Runnable> also = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    Heartbeats(KafkaProducer<String, SpecificRecord> producer, int clusters,
        BiFunction<Integer, Instant, ProducerRecord<String, SpecificRecord>> heartbeat,
        Duration interval) {
      this.producer = producer;
      this.clusters = clusters;
      this.heartbeat = heartbeat;
      this.interval = interval;
      this.thread = new Thread(this::loop, "bench-heartbeats");
      thread.setDaemon(true);
    }

    /** Another fleet's heartbeats to send with these (e.g. a probe's). */
    synchronized void alsoSend(Runnable other) {
      also.add(other);
    }

    synchronized void sendNow() {
      Instant now = Instant.now();
      for (int c = 0; c < clusters; c++) {
        producer.send(heartbeat.apply(c, now));
      }
      also.forEach(Runnable::run);
    }

    void start() {
      thread.start();
    }

    private void loop() {
      long next = System.nanoTime() + interval.toNanos();
      while (running) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(Math.min(wait, 100_000_000L));
          continue;
        }
        sendNow();
        next += interval.toNanos();
      }
    }

    @Override
    public void close() {
      running = false;
      try {
        thread.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
