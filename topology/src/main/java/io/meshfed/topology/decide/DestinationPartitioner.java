package io.meshfed.topology.decide;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Partitioning of the decision stage. Records about one destination go to the partition of its
 * key (murmur2, as Kafka's default); broadcast records (policies, heartbeats, destination
 * selectors) go to every partition. {@link #partitionOf} is the same function, so a task can
 * tell which destinations it owns.
 */
public final class DestinationPartitioner {

  private DestinationPartitioner() {}

  public static int partitionOf(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /** One partition per key. */
  public static <V> StreamPartitioner<String, V> byKey() {
    return (topic, key, value, partitions) -> Optional.of(Set.of(partitionOf(key, partitions)));
  }

  /** Every partition (multicast). */
  public static <V> StreamPartitioner<String, V> broadcast() {
    return (topic, key, value, partitions) -> Optional.of(
        IntStream.range(0, partitions).boxed().collect(Collectors.toSet()));
  }
}
