package io.meshfed.topics;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.utils.Utils;

/**
 * The partitioner of a cluster's events topic: a record goes to the partition of its
 * {@linkplain EventKeys#placement placement} — for a service, its endpoints and their health,
 * the service — hashed as Kafka's default partitioner hashes a key ({@code murmur2} of the UTF-8
 * bytes, modulo the partition count).
 *
 * <p>Why: the topology keeps a service's state in the task of the partition Kafka Streams gives
 * the key {@code cluster/ns/name}. When the agent already wrote the service's records to that
 * partition of an events topic with as many partitions as the topology's {@code
 * meshfed.partitions}, the topology handles them where they are read instead of sending them
 * through the {@code by-service} repartition topic first: one hop, one record and one decode
 * fewer per event (topology/DESIGN.md, "Two hops for placed events"). A producer that does not
 * use this partitioner loses nothing: its records take the repartition.
 *
 * <p>Set it as the producer's {@code partitioner.class}, or for Kafka Connect as a connector's
 * {@code producer.override.partitioner.class}.
 */
public final class EventPartitioner implements Partitioner {

  /** The partition of the events record keyed {@code key} in a topic of {@code partitions}. */
  public static int partitionOf(String key, int partitions) {
    return partitionOfPlacement(EventKeys.placement(key), partitions);
  }

  /**
   * The partition of a placement ({@link EventKeys#placement}, e.g. a service's {@code
   * cluster/ns/name}) in a topic of {@code partitions}: Kafka's default partitioning of that
   * string as a key.
   */
  public static int partitionOfPlacement(String placement, int partitions) {
    byte[] bytes = placement.getBytes(StandardCharsets.UTF_8);
    return Utils.toPositive(Utils.murmur2(bytes)) % partitions;
  }

  @Override
  public int partition(String topic, Object key, byte[] keyBytes, Object value,
      byte[] valueBytes, Cluster cluster) {
    int partitions = cluster.partitionsForTopic(topic).size();
    if (keyBytes == null) {
      // meshfed's events always have keys; a keyless record is dead-lettered by the topology
      // wherever it lands.
      return ThreadLocalRandom.current().nextInt(partitions);
    }
    return partitionOf(new String(keyBytes, StandardCharsets.UTF_8), partitions);
  }

  @Override
  public void configure(Map<String, ?> configs) {}

  @Override
  public void close() {}
}
