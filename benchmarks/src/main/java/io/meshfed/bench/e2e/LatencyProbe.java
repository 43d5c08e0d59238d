package io.meshfed.bench.e2e;

import io.meshfed.topics.EventPartitioner;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Drives endpoint-health flips into a running topology at a fixed rate (open loop: sends are
 * scheduled by the clock, not by replies) and times each flip, as an agent sends it, to
 * (1) the FailoverDecision readable by a read_committed consumer and (2) the
 * FederatedDestination on the affected client cluster's config topic.
 *
 * <p>Flip n toggles svc-(n mod S) on the fleet's first cluster between all-ready (tier 0 active)
 * and none-ready (tier 1 active). A flip sent while the previous flip of the same service is
 * still unanswered keeps the earlier send time, so a coalesced flip counts against meshfed.
 */
final class LatencyProbe implements AutoCloseable {

  /** Latencies of one run, in microseconds. */
  record Result(int targetRate, double achievedRate, long sent, Histogram decision,
      Histogram config, long unmatchedDecisions, long unmatchedConfigs) {}

  private final Fleet fleet;
  private final int services;
  private final KafkaProducer<String, SpecificRecord> agent;
  private final KafkaConsumer<String, SpecificRecord> decisions;
  private final KafkaConsumer<String, SpecificRecord> configs;
  private final AtomicLongArray decisionPending;
  private final AtomicLongArray configPending;
  private final AtomicIntegerArray expectedTier;
  private final Recorder decisionLatency = new Recorder(3);
  private final Recorder configLatency = new Recorder(3);
  private final Thread reader;
  private volatile boolean running = true;
  private final AtomicIntegerArray activeTier;
  /** Whether each service is currently flipped down; kept across runs, so a run's first flip
   * of a service is a real change and not a repeat of the last state of the previous run. */
  private final boolean[] down;
  private volatile long lastDecisionAt = System.nanoTime();
  /** How long {@link #awaitDrained} waits without progress once every pending flip may have
   * been coalesced: {@link #STALLED_NANOS}, or {@link #QUICK_COALESCED_NANOS} in a quick run. */
  private final long coalescedNanos;

  LatencyProbe(BenchEnvironment env, Fleet fleet, int services) {
    this(env, fleet, services, env.bootstrapServers(), env.bootstrapServers());
  }

  /**
   * A probe whose agent lives in another region: it sends to and reads its config from
   * {@code agentRegion}'s Kafka; the decisions are read where the topology runs.
   */
  LatencyProbe(BenchEnvironment env, Fleet fleet, int services, String agentRegion) {
    this(env, fleet, services, agentRegion, agentRegion);
  }

