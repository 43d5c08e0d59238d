package io.meshfed.topics;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.ResourceKind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.junit.jupiter.api.Test;

class EventPartitionerTest {

  private static final Random RANDOM = new Random(42);

  @Test
  void aServiceItsEndpointsAndTheirHealthShareThePartitionStreamsGivesTheService() {
    for (int i = 0; i < 5_000; i++) {
      String cluster = "c" + RANDOM.nextInt(300);
      String namespace = "ns-" + RANDOM.nextInt(50);
      String name = "svc-" + RANDOM.nextInt(10_000);
      int partitions = 1 + RANDOM.nextInt(24);
      // Kafka's own default partitioning of the topology's by-service key (the key
      // Streams repartitions a service by, serialized as UTF-8 by the String serde).
      int expected = BuiltInPartitioner.partitionForKey(
          EventKeys.serviceKey(cluster, namespace, name).getBytes(StandardCharsets.UTF_8),
          partitions);
      for (String key : List.of(EventKeys.service(cluster, namespace, name),
          EventKeys.endpoints(cluster, namespace, name),
          EventKeys.health(cluster, namespace, name, "10.0." + RANDOM.nextInt(256) + "."
              + RANDOM.nextInt(256), 1 + RANDOM.nextInt(65_535)))) {
        assertThat(EventPartitioner.partitionOf(key, partitions)).as(key).isEqualTo(expected);
      }
    }
  }

  @Test
  void otherKeysArePartitionedAsKafkaPartitionsThem() {
    List<String> keys = new ArrayList<>(List.of(EventKeys.heartbeat("eu-1"),
        EventKeys.policy("eu-1", ResourceKind.FailoverService, "ns", "reviews"),
        EventKeys.ack("eu-1", ResourceKind.VirtualDestination, "ns", "reviews"),
        // malformed: wrong part counts, empty parts, unknown type, no cluster
        "eu-1/Service/only-ns", "eu-1/Endpoints/ns/", "eu-1/Health/ns/svc", "eu-1/Nope/a/b",
        "/Service/ns/name", "", "no-slash"));
    for (String key : keys) {
      for (int partitions : new int[] {1, 3, 6, 7}) {
        assertThat(EventPartitioner.partitionOf(key, partitions)).as(key).isEqualTo(
            BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), partitions));
      }
    }
  }

  @Test
  void theProducerPartitionerUsesTheTopicsPartitionCount() {
    Node node = new Node(0, "127.0.0.1", 9092);
    List<PartitionInfo> infos = new ArrayList<>();
    for (int p = 0; p < 6; p++) {
      infos.add(new PartitionInfo("meshfed.cluster.eu-1.events", p, node, new Node[] {node},
          new Node[] {node}));
    }
    Cluster cluster = new Cluster("id", List.of(node), infos, Set.of(), Set.of());
    try (EventPartitioner partitioner = new EventPartitioner()) {
      String key = EventKeys.endpoints("eu-1", "bookinfo", "reviews");
      assertThat(partitioner.partition("meshfed.cluster.eu-1.events", key,
          key.getBytes(StandardCharsets.UTF_8), null, new byte[0], cluster))
          .isEqualTo(EventPartitioner.partitionOf(EventKeys.service("eu-1", "bookinfo",
              "reviews"), 6));
      for (int i = 0; i < 100; i++) {
        assertThat(partitioner.partition("meshfed.cluster.eu-1.events", null, null, null,
            new byte[0], cluster)).isBetween(0, 5);
      }
    }
  }
}
