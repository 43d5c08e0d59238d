package io.meshfed.topology;

import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.topology.admin.GroupSessionBounds;
import io.meshfed.topics.TopicSettings;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.CrashDetection;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.config.TopologyConfig;
import io.meshfed.topology.lag.EventsLagMonitor;
import io.meshfed.topology.recovery.OrphanTransactionFencer;
import io.meshfed.topology.recovery.RedundancyWatch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wiring only: config, provisioning of the shared topics, {@link KafkaStreams} with a state
 * listener (the events-lag monitor and the orphan-transaction fencer hang off it), an
 * uncaught-exception policy and a shutdown hook.
 */
public final class TopologyMain {

  private static final Logger LOG = LoggerFactory.getLogger(TopologyMain.class);

  /** How long a start waits for the broker to say which sessions it accepts. */
  private static final Duration BROKER_QUESTION = Duration.ofSeconds(5);

  private TopologyMain() {}

  public static void main(String[] args) throws InterruptedException {
    TopologyConfig config = TopologyConfig.load(args.length > 0 ? Path.of(args[0]) : null,
        System.getenv());
    KafkaStreams streams = start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // A planned stop leaves the group, so the others take over at once, not after the
      // session timeout.
      streams.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
          org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
          .withTimeout(java.time.Duration.ofSeconds(30)));
      stopped.countDown();
    }, "meshfed-shutdown"));
    stopped.await();
  }

  /** Provisions the shared topics and starts the topology; the caller closes it. */
  public static KafkaStreams start(TopologyConfig config) {
    return start(config, new java.util.Properties());
  }

  /**
   * As {@link #start(TopologyConfig)}, with raw Kafka Streams/client properties laid over the
   * ones derived from the config (for operators who need a knob meshfed does not model).
   */
  public static KafkaStreams start(TopologyConfig config, java.util.Properties overrides) {
    return start(config, overrides, null);
  }

  /** As above, reporting state restoration (from changelogs) to {@code restoreListener}. */
  public static KafkaStreams start(TopologyConfig given, java.util.Properties overrides,
      org.apache.kafka.streams.processor.StateRestoreListener restoreListener) {
    TopologyConfig config = provision(given);
    SchemaRegistryClient registry = new SchemaRegistryClient(config.registry());
    java.util.Properties props = StreamsSettings.from(config);
    props.putAll(overrides);
    KafkaStreams streams = new KafkaStreams(MeshfedTopology.build(config, registry), props);
    // Backlog per cluster, so that a heartbeat queued behind unread records is not taken for a
    // cluster that went quiet (see EventsLag).
    java.util.Properties client = new java.util.Properties();
    client.put("bootstrap.servers", config.bootstrapServers());
    props.stringPropertyNames().stream()
        .filter(k -> k.startsWith("security.") || k.startsWith("sasl.") || k.startsWith("ssl."))
        .forEach(k -> client.put(k, props.getProperty(k)));
    EventsLagMonitor lag = EventsLagMonitor.start(config.applicationId(),
        new MeshfedTopics(registry).clusterEvents(), client);
    // A peer killed inside a transaction blocks the partitions it wrote until that transaction
    // is aborted; abort it when the group lets the peer go, not after the transaction timeout.
    OrphanTransactionFencer fencer = config.exactlyOnce()
        ? OrphanTransactionFencer.start(config.applicationId(), client) : null;
    // When this instance is a warm spare again after a rebalance (see RedundancyWatch).
    RedundancyWatch redundancy = RedundancyWatch.of(streams, config.applicationId());
    streams.setStateListener((next, previous) -> {
      LOG.info("meshfed topology {} -> {}", previous, next);
      if (fencer != null) {
        fencer.onStateChange(next);
      }
      redundancy.onStateChange(next);
      if (next == KafkaStreams.State.PENDING_SHUTDOWN || next == KafkaStreams.State.NOT_RUNNING
          || next == KafkaStreams.State.ERROR) {
        lag.close();
        redundancy.close();
        if (fencer != null) {
          fencer.close();
        }
      }
    });
    // A bug must not leave a zombie: replace the thread and keep serving the rest. A session
    // the broker refuses would fail the same way in every new thread: stop, saying why.
    streams.setUncaughtExceptionHandler(e -> {
      String refused = io.meshfed.topology.config.SessionRefusal.explain(e,
          config.crashDetection());
      if (refused != null) {
        LOG.error(refused);
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
      }
      LOG.error("stream thread died; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    if (restoreListener != null) {
      streams.setGlobalStateRestoreListener(restoreListener);
    }
    streams.start();
    return streams;
  }

  /**
   * Creates the shared topics and, unless the operator chose a session, agrees one with the
   * broker: the shortest it accepts from 2.5 s up ({@link CrashDetection#forBroker}), or the
   * stock 6 s when it will not say. One Admin client for both.
   */
  private static TopologyConfig provision(TopologyConfig config) {
    try (Admin admin = TopicProvisioner.admin(config.bootstrapServers(), config.kafkaClient())) {
      // The broker's default replication: one replica would refuse every acks=all write on a
      // cluster with min.insync.replicas=2 (MSK), and a development broker's default is 1.
      TopicProvisioner.ensureSharedTopics(admin, !config.kafkaClient().isEmpty(),
          TopicSettings.BROKER_DEFAULT_REPLICATION);
      CrashDetection given = config.crashDetection();
      if (!given.negotiable()) {
        return config;
      }
      long asked = System.nanoTime();
      GroupSessionBounds.Answer answer = GroupSessionBounds.ask(admin, BROKER_QUESTION);
      long askedMs = (System.nanoTime() - asked) / 1_000_000;
      CrashDetection agreed = answer.bounds()
          .map(b -> given.forBroker(b.min(), b.max())).orElse(given);
      LOG.info("group session {} ms, heartbeats every {} ms (broker asked in {} ms): {}",
          agreed.sessionTimeout().toMillis(), agreed.heartbeatInterval().toMillis(), askedMs,
          answer.bounds().isPresent()
              ? "the shortest from " + CrashDetection.PREFERRED_SESSION.toMillis()
                  + " ms the broker accepts (" + answer.bounds().get() + ")"
              : "the broker's bounds are unknown (" + answer.whyUnknown() + "); set "
                  + "meshfed.group.session.timeout.ms to choose");
      return config.withCrashDetection(agreed);
    }
  }
}
