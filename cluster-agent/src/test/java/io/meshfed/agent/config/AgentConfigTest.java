package io.meshfed.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings from a ConfigMap file, credentials from a Secret file read after it. */
class AgentConfigTest {

  @Test
  void laterFilesOverrideAndCarryKafkaAndRegistryCredentials(@TempDir Path dir)
      throws IOException {
    Path settings = Files.writeString(dir.resolve("agent.properties"), """
        meshfed.bootstrap.servers=kafka:9092
        meshfed.registry.url=http://registry:8080/apis/ccompat/v7
        meshfed.agent.applier=kubernetes
        meshfed.kafka.security.protocol=PLAINTEXT
        """);
    Path secret = Files.writeString(dir.resolve("kafka-client.properties"), """
        meshfed.kafka.security.protocol=SASL_SSL
        meshfed.kafka.sasl.mechanism=SCRAM-SHA-512
        meshfed.registry.user=agent
        meshfed.registry.password=s3cret
        """);
    AgentConfig config = AgentConfig.load("mgmt-cluster", List.of(settings, secret));
    assertThat(config.kafkaClient()).containsExactlyInAnyOrderEntriesOf(java.util.Map.of(
        "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512"));
    assertThat(config.registry().basicAuthUser()).contains("agent");
    assertThat(config.registry().basicAuthPassword()).contains("s3cret");
    assertThat(config.bootstrapServers()).isEqualTo("kafka:9092");
  }

  @Test
  void theSendTimeoutIsFifteenSecondsUnlessSetAndABadOneNamesItsKey() {
    java.util.Properties p = new java.util.Properties();
    p.setProperty("meshfed.bootstrap.servers", "kafka:9092");
    p.setProperty("meshfed.registry.url", "http://registry:8080/apis/ccompat/v7");
    AgentConfig defaults = AgentConfig.fromProperties("c1", p);
    assertThat(defaults.sendTimeout()).isEqualTo(java.time.Duration.ofSeconds(15));
    assertThat(defaults.requestTimeout()).isEqualTo(java.time.Duration.ofSeconds(5));
    assertThat(defaults.blockTimeout()).isEqualTo(java.time.Duration.ofSeconds(5));

    p.setProperty("meshfed.agent.send.timeout.ms", "1500");
    AgentConfig shortOne = AgentConfig.fromProperties("c1", p);
    assertThat(shortOne.sendTimeout()).isEqualTo(java.time.Duration.ofMillis(1500));
    assertThat(shortOne.requestTimeout()).as("a third: Kafka wants delivery >= linger + request")
        .isEqualTo(java.time.Duration.ofMillis(500));
    assertThat(shortOne.blockTimeout()).isEqualTo(java.time.Duration.ofMillis(1500));

    p.setProperty("meshfed.agent.send.timeout.ms", "100");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> AgentConfig.fromProperties("c1", p))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("config key 'meshfed.agent.send.timeout.ms': 100 is outside 500-2147483647"
            + " (milliseconds)");
    p.setProperty("meshfed.agent.send.timeout.ms", "soon");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> AgentConfig.fromProperties("c1", p))
        .hasMessage("config key 'meshfed.agent.send.timeout.ms': 'soon' is not a whole number");
  }
}
