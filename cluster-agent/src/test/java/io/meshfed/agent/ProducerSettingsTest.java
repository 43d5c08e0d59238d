package io.meshfed.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.agent.config.AgentConfig;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The agent producer's timeouts come from meshfed.agent.send.timeout.ms, never from
 * meshfed.kafka.* (meshfed's own settings win there), and Kafka accepts them.
 */
class ProducerSettingsTest {

  @Test
  void theSendTimeoutIsTheDeliveryTimeoutAndMeshfedKafkaCannotOverrideIt() {
    Properties p = new Properties();
    p.setProperty("meshfed.bootstrap.servers", "kafka:9092");
    p.setProperty("meshfed.registry.url", "http://registry:8080/apis/ccompat/v7");
    p.setProperty("meshfed.kafka.delivery.timeout.ms", "99");
    p.setProperty("meshfed.kafka.security.protocol", "SASL_SSL");
    assertThat(ClusterAgent.producerSettings(AgentConfig.fromProperties("c1", p)))
        .containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000)
        .containsEntry(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000)
        .containsEntry(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000)
        .containsEntry("security.protocol", "SASL_SSL");

    p.remove("meshfed.kafka.security.protocol");
    p.setProperty("meshfed.bootstrap.servers", "127.0.0.1:1");
    for (String millis : new String[] {"500", "2000"}) {
      p.setProperty("meshfed.agent.send.timeout.ms", millis);
      var settings = ClusterAgent.producerSettings(AgentConfig.fromProperties("c1", p));
      assertThat(settings).containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
          Integer.parseInt(millis));
      // Kafka's own check (delivery.timeout.ms >= linger.ms + request.timeout.ms) passes: the
      // producer is built (it connects to nothing until it sends).
      new KafkaProducer<>(settings, new StringSerializer(), new StringSerializer())
          .close(Duration.ZERO);
    }
  }

  @Test
  void anAgentConfiguredForMskIamBuildsItsProducer() {
    // infra/terraform's agent_config for a cluster (outputs.tf's kafka_iam_client, read from
    // the file): building the producer loads the IAM login module and callback handler from
    // the agent's runtime classpath — what its image is built from — and fails without
    // aws-msk-iam-auth.
    Properties p = new Properties();
    p.setProperty("meshfed.bootstrap.servers", "127.0.0.1:1");
    p.setProperty("meshfed.registry.url", "http://registry:8080/apis/ccompat/v7");
    io.meshfed.testing.TerraformExample.kafkaIamClient().forEach((k, v) ->
        p.setProperty(AgentConfig.KAFKA_PREFIX + k, v));
    var settings = ClusterAgent.producerSettings(AgentConfig.fromProperties("c1", p));
    assertThat(settings).containsEntry("sasl.mechanism", "AWS_MSK_IAM");
    new KafkaProducer<>(settings, new StringSerializer(), new StringSerializer())
        .close(Duration.ZERO);
  }
}
