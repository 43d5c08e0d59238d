package io.meshfed.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import org.junit.jupiter.api.Test;

class MeshfedTopicsTest {

  private final MeshfedTopics topics =
      new MeshfedTopics(new SchemaRegistryClient(RegistryConfig.of("http://unused:8081")));

  @Test
  void perClusterTopicsAreNamedAfterTheCluster() {
    assertThat(topics.clusterEvents().forCluster("mgmt-cluster").name())
        .isEqualTo("meshfed.cluster.mgmt-cluster.events");
    assertThat(topics.clusterConfig().forCluster("remote-cluster").name())
        .isEqualTo("meshfed.cluster.remote-cluster.config");
  }

  @Test
  void theClusterIsReadBackFromTheTopicName() {
    assertThat(topics.clusterEvents().clusterOf("meshfed.cluster.eu-1.events")).contains("eu-1");
    assertThat(topics.clusterEvents().clusterOf("meshfed.cluster.eu-1.config")).isEmpty();
    assertThat(topics.clusterEvents().clusterOf("meshfed.cluster.a.b.events")).isEmpty();
    assertThat(topics.clusterEvents().pattern().matcher("meshfed.cluster.x9.events").matches())
        .isTrue();
  }

  @Test
  void readingTheClusterAgreesWithThePatternSubscription() {
    ClusterTopic<?, ?> events = topics.clusterEvents();
    java.util.regex.Pattern pattern = events.pattern();
    for (String name : java.util.List.of("meshfed.cluster.eu-1.events", "meshfed.cluster..events",
        "meshfed.cluster.-a.events", "meshfed.cluster.a-.events", "meshfed.cluster.A.events",
        "meshfed.cluster.a_b.events", "meshfed.cluster.a.events.events", "meshfed.cluster.events",
        "meshfed.clusterXa.events", "xmeshfed.cluster.a.events", "meshfed.cluster.a.eventsx",
        "meshfed.cluster." + "a".repeat(63) + ".events",
        "meshfed.cluster." + "a".repeat(64) + ".events", "", "meshfed.cluster.0.events")) {
      java.util.regex.Matcher m = pattern.matcher(name);
      assertThat(events.clusterOf(name)).as(name)
          .isEqualTo(m.matches() ? java.util.Optional.of(m.group(1)) : java.util.Optional.empty());
    }
  }

  @Test
  void invalidClusterNamesAreRejectedWithTheValue() {
    assertThatThrownBy(() -> topics.clusterEvents().forCluster("Bad.Name"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Bad.Name'");
    assertThatThrownBy(() -> topics.clusterEvents().forCluster("-edge"))
        .hasMessageContaining("'-edge'");
  }

  @Test
  void configTopicsAreCompactedAndLogsAreNot() {
    assertThat(topics.clusterConfig().settings().isCompacted()).isTrue();
    assertThat(topics.clusterEvents().settings().isCompacted()).isFalse();
    assertThat(topics.failoverEvents().settings().isCompacted()).isFalse();
    assertThat(topics.failoverEvents().name()).isEqualTo("meshfed.failover-events");
    assertThat(topics.deadLetter().name()).isEqualTo("meshfed.dead-letter");
  }

  @Test
  void aTopicsReplicationIsTheBrokersDefaultUnlessGiven() {
    TopicSettings settings = topics.failoverEvents().settings();
    // -1 in a CreateTopics request: the broker applies default.replication.factor.
    assertThat(settings.newTopic("t", TopicSettings.BROKER_DEFAULT_REPLICATION)
        .replicationFactor()).isEqualTo((short) -1);
    assertThat(settings.newTopic("t", (short) 3).replicationFactor()).isEqualTo((short) 3);
    assertThat(settings.newTopic("t", (short) 3).numPartitions())
        .isEqualTo(settings.partitions());
    assertThatThrownBy(() -> settings.newTopic("t", (short) 0))
        .hasMessage("replication factor must be >= 1 or -1 (the broker's default), got 0");
  }
}
