package io.meshfed.topology.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshfed.testing.KafkaStack;
import io.meshfed.testing.TerraformExample;
import io.meshfed.topology.StreamsSettings;
import io.meshfed.topology.admin.TopicProvisioner;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.UnsupportedSaslMechanismException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The topology configured for IAM-authenticated MSK, with the client settings
 * {@code infra/terraform}'s outputs give ({@code kafka_iam_client} in outputs.tf, read from
 * the file): the settings
 * pass meshfed's checks, reach Kafka Streams, and its clients speak {@code AWS_MSK_IAM} on the
 * wire. No MSK runs here, so the peer is a broker that offers SCRAM only: it answers the IAM
 * handshake with "unsupported mechanism", which a client gets only after loading the IAM login
 * module, registering its SASL client and building the callback handler — without the
 * aws-msk-iam-auth library on the classpath the client is not built at all ("class ... could
 * not be found").
 */
class MskIamClientTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.brokerOnly().secured();

  /**
   * The topology's config with outputs.tf's kafka_iam_client as {@code meshfed.kafka.*}, but
   * SASL over plaintext: this broker has no TLS.
   */
  private static Properties iam(String bootstrapServers) {
    Properties p = new Properties();
    p.setProperty("meshfed.bootstrap.servers", bootstrapServers);
    p.setProperty("meshfed.registry.url", "http://registry:8081");
    p.setProperty("meshfed.policy.source.clusters", "mgmt-cluster");
    Map<String, String> terraform = TerraformExample.kafkaIamClient();
    assertThat(terraform).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "AWS_MSK_IAM");
    terraform.forEach((k, v) -> p.setProperty(TopologyConfig.KAFKA_PREFIX + k, v));
    p.setProperty("meshfed.kafka.security.protocol", "SASL_PLAINTEXT");
    return p;
  }

  @Test
  void theTopologysClientsAuthenticateWithAwsMskIam() {
    TopologyConfig config = TopologyConfig.fromProperties(iam(STACK.bootstrapServers()));
    assertThat(config.kafkaClient()).containsEntry("sasl.mechanism", "AWS_MSK_IAM").hasSize(4);
    assertThat(StreamsSettings.from(config).getProperty("sasl.client.callback.handler.class"))
        .isEqualTo("software.amazon.msk.auth.iam.IAMClientCallbackHandler");

    // The client the topology's start provisions topics with (TopologyMain.provision).
    try (Admin admin = TopicProvisioner.admin(config.bootstrapServers(), config.kafkaClient())) {
      assertThatThrownBy(() -> admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS))
          .hasCauseInstanceOf(UnsupportedSaslMechanismException.class)
          .hasMessageContaining("AWS_MSK_IAM");
    }
  }
}