  private LatencyProbe(BenchEnvironment env, Fleet fleet, int services, String agentBootstrap,
      String configBootstrap) {
    this.fleet = fleet;
    this.services = services;
    this.decisionPending = new AtomicLongArray(services);
    this.configPending = new AtomicLongArray(services);
    this.expectedTier = new AtomicIntegerArray(services);
    this.activeTier = new AtomicIntegerArray(services);
    this.down = new boolean[services];
    this.coalescedNanos = env.quick() ? QUICK_COALESCED_NANOS : STALLED_NANOS;
    for (int i = 0; i < services; i++) {
      activeTier.set(i, Integer.MIN_VALUE);
    }
    // The environment's client settings (security included), at the agent's region.
    Map<String, Object> producer = new java.util.HashMap<>(env.clientSettings());
    producer.putAll(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, agentBootstrap,
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 0,
        ProducerConfig.PARTITIONER_CLASS_CONFIG, EventPartitioner.class.getName()));
    this.agent = new KafkaProducer<>(producer, new StringSerializer(),
        env.serde().serializer());
    this.decisions = consumer(env, env.bootstrapServers(), "meshfed.failover-events");
    this.configs = consumer(env, configBootstrap,
        "meshfed.cluster." + fleet.cluster(0) + ".config");
    this.reader = new Thread(this::read, "latency-probe-reader");
    reader.setDaemon(true);
    reader.start();
  }

  private static KafkaConsumer<String, SpecificRecord> consumer(BenchEnvironment env,
      String bootstrap, String topic) {
    Map<String, Object> settings = new java.util.HashMap<>(env.clientSettings());
    settings.putAll(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5));
    KafkaConsumer<String, SpecificRecord> c = new KafkaConsumer<>(settings,
        new StringDeserializer(), env.serde().deserializer());
    List<TopicPartition> partitions = c.partitionsFor(topic).stream()
        .map(p -> new TopicPartition(topic, p.partition())).toList();
    c.assign(partitions);
    c.seekToEnd(partitions);
    partitions.forEach(c::position);
    return c;
  }

  KafkaProducer<String, SpecificRecord> agent() {
    return agent;
  }

  /**
   * Waits until the initial load is decided: every destination routes to tier 0 for the first
   * cluster and no decision has arrived for a second. Flips sent earlier would queue behind the
   * load and measure it instead of a decision.
   */
  void awaitSettled(Duration timeout) {
    long until = System.nanoTime() + timeout.toNanos();
    long nextHeartbeat = System.nanoTime() + 5_000_000_000L;
    while (true) {
      if (System.nanoTime() >= nextHeartbeat) {
        heartbeats(); // a long warm-up must not let the clusters go stale
        nextHeartbeat += 5_000_000_000L;
      }
      int settled = 0;
      for (int i = 0; i < services; i++) {
        settled += activeTier.get(i) == 0 ? 1 : 0;
      }
      if (settled == services && System.nanoTime() - lastDecisionAt > 1_000_000_000L) {
        return;
      }
      if (System.nanoTime() > until) {
        throw new IllegalStateException("warm-up: " + settled + " of " + services
            + " destinations on tier 0 after " + timeout);
      }
      LockSupport.parkNanos(100_000_000L);
    }
  }

  private void read() {
    String namespace = fleet.prefix;
    String client = fleet.cluster(0);
    while (running) {
      for (ConsumerRecord<String, SpecificRecord> r : decisions.poll(Duration.ofMillis(5))) {
        long now = System.nanoTime();
        if (r.value() instanceof FailoverDecision d
            && d.getDestination().getNamespace().equals(namespace)
            && d.getClientCluster().equals(client)) {
          lastDecisionAt = now;
          int i = index(d.getDestination().getName());
          if (i < services) {
            activeTier.set(i, d.getAfter().getActiveTier());
          }
          match(d.getDestination().getName(), d.getAfter().getActiveTier(), decisionPending,
              decisionLatency, now);
        }
      }
      for (ConsumerRecord<String, SpecificRecord> r : configs.poll(Duration.ofMillis(5))) {
        long now = System.nanoTime();
        if (r.value() instanceof FederatedDestination fd
            && fd.getDestination().getNamespace().equals(namespace)) {
          match(fd.getDestination().getName(), fd.getActiveTier(), configPending, configLatency,
              now);
        }
      }
    }
  }

  private void match(String name, int activeTier, AtomicLongArray pending, Recorder latency,
      long now) {
    int i = index(name);
    if (i >= services) {
      return;
    }
    long sent = pending.get(i);
    if (sent != 0 && activeTier == expectedTier.get(i) && pending.compareAndSet(i, sent, 0)) {
      latency.recordValue(Math.max(1, (now - sent) / 1_000));
    }
  }

  private static int index(String destinationName) {
    return Integer.parseInt(destinationName.substring("fs-".length()));
  }

  /** Sends {@code rate} flips per second for {@code duration}, then waits for the answers. */
  Result run(int rate, Duration duration) {
    decisionLatency.reset();
    configLatency.reset();
    // Flips an earlier run left pending were counted as unmatched there; left in place, the
    // next flip of the same service would be timed from the earlier one (a 256 s p99 in the
    // quick mode's exactly-once step, from a warm-up flip that was coalesced away).
    for (int i = 0; i < decisionPending.length(); i++) {
      decisionPending.set(i, 0);
      configPending.set(i, 0);
    }
    long count = Math.max(1, (long) rate * duration.toSeconds());
    long interval = 1_000_000_000L / rate;
    long start = System.nanoTime();
    long nextHeartbeat = start;
    for (long n = 0; n < count; n++) {
      long due = start + n * interval;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      if (System.nanoTime() >= nextHeartbeat) {
        heartbeats();
        nextHeartbeat += 5_000_000_000L;
      }
      int i = (int) (n % services);
      down[i] = !down[i];
      expectedTier.set(i, down[i] ? 1 : 0);
      long now = System.nanoTime();
      decisionPending.compareAndSet(i, 0, now);
      configPending.compareAndSet(i, 0, now);
      agent.send(fleet.endpoints(0, i, down[i] ? 0 : fleet.endpointsPerService));
    }
    agent.flush();
    double achieved = count / ((System.nanoTime() - start) / 1e9);
    awaitDrained(Duration.ofSeconds(15));
    return new Result(rate, achieved, count, decisionLatency.getIntervalHistogram(),
        configLatency.getIntervalHistogram(), pendingCount(decisionPending),
        pendingCount(configPending));
  }

  /**
   * Publishes the probe's fleet — heartbeats, every cluster's services and endpoints, one
   * FailoverService per probed service — and waits until every initial decision is in.
   */
  void publishFleetAndSettle() {
    heartbeats();
    for (int c = 0; c < fleet.clusters; c++) {
      for (int s = 0; s < services; s++) {
        agent.send(fleet.service(c, s));
        agent.send(fleet.endpoints(c, s, fleet.endpointsPerService));
      }
    }
    for (int s = 0; s < services; s++) {
      agent.send(fleet.failoverService(s, 0, s));
    }
    agent.flush();
    awaitSettled(Duration.ofSeconds(300));
  }

  void heartbeats() {
    Instant now = Instant.now();
    for (int c = 0; c < fleet.clusters; c++) {
      agent.send(fleet.heartbeat(c, now));
    }
  }

  /**
   * Waits until every flip sent so far is decided and its config read, at most {@code max};
   * true when nothing is pending. A step that starts on the last one's backlog measures that
   * backlog, not its own rate.
   */
  boolean awaitDrained(Duration max) {
    long until = System.nanoTime() + max.toNanos();
    long pending = pendingCount(decisionPending) + pendingCount(configPending);
    long progressAt = System.nanoTime();
    while (pending > 0) {
      long now = System.nanoTime();
      // A flip undone by the next one before the topology read either (coalesced: no decision,
      // correctly) stays pending for good; a backlog that stops shrinking is not waited out.
      // A quick run (which checks the harness, not the figures) waits less when every pending
      // flip's service already shows, in its last decision, the tier its last flip asks for:
      // the 10 s were most of its drains, a third of its failover section.
      if (now > until || now - progressAt > STALLED_NANOS
          || (now - progressAt > coalescedNanos && pendingMayBeCoalesced())) {
        return false;
      }
      LockSupport.parkNanos(50_000_000L); // the reader thread records; this waits for it
      long left = pendingCount(decisionPending) + pendingCount(configPending);
      if (left < pending) {
        progressAt = System.nanoTime();
      }
      pending = left;
    }
    return true;
  }

  /** How long {@link #awaitDrained} waits without any pending flip being decided. */
  static final long STALLED_NANOS = Duration.ofSeconds(10).toNanos();

  /** A quick run's {@link #coalescedNanos}. */
  static final long QUICK_COALESCED_NANOS = Duration.ofSeconds(2).toNanos();

  /**
   * Whether every flip still pending may have been coalesced: its service's last decision seen
   * already routes to the tier its last flip asks for, so no further decision is due for it.
   */
  private boolean pendingMayBeCoalesced() {
    for (int i = 0; i < services; i++) {
      if ((decisionPending.get(i) != 0 || configPending.get(i) != 0)
          && activeTier.get(i) != expectedTier.get(i)) {
        return false;
      }
    }
    return true;
  }

  private static long pendingCount(AtomicLongArray pending) {
    long n = 0;
    for (int i = 0; i < pending.length(); i++) {
      if (pending.get(i) != 0) {
        n++;
      }
    }
    return n;
  }

  @Override
  public void close() {
    running = false;
    try {
      reader.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    decisions.close();
    configs.close();
    agent.close();
  }
}
