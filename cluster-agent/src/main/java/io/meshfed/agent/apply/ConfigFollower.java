package io.meshfed.agent.apply;

import io.meshfed.avro.AckResult;
import io.meshfed.avro.ConfigAck;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.ResourceRef;
import io.meshfed.topics.EventKeys;
import io.meshfed.topics.Topic;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the cluster's config topic and keeps the cluster in step with it. The topic is
 * compacted, so reading it from the start rebuilds the whole desired state; only then are owned
 * objects of destinations no longer desired pruned (never before: a half-read topic would look
 * like deletions). Each applied epoch is acknowledged on the cluster's events topic, applied or
 * failed with the error; a failed destination is tried again every 30 s until it applies. When
 * Kafka is away nothing is touched: the applied config stays as it
 * is, and the consumer catches up when Kafka returns. A config whose epoch is lower than one
 * already seen for its destination is refused (see {@link #highestEpoch}).
 */
public final class ConfigFollower implements Runnable, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ConfigFollower.class);

  private final String cluster;
  private final Topic<String, SpecificRecord> configTopic;
  private final Topic<String, SpecificRecord> eventsTopic;
  private final KafkaConsumer<String, SpecificRecord> consumer;
  private final Producer<String, SpecificRecord> producer;
  private final ConfigApplier applier;
  private final Reconciler reconciler;
  private final Consumer<SpecificRecord> statusSink;
  private final Clock clock;
  private final Map<String, FederatedDestination> desired = new HashMap<>();
  /**
   * The highest epoch seen per destination key, kept across tombstones (the topology never
   * reuses an epoch, even for a re-created destination). A config with a lower epoch is older
   * than one already applied — a late record of a lost hub region, mirrored after the standby
   * took over — and is refused, so nothing applied goes backwards.
   */
  private final Map<String, Long> highestEpoch = new HashMap<>();
  /** Destinations whose last apply failed; tried again every {@link #RETRY_FAILED}. */
  private final Set<String> failed = new HashSet<>();
  private static final Duration RETRY_FAILED = Duration.ofSeconds(30);
  private java.time.Instant nextRetry;
  /** This start's restart epoch, carried in acks so the topology fences a replaced agent's. */
  private volatile long restartEpoch = -1;
  /** Destination keys to apply again although their config did not change (see reapply). */
  private final java.util.concurrent.ConcurrentLinkedQueue<String> reapply =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private volatile boolean running = true;
  private volatile boolean caughtUp;

  public ConfigFollower(String cluster, Topic<String, SpecificRecord> configTopic,
      Topic<String, SpecificRecord> eventsTopic, KafkaConsumer<String, SpecificRecord> consumer,
      Producer<String, SpecificRecord> producer, ConfigApplier applier, Reconciler reconciler,
      Consumer<SpecificRecord> statusSink, Clock clock) {
    this.cluster = cluster;
    this.configTopic = configTopic;
    this.eventsTopic = eventsTopic;
    this.consumer = consumer;
    this.producer = producer;
    this.applier = applier;
    this.reconciler = reconciler;
    this.statusSink = statusSink;
    this.clock = clock;
  }

  /** The restart epoch acks carry. Before the follower runs. */
  public void restartEpoch(long epoch) {
    this.restartEpoch = epoch;
  }

  /**
   * Applies a destination's config again on the follower thread, from any thread: what the
   * applier writes for it changed for a reason outside the config topic (a TrafficPolicy). No
   * effect while its config is absent, and none needed before the topic is read (everything is
   * applied then).
   */
  public void reapply(ResourceRef destination) {
    reapply.add("FederatedDestination/" + Ownership.destinationKey(destination));
  }

  /** True once the whole topic has been read and stale objects pruned. */
  public boolean isCaughtUp() {
    return caughtUp;
  }

  @Override
  public void run() {
    Map<TopicPartition, Long> end = assignWhenReachable();
    if (end == null) {
      return; // closed before Kafka was reachable
    }
    Set<String> touched = new HashSet<>();
    while (running) {
      try {
        for (ConsumerRecord<String, SpecificRecord> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.key() == null || !record.key().startsWith("FederatedDestination/")) {
            if (record.value() != null) {
              statusSink.accept(record.value());
            }
            continue;
          }
          if (record.value() == null) {
            desired.remove(record.key());
          } else {
            FederatedDestination fd = (FederatedDestination) record.value();
            Long highest = highestEpoch.get(record.key());
            if (highest != null && fd.getEpoch() < highest) {
              LOG.warn("cluster {}: {} epoch {} refused: epoch {} is newer", cluster,
                  record.key(), fd.getEpoch(), highest);
              continue;
            }
            highestEpoch.put(record.key(), fd.getEpoch());
            desired.put(record.key(), fd);
          }
          touched.add(record.key());
        }
        if (!caughtUp && end.entrySet().stream()
            .allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
          // The full desired state is known: apply it all at once, pruning what nothing wants.
          applyAll();
          touched.clear();
          caughtUp = true;
          LOG.info("cluster {}: config rebuilt from {} ({} destinations)", cluster,
              configTopic.name(), desired.size());
        } else if (caughtUp) {
          for (String key; (key = reapply.poll()) != null; ) {
            if (desired.containsKey(key)) {
              touched.add(key);
            }
          }
          touched.forEach(this::apply);
          touched.clear();
        }
        if (caughtUp && !failed.isEmpty() && !clock.instant().isBefore(nextRetry)) {
          nextRetry = clock.instant().plus(RETRY_FAILED);
          new java.util.ArrayList<>(failed).forEach(this::apply);
        }
      } catch (org.apache.kafka.common.errors.WakeupException stopping) {
        break;
      } catch (RuntimeException e) {
        LOG.warn("cluster {}: config loop error, applied config kept: {}", cluster, e.toString());
      }
    }
  }

  /**
   * Assigns the config topic's partitions from the start and returns their end offsets, trying
   * again (1 s doubling to 30 s) for as long as Kafka cannot tell them: an agent started while
   * Kafka is unreachable must not lose its follower thread (it would never follow the config
   * once Kafka is back), and a topic that shows no partitions must not count as an empty
   * config (caught up on nothing, the agent would prune every object it applied). Meanwhile
   * nothing is touched: the objects applied before the restart stay as they are — they are
   * the last-known-good config, kept by the API server — and readiness says not caught up.
   * Null when closed first.
   */
  private Map<TopicPartition, Long> assignWhenReachable() {
    Duration delay = Duration.ofSeconds(1);
    for (int attempt = 1; running; attempt++) {
      try {
        List<TopicPartition> partitions = consumer.partitionsFor(configTopic.name()).stream()
            .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        if (!partitions.isEmpty()) {
          consumer.assign(partitions);
          consumer.seekToBeginning(partitions);
          return consumer.endOffsets(partitions);
        }
        unreachable(attempt, "no partitions of " + configTopic.name() + " visible");
      } catch (org.apache.kafka.common.errors.WakeupException stopping) {
        return null;
      } catch (RuntimeException e) {
        unreachable(attempt, e.toString());
      }
      synchronized (this) {
        try {
          // A wait that close() ends at once (notifyAll), not a sleep.
          wait(delay.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return null;
        }
      }
      delay = delay.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0
          ? Duration.ofSeconds(30) : delay.multipliedBy(2);
    }
    return null;
  }

  private void unreachable(int attempt, String why) {
    // One line on the first failure and then every tenth: an outage of hours stays readable.
    if (attempt == 1 || attempt % 10 == 0) {
      LOG.warn("cluster {}: config topic not readable yet (attempt {}), applied config kept: {}",
          cluster, attempt, why.length() > 300 ? why.substring(0, 300) + "…" : why);
    }
  }

  private void apply(String key) {
    FederatedDestination fd = desired.get(key);
    ResourceRef ref = fd != null ? fd.getDestination() : refFromKey(key);
    if (fd == null) {
      applier.withdrawn(ref);
    }
    try {
      Reconciler.Result result = reconciler.reconcile(ref,
          fd == null ? List.of() : applier.desired(fd));
      failed.remove(key);
      if (fd != null) {
        ack(fd, AckResult.APPLIED, applier.cannotServe(fd));
      }
      if (result.writes() > 0) {
        LOG.info("cluster {}: {} epoch {}: {}", cluster, key, fd == null ? "-" : fd.getEpoch(),
            result);
      }
    } catch (Exception e) {
      LOG.warn("cluster {}: applying {} failed: {}", cluster, key, e.getMessage());
      if (fd != null) {
        if (failed.isEmpty()) {
          nextRetry = clock.instant().plus(RETRY_FAILED);
        }
        failed.add(key);
        ack(fd, AckResult.FAILED, e.getMessage());
      }
    }
  }

  private void applyAll() {
    Map<ResourceRef, List<io.fabric8.kubernetes.api.model.GenericKubernetesResource>> all =
        new HashMap<>();
    desired.values().forEach(fd -> all.put(fd.getDestination(), applier.desired(fd)));
    try {
      Map<ResourceRef, Exception> failures = reconciler.reconcileAll(all);
      for (FederatedDestination fd : desired.values()) {
        Exception failure = failures.get(fd.getDestination());
        if (failure != null) {
          failed.add("FederatedDestination/" + Ownership.destinationKey(fd.getDestination()));
          nextRetry = clock.instant().plus(RETRY_FAILED);
        }
        ack(fd, failure == null ? AckResult.APPLIED : AckResult.FAILED,
            failure == null ? applier.cannotServe(fd) : failure.getMessage());
      }
    } catch (Exception e) {
      LOG.warn("cluster {}: applying the rebuilt config failed, falling back to one by one: {}",
          cluster, e.toString());
      desired.keySet().forEach(this::apply);
    }
  }

  private void ack(FederatedDestination fd, AckResult outcome, String message) {
    ResourceRef ref = fd.getDestination();
    ConfigAck ack = ConfigAck.newBuilder().setDestination(ref).setEpoch(fd.getEpoch())
        .setPolicyGeneration(fd.getPolicyGeneration()).setOutcome(outcome).setMessage(message)
        .setTime(clock.instant()).setRestartEpoch(restartEpoch).build();
    producer.send(new ProducerRecord<>(eventsTopic.name(),
        EventKeys.ack(cluster, ref.getKind(), ref.getNamespace(), ref.getName()), ack));
  }

  private static ResourceRef refFromKey(String key) {
    String[] parts = key.split("/", 4);
    return new ResourceRef(io.meshfed.avro.ResourceKind.valueOf(parts[1]), parts[2], parts[3]);
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    synchronized (this) {
      notifyAll();
    }
  }
}
