package io.meshfed.topology.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshfed.testing.KafkaStack;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Provisioning on the real broker: idempotent, with the right partitions and configs. */
class TopicProvisionerTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.brokerOnly();

  @Test
  void addingAClusterTwiceCreatesItsTopicsOnce() throws Exception {
    List<String> first = TopicProvisioner.addCluster(STACK.bootstrapServers(), "east-1",
        (short) 1);
    assertThat(first).containsExactlyInAnyOrder("meshfed.cluster.east-1.events",
        "meshfed.cluster.east-1.config", "meshfed.failover-events", "meshfed.dead-letter");
    assertThat(TopicProvisioner.addCluster(STACK.bootstrapServers(), "east-1", (short) 1))
        .isEmpty();
    try (var admin = STACK.kafka().admin()) {
      ConfigResource config = new ConfigResource(ConfigResource.Type.TOPIC,
          "meshfed.cluster.east-1.config");
      Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(config)).all().get();
      assertThat(configs.get(config).get("cleanup.policy").value()).isEqualTo("compact");
      var events = admin.describeTopics(List.of("meshfed.cluster.east-1.events")).allTopicNames()
          .get().get("meshfed.cluster.east-1.events");
      // As many as the topology's stages by default, so that events written with
      // EventPartitioner are read in the task that keeps their service.
      assertThat(events.partitions()).hasSize(io.meshfed.topology.config.TopologyConfig
          .defaults("unused:9092", io.meshfed.registry.RegistryConfig.of("http://unused"),
              java.util.Set.of("east-1")).partitions());
    }
  }

  @Test
  void anInvalidClusterNameIsRejectedBeforeAnythingIsCreated() {
    assertThatThrownBy(() -> TopicProvisioner.addCluster(STACK.bootstrapServers(), "East_1",
        (short) 1)).hasMessageContaining("invalid cluster name 'East_1'");
  }
}
