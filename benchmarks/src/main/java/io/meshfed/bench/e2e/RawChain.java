package io.meshfed.bench.e2e;

import io.meshfed.topology.config.TopologyConfig;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The floor: what Kafka alone costs for meshfed's path. The topology's path for an agent's
 * event (written with {@code EventPartitioner}, so ingest and select handle it where it is read)
 * is agent → events topic → ingest and select → by-destination repartition → decide → output
 * topic → reader: three topics, two consume-produce hops (three until 2026-12-03, when every
 * event also crossed a by-service repartition). The
 * chain here has the same hops with relays that do nothing, on the same broker, with the same
 * settings: exactly-once relays are transactional, read_committed, and commit as soon as they
 * have relayed what a poll returned (meshfed's group commit, CommitOnDrain) with the same 5 ms
 * producer retry backoff, polling every 10 ms; at-least-once relays send at once. Payloads are
 * 256 bytes carrying their send time.
 *
 * <p>With {@code outputsPerEvent} above one the last relay writes that many records for each
 * it reads and the sink reads them all: the records a flip's product is made of (one config per
 * client cluster whose config changes, one decision each) written and read by Kafka alone — no
 * state, no transport, no computation. What that costs is the least any engine that emits
 * meshfed's API can cost on this broker and machine.
 */
final class RawChain implements AutoCloseable {

  static final int HOPS = 2;
  /** The prefix of the relays' threads and producers' client ids (their CPU is the floor's). */
  static final String RELAY_THREADS = "floor-relay-";
  private static final int PARTITIONS = 3;

  private final BenchEnvironment env;
  private final boolean exactlyOnce;
  private final int outputsPerEvent;
  private final String prefix;
  private final List<Thread> relays = new ArrayList<>();
  private final Recorder latency = new Recorder(3);
  private volatile boolean running = true;
  private final KafkaProducer<byte[], byte[]> source;
  private final Thread sink;

  RawChain(BenchEnvironment env, boolean exactlyOnce) {
    this(env, exactlyOnce, 1);
  }

  RawChain(BenchEnvironment env, boolean exactlyOnce, int outputsPerEvent) {
    if (outputsPerEvent < 1) {
      throw new IllegalArgumentException("outputsPerEvent must be at least 1");
    }
    this.env = env;
    this.exactlyOnce = exactlyOnce;
    this.outputsPerEvent = outputsPerEvent;
    this.prefix = "floor-" + (exactlyOnce ? "eos" : "alos") + "-" + UUID.randomUUID() + "-";
    List<String> topics = new ArrayList<>();
    for (int i = 0; i <= HOPS; i++) {
      topics.add(topic(i));
    }
    env.kafka().createTopics(PARTITIONS, topics.toArray(String[]::new));
    for (int i = 0; i < HOPS; i++) {
      int hop = i;
      Thread relay = new Thread(() -> relay(hop), RELAY_THREADS + hop);
      relay.setDaemon(true);
      relay.start();
      relays.add(relay);
    }
    sink = new Thread(this::sink, "floor-sink");
    sink.setDaemon(true);
    sink.start();
    source = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
        env.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 0), new ByteArraySerializer(), new ByteArraySerializer());
  }

  private String topic(int i) {
    return prefix + i;
  }

  private KafkaConsumer<byte[], byte[]> consumer(String group, String topic) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, exactlyOnce ? "read_committed"
        : "read_uncommitted");
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5);
    KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      partitions.add(new TopicPartition(topic, p));
    }
    c.assign(partitions);
    return c;
  }

  private void relay(int hop) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers());
    // Named, so a CPU reading can tell the relays' network threads from the benchmark's.
    props.put(ProducerConfig.CLIENT_ID_CONFIG, RELAY_THREADS + hop);
    // The topology's default linger for the guarantee, so the floor has the same settings.
    props.put(ProducerConfig.LINGER_MS_CONFIG, (int) (exactlyOnce
        ? TopologyConfig.TRANSACTION_LINGER : TopologyConfig.HOP_LINGER).toMillis());
    if (exactlyOnce) {
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "relay-" + hop);
      props.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5);
    }
    try (KafkaConsumer<byte[], byte[]> in = consumer(prefix + "relay-" + hop, topic(hop));
        KafkaProducer<byte[], byte[]> out = new KafkaProducer<>(props, new ByteArraySerializer(),
            new ByteArraySerializer())) {
      if (exactlyOnce) {
        out.initTransactions();
      }
      boolean open = false;
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      while (running) {
        ConsumerRecords<byte[], byte[]> records = in.poll(Duration.ofMillis(10));
        for (ConsumerRecord<byte[], byte[]> r : records) {
          if (exactlyOnce && !open) {
            out.beginTransaction();
            open = true;
          }
          int copies = hop == HOPS - 1 ? outputsPerEvent : 1;
          for (int i = 0; i < copies; i++) {
            out.send(new ProducerRecord<>(topic(hop + 1), (r.partition() + i) % PARTITIONS,
                r.key(), r.value()));
          }
          offsets.put(new TopicPartition(r.topic(), r.partition()),
              new OffsetAndMetadata(r.offset() + 1));
        }
        if (open) {
          out.sendOffsetsToTransaction(offsets, in.groupMetadata());
          out.commitTransaction();
          offsets.clear();
          open = false;
        }
      }
    } catch (org.apache.kafka.common.errors.InterruptException stopping) {
      Thread.currentThread().interrupt();
    }
  }

  private void sink() {
    try (KafkaConsumer<byte[], byte[]> in = consumer(prefix + "sink", topic(HOPS))) {
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : in.poll(Duration.ofMillis(5))) {
          long sent = ByteBuffer.wrap(r.value()).getLong();
          latency.recordValue(Math.max(1, (System.nanoTime() - sent) / 1_000));
        }
      }
    }
  }

  /**
   * One run: latencies in microseconds of the records that arrived at the sink, how many events
   * were sent, how many records should arrive ({@code sent × outputsPerEvent}), and the rate the
   * source achieved.
   */
  record Run(Histogram latency, long sent, long expected, double achievedRate) {

    /** Records that should have reached the sink and had not after the wait. */
    long notArrived() {
      return expected - latency.getTotalCount();
    }
  }

  /** Sends {@code rate} records per second for {@code duration}; latencies in microseconds. */
  Histogram run(int rate, Duration duration) {
    return measure(rate, duration).latency();
  }

  /** As {@link #run}, with the count sent and the rate achieved. */
  Run measure(int rate, Duration duration) {
    latency.reset();
    long count = Math.max(1, (long) rate * duration.toSeconds());
    long interval = 1_000_000_000L / rate;
    long start = System.nanoTime();
    for (long n = 0; n < count; n++) {
      long wait = start + n * interval - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      byte[] payload = new byte[256];
      ByteBuffer.wrap(payload).putLong(System.nanoTime());
      source.send(new ProducerRecord<>(topic(0), (int) (n % PARTITIONS), null, payload));
    }
    source.flush();
    double achieved = count * 1e9 / Math.max(1, System.nanoTime() - start);
    long expected = count * outputsPerEvent;
    Histogram result = new Histogram(3);
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (result.getTotalCount() < expected && System.nanoTime() < until) {
      LockSupport.parkNanos(50_000_000L);
      result.add(latency.getIntervalHistogram());
    }
    return new Run(result, count, expected, achieved);
  }

  @Override
  public void close() {
    running = false;
    for (Thread t : relays) {
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    source.close();
  }
}
