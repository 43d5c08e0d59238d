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
}
