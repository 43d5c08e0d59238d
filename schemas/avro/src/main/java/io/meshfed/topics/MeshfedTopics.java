package io.meshfed.topics;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The topic registry: every topic meshfed reads or writes, with its serdes and settings. Code
 * names topics through this class, never through string literals.
 *
 * <ul>
 *   <li>{@code meshfed.cluster.<cluster>.events}: what a cluster's agent publishes (services,
 *       endpoints, heartbeats, policies, health signals, acks). Keys are
 *       {@code <cluster>/<Type>/<namespace>/<name>}.
 *   <li>{@code meshfed.cluster.<cluster>.config}: what the topology computed for that cluster
 *       (FederatedDestination, PolicyStatus); compacted, so it is the cluster's desired state.
 *   <li>{@code meshfed.failover-events}: the decision log users subscribe to.
 *   <li>{@code meshfed.dead-letter}: every record that could not be processed, raw, with headers
 *       saying why.
 * </ul>
 */
public final class MeshfedTopics {

  public static final String CLUSTER_TOPIC_PREFIX = "meshfed.cluster.";
  public static final String EVENTS_SUFFIX = ".events";
  public static final String CONFIG_SUFFIX = ".config";
  public static final String FAILOVER_EVENTS = "meshfed.failover-events";
  public static final String DEAD_LETTER = "meshfed.dead-letter";

  /**
   * Partitions of a cluster's events topic: the topology's default {@code meshfed.partitions},
   * so that events written with {@link EventPartitioner} are read where their service's state is
   * kept (topology/DESIGN.md, "Two hops for placed events").
   */
  public static final int EVENTS_PARTITIONS = 6;

  private final ClusterTopic<String, SpecificRecord> clusterEvents;
  private final ClusterTopic<String, SpecificRecord> clusterConfig;
  private final Topic<String, FailoverDecision> failoverEvents;
  private final Topic<byte[], byte[]> deadLetter;

  public MeshfedTopics(SchemaRegistryClient registry) {
    AvroSerde<SpecificRecord> anyRecord = AvroSerde.anyRecord(registry);
    this.clusterEvents = new ClusterTopic<>(CLUSTER_TOPIC_PREFIX, EVENTS_SUFFIX, Serdes.String(),
        anyRecord, TopicSettings.retained(EVENTS_PARTITIONS, 7));
    this.clusterConfig = new ClusterTopic<>(CLUSTER_TOPIC_PREFIX, CONFIG_SUFFIX, Serdes.String(),
        anyRecord, TopicSettings.compacted(1));
    this.failoverEvents = new Topic<>(FAILOVER_EVENTS, Serdes.String(),
        AvroSerde.of(FailoverDecision.class, registry), TopicSettings.retained(3, 30));
    this.deadLetter = new Topic<>(DEAD_LETTER, Serdes.ByteArray(), Serdes.ByteArray(),
        TopicSettings.retained(1, 30));
  }

  public ClusterTopic<String, SpecificRecord> clusterEvents() {
    return clusterEvents;
  }

  public ClusterTopic<String, SpecificRecord> clusterConfig() {
    return clusterConfig;
  }

  public Topic<String, FailoverDecision> failoverEvents() {
    return failoverEvents;
  }

  public Topic<byte[], byte[]> deadLetter() {
    return deadLetter;
  }
}
