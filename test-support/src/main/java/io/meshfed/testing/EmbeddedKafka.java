package io.meshfed.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real Kafka broker (KRaft, one combined controller+broker node) running in this JVM.
 *
 * <p>This is the only place that touches Kafka's internal test kit ({@code KafkaClusterTestKit}),
 * so a change of that internal API is mended here and nowhere else.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private final KafkaClusterTestKit cluster;

  private EmbeddedKafka(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  /** Starts a one-node broker with its data in a temporary directory deleted on close. */
  public static EmbeddedKafka start() {
    return start(null);
  }

  /**
   * Starts a one-node broker. With {@code dataDir} set, the log directories live there and
   * survive {@link #close()}, so a later start on the same directory resumes its data: the
   * cluster id is kept in {@value #CLUSTER_ID_FILE} and a formatted directory is not formatted
   * again (formatting would give the logs a new cluster id and the broker would refuse them).
   */
  public static EmbeddedKafka start(Path dataDir) {
    String resumedClusterId = dataDir == null ? null : readClusterId(dataDir);
    TestKitNodes.Builder nodes = new TestKitNodes.Builder()
        .setCombined(true)
        .setNumBrokerNodes(1)
        .setNumControllerNodes(1)
        .setBootstrapMetadataVersion(MetadataVersion.latestProduction());
    if (dataDir != null) {
      nodes.setBaseDirectory(dataDir);
    }
    if (resumedClusterId != null) {
      nodes.setClusterId(resumedClusterId);
    }
    try {
      KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(nodes.build())
          // Not defaulted for one node: consumer groups and transactions hang without them.
          .setConfigProp("offsets.topic.replication.factor", "1")
          .setConfigProp("offsets.topic.num.partitions", "4")
          .setConfigProp("transaction.state.log.replication.factor", "1")
          .setConfigProp("transaction.state.log.min.isr", "1")
          .setConfigProp("transaction.state.log.num.partitions", "4")
          .setConfigProp("group.initial.rebalance.delay.ms", "0")
          .setConfigProp("auto.create.topics.enable", "false")
          .setDeleteOnClose(dataDir == null)
          .build();
      if (resumedClusterId == null) {
        cluster.format();
        if (dataDir != null) {
          Files.writeString(dataDir.resolve(CLUSTER_ID_FILE), cluster.nodes().clusterId() + "\n");
        }
      }
      cluster.startup();
      cluster.waitForReadyBrokers();
      return new EmbeddedKafka(cluster);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the embedded Kafka broker", e);
    } catch (Exception e) {
      throw new IllegalStateException("embedded Kafka broker failed to start: " + e.getMessage(), e);
    }
  }

  /** Marks a data directory that was formatted; holds the cluster id to resume with. */
  public static final String CLUSTER_ID_FILE = "meshfed-cluster.id";

  private static String readClusterId(Path dataDir) {
    Path file = dataDir.resolve(CLUSTER_ID_FILE);
    try {
      return Files.exists(file) ? Files.readString(file).trim() : null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** True when {@code dataDir} holds a broker that {@link #start(Path)} will resume. */
  public static boolean isResumable(Path dataDir) {
    return Files.exists(dataDir.resolve(CLUSTER_ID_FILE));
  }

  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** A new admin client; the caller closes it. */
  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
  }

  /** Creates topics that do not exist yet, with one replica each. */
  public void createTopics(int partitions, String... names) {
    createTopics(List.of(names).stream().map(n -> new NewTopic(n, partitions, (short) 1)).toList());
  }

  public void createTopics(Collection<NewTopic> topics) {
    try (Admin admin = admin()) {
      for (var entry : admin.createTopics(topics).values().entrySet()) {
        try {
          entry.getValue().get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("could not create topic " + entry.getKey(), e.getCause());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      cluster.close();
    } catch (Exception e) {
      throw new IllegalStateException("embedded Kafka broker failed to stop cleanly", e);
    }
  }
}
