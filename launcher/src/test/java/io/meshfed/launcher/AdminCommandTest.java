package io.meshfed.launcher;

import static io.meshfed.launcher.CliRun.meshfed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshfed.testing.KafkaStack;
import io.meshfed.testing.TerraformExample;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshfed admin add-cluster / remove-cluster} against a secured broker. */
class AdminCommandTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.brokerOnly().secured();

  @TempDir
  Path dir;

  @Test
  void addClusterPrintsWorkingAgentSettingsAndRemoveClusterRevokesThem() throws Exception {
    Path adminConfig = commandConfig();
    CliRun added = meshfed("admin", "add-cluster", "east-1", "--bootstrap-servers",
        STACK.bootstrapServers(), "--command-config", adminConfig.toString(),
        "--security-protocol", "SASL_PLAINTEXT");
    assertThat(added.exit()).as(added.err()).isZero();
    assertThat(added.err()).contains("created meshfed.").contains("User:meshfed-agent-east-1");
    Properties agent = new Properties();
    agent.load(new StringReader(added.out()));
    assertThat(agent.stringPropertyNames()).containsExactlyInAnyOrder(
        "meshfed.kafka.security.protocol", "meshfed.kafka.sasl.mechanism",
        "meshfed.kafka.sasl.jaas.config");

    sendAs(agent, "meshfed.cluster.east-1.events");

    CliRun removed = meshfed("admin", "remove-cluster", "east-1", "--bootstrap-servers",
        STACK.bootstrapServers(), "--command-config", adminConfig.toString());
    assertThat(removed.exit()).as(removed.err()).isZero();
    assertThatThrownBy(() -> sendAs(agent, "meshfed.cluster.east-1.events"))
        .hasRootCauseInstanceOf(SaslAuthenticationException.class);
    CliRun again = meshfed("admin", "remove-cluster", "east-1", "--bootstrap-servers",
        STACK.bootstrapServers(), "--command-config", adminConfig.toString());
    assertThat(again.exit()).as("removing twice is not an error: " + again.err()).isZero();
  }

  @Test
  void aSecretManifestForTheAgentsNamespace() throws Exception {
    CliRun added = meshfed("admin", "add-cluster", "west-1", "--bootstrap-servers",
        STACK.bootstrapServers(), "--command-config", commandConfig().toString(),
        "--secret-namespace", "meshfed");
    assertThat(added.exit()).as(added.err()).isZero();
    assertThat(added.out()).startsWith("apiVersion: v1\nkind: Secret\n")
        .contains("    meshfed.kafka.security.protocol=SASL_SSL\n")
        .contains("username=\"meshfed-agent-west-1\"");
  }

  @Test
  void aProtocolWithoutSaslIsRefusedBeforeAnythingIsCreated() throws Exception {
    CliRun refused = meshfed("admin", "add-cluster", "north-1", "--bootstrap-servers",
        STACK.bootstrapServers(), "--command-config", commandConfig().toString(),
        "--security-protocol", "PLAINTEXT");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err().strip()).isEqualTo("meshfed add-cluster: security protocol must"
        + " be SASL_SSL or SASL_PLAINTEXT, not 'PLAINTEXT'");
    try (var admin = STACK.kafka().admin()) {
      assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
          .noneMatch(t -> t.contains("north-1"));
    }
  }

  @Test
  void topicsOnlyCreatesTheTopicsAndGrantsNothing() throws Exception {
    CliRun added = meshfed("admin", "add-cluster", "south-1", "--bootstrap-servers",
        STACK.bootstrapServers(), "--command-config", commandConfig().toString(),
        "--topics-only");
    assertThat(added.exit()).as(added.err()).isZero();
    assertThat(added.out()).contains("cluster south-1: created ")
        .contains("meshfed.cluster.south-1.events").contains("meshfed.cluster.south-1.config")
        .doesNotContain("meshfed.kafka.");
    try (var admin = STACK.kafka().admin()) {
      assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).contains(
          "meshfed.cluster.south-1.events", "meshfed.cluster.south-1.config");
      assertThat(admin.describeUserScramCredentials().all().get(10, TimeUnit.SECONDS))
          .doesNotContainKey("meshfed-agent-south-1");
      assertThat(admin.describeAcls(new org.apache.kafka.common.acl.AclBindingFilter(
          org.apache.kafka.common.resource.ResourcePatternFilter.ANY,
          new org.apache.kafka.common.acl.AccessControlEntryFilter("User:meshfed-agent-south-1",
              null, org.apache.kafka.common.acl.AclOperation.ANY,
              org.apache.kafka.common.acl.AclPermissionType.ANY)))
          .values().get(10, TimeUnit.SECONDS)).isEmpty();
    }
  }

  @Test
  void anMskIamCommandConfigSpeaksIamToTheBroker() throws Exception {
    // infra/terraform's client settings for MSK IAM (outputs.tf's kafka_iam_client, read from
    // the file), over plaintext: this broker offers SCRAM only, so it refuses the mechanism —
    // which a client reaches only with the IAM library on the CLI's classpath.
    Path iam = dir.resolve("iam.properties");
    StringBuilder lines = new StringBuilder();
    TerraformExample.kafkaIamClient().forEach((k, v) -> lines.append(k).append('=')
        .append(k.equals("security.protocol") ? "SASL_PLAINTEXT" : v).append('\n'));
    Files.writeString(iam, lines);
    CliRun refused = meshfed("admin", "add-cluster", "east-9", "--bootstrap-servers",
        STACK.bootstrapServers(), "--command-config", iam.toString(), "--topics-only");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("meshfed add-cluster: ")
        .contains("'AWS_MSK_IAM' not enabled in the server");
  }

  private Path commandConfig() throws Exception {
    return commandConfig(STACK, dir);
  }

  /** The super user's client settings as a --command-config file in {@code dir}. */
  static Path commandConfig(KafkaStack stack, Path dir) throws java.io.IOException {
    Path file = dir.resolve("admin.properties");
    StringBuilder lines = new StringBuilder();
    stack.kafka().security().adminClientSettings()
        .forEach((k, v) -> lines.append(k).append('=').append(v).append('\n'));
    Files.writeString(file, lines);
    return file;
  }

  /** One acknowledged record with the agent's printed settings, as the agent applies them. */
  private static void sendAs(Properties agent, String topic) throws Exception {
    Map<String, Object> settings = new HashMap<>();
    agent.stringPropertyNames().forEach(k ->
        settings.put(k.substring("meshfed.kafka.".length()), agent.getProperty(k)));
    settings.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers());
    settings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    try (var producer = new KafkaProducer<>(settings, new StringSerializer(),
        new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, "east-1/Heartbeat", "x"))
          .get(10, TimeUnit.SECONDS);
    }
  }
}
