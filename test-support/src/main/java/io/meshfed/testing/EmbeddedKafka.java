package io.meshfed.testing;

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
   * survive {@link #close()}, so a later start on the same directory resumes its data.
   */
  public static EmbeddedKafka start(Path dataDir) {
    TestKitNodes.Builder nodes = new TestKitNodes.Builder()
        .setCombined(true)
        .setNumBrokerNodes(1)
        .setNumControllerNodes(1)
        .setBootstrapMetadataVersion(MetadataVersion.latestProduction());
    if (dataDir != null) {
      nodes.setBaseDirectory(dataDir);
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
      cluster.format();
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
