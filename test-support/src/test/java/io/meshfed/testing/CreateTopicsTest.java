package io.meshfed.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * {@link EmbeddedKafka#createTopics} returns once the broker leads every partition of the new
 * topics: a request only a partition's leader answers, sent at once by a client that never
 * retries, succeeds. (A producer that sent before that got NOT_LEADER_OR_FOLLOWER and, being
 * idempotent, could then retry its first batch for two minutes.)
 */
class CreateTopicsTest {

  @Test
  void everyPartitionOfANewTopicIsLedWhenCreateTopicsReturns() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      Map<String, Object> settings = new HashMap<>(kafka.adminClientSettings());
      settings.put(AdminClientConfig.RETRIES_CONFIG, 0);
      for (int round = 0; round < 5; round++) {
        String[] names = {"led-" + round + "-a", "led-" + round + "-b", "led-" + round + "-c"};
        kafka.createTopics(3, names);
        Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
        for (String name : names) {
          for (int p = 0; p < 3; p++) {
            partitions.put(new TopicPartition(name, p), OffsetSpec.latest());
          }
        }
        try (Admin once = Admin.create(settings)) {
          assertThat(once.listOffsets(partitions).all().get(30, TimeUnit.SECONDS))
              .as("round %d: every partition answered by its leader", round).hasSize(9)
              .allSatisfy((tp, offset) -> assertThat(offset.offset()).isZero());
        }
      }
    }
  }
}
