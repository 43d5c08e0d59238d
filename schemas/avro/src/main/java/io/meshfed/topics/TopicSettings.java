package io.meshfed.topics;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * How a topic is created: partitions and the topic-level configs that matter to meshfed.
 *
 * @param partitions partition count
 * @param configs topic configs (cleanup policy, retention, ...)
 */
public record TopicSettings(int partitions, Map<String, String> configs) {

  public TopicSettings {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    }
    configs = Map.copyOf(configs);
  }

  /** A compacted topic: the latest value per key is the state; tombstones delete. */
  public static TopicSettings compacted(int partitions) {
    return new TopicSettings(partitions, Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
        // Tombstones must outlive an agent that is away for a day, or it misses a deletion.
        TopicConfig.DELETE_RETENTION_MS_CONFIG, String.valueOf(24L * 3600 * 1000),
        TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "0"));
  }

  /** An append-only log kept for {@code retentionDays}. */
  public static TopicSettings retained(int partitions, int retentionDays) {
    return new TopicSettings(partitions, Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
        TopicConfig.RETENTION_MS_CONFIG, String.valueOf(retentionDays * 24L * 3600 * 1000)));
  }

  public boolean isCompacted() {
    return TopicConfig.CLEANUP_POLICY_COMPACT.equals(configs.get(TopicConfig.CLEANUP_POLICY_CONFIG));
  }

  public TopicSettings withPartitions(int count) {
    return new TopicSettings(count, configs);
  }

  /**
   * The replication factor that leaves the choice to the broker ({@code
   * default.replication.factor}), as Kafka Streams' {@code replication.factor=-1} does: a
   * managed cluster (MSK: 3 across zones, with {@code min.insync.replicas=2}) sets it right,
   * and a single development broker says 1.
   */
  public static final short BROKER_DEFAULT_REPLICATION = -1;

  /**
   * The admin request that creates the topic with these settings; a {@code replicationFactor}
   * of {@link #BROKER_DEFAULT_REPLICATION} leaves it to the broker.
   */
  public NewTopic newTopic(String name, short replicationFactor) {
    if (replicationFactor != BROKER_DEFAULT_REPLICATION && replicationFactor < 1) {
      throw new IllegalArgumentException("replication factor must be >= 1 or "
          + BROKER_DEFAULT_REPLICATION + " (the broker's default), got " + replicationFactor);
    }
    Optional<Short> replication = replicationFactor == BROKER_DEFAULT_REPLICATION
        ? Optional.empty() : Optional.of(replicationFactor);
    return new NewTopic(name, Optional.of(partitions), replication)
        .configs(new HashMap<>(configs));
  }
}
