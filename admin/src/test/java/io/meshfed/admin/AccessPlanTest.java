package io.meshfed.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshfed.topology.admin.TopicProvisioner;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclPermissionType;
import org.junit.jupiter.api.Test;

/** The principal → resource → operations table, row by row, as DESIGN.md documents it. */
class AccessPlanTest {

  /** principal | resource type:pattern:name → sorted operations. */
  private static Map<String, String> table(List<AccessPlan.Grant> grants) {
    Map<String, String> rows = new TreeMap<>();
    for (AccessPlan.Grant g : grants) {
      String key = g.principal() + " | " + g.resource().resourceType() + ":"
          + g.resource().patternType() + ":" + g.resource().name();
      String previous = rows.put(key, g.operations().stream().map(Enum::name).sorted()
          .collect(Collectors.joining(",")));
      assertThat(previous).as("one row per principal and resource: " + key).isNull();
    }
    return rows;
  }

  @Test
  void anAgentWritesItsEventsAndReadsItsConfigAndNothingElse() {
    assertThat(table(AccessPlan.agent("east-1"))).containsExactlyEntriesOf(new TreeMap<>(Map.of(
        "User:meshfed-agent-east-1 | TOPIC:LITERAL:meshfed.cluster.east-1.events",
        "DESCRIBE,WRITE",
        "User:meshfed-agent-east-1 | TOPIC:LITERAL:meshfed.cluster.east-1.config",
        "DESCRIBE,READ")));
  }

  @Test
  void theTopologyReadsEventsAndWritesConfigOfEachAddedClusterLiterally() {
    assertThat(table(AccessPlan.topologyForCluster("meshfed-topology", "east-1")))
        .containsExactlyEntriesOf(new TreeMap<>(Map.of(
            "User:meshfed-topology | TOPIC:LITERAL:meshfed.cluster.east-1.events",
            "DESCRIBE,READ",
            "User:meshfed-topology | TOPIC:LITERAL:meshfed.cluster.east-1.config",
            "DESCRIBE,WRITE")));
  }

  @Test
  void theTopologyGetsWhatStreamsExactlyOnceNeedsUnderItsApplicationId() {
    assertThat(table(AccessPlan.topology("meshfed-topology", "meshfed-topology")))
        .containsExactlyEntriesOf(new TreeMap<>(Map.of(
            "User:meshfed-topology | TOPIC:PREFIXED:meshfed-topology",
            "CREATE,DELETE,DESCRIBE,DESCRIBE_CONFIGS,READ,WRITE",
            "User:meshfed-topology | GROUP:LITERAL:meshfed-topology", "DESCRIBE,READ",
            "User:meshfed-topology | TRANSACTIONAL_ID:PREFIXED:meshfed-topology",
            "DESCRIBE,WRITE",
            "User:meshfed-topology | TOPIC:LITERAL:meshfed.failover-events", "DESCRIBE,READ,WRITE",
            "User:meshfed-topology | TOPIC:LITERAL:meshfed.dead-letter", "DESCRIBE,WRITE")));
  }

  @Test
  void addClusterGrantsTheAgentAndTheTopologyRowsOfThatClusterOnly() {
    assertThat(AccessPlan.cluster("east-1", "meshfed-topology"))
        .containsExactlyInAnyOrderElementsOf(concat(AccessPlan.agent("east-1"),
            AccessPlan.topologyForCluster("meshfed-topology", "east-1")));
    assertThat(AccessPlan.cluster("east-1", "meshfed-topology"))
        .allSatisfy(g -> assertThat(g.resource().name()).contains(".east-1."));
  }

  @Test
  void theGrantedTopicsAreTheOnesTheProvisionerCreates() {
    List<String> provisioned = TopicProvisioner.clusterTopics("east-1", (short) 1).stream()
        .map(NewTopic::name).toList();
    assertThat(AccessPlan.agent("east-1")).extracting(g -> g.resource().name())
        .containsExactlyInAnyOrderElementsOf(provisioned);
  }

  @Test
  void everyBindingIsAnAllowFromAnyHostOnePerOperation() {
    List<AclBinding> bindings = AccessPlan.bindings(AccessPlan.cluster("east-1", "t"));
    assertThat(bindings).hasSize(8).doesNotHaveDuplicates().allSatisfy(b -> {
      assertThat(b.entry().permissionType()).isEqualTo(AclPermissionType.ALLOW);
      assertThat(b.entry().host()).isEqualTo("*");
    });
  }

  @Test
  void namesThatCouldWidenAGrantAreRefused() {
    assertThatThrownBy(() -> AccessPlan.agent("East_1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AccessPlan.agent(""))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AccessPlan.topology("meshfed-topology", " "))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AccessPlan.topology("*", "meshfed-topology"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theAgentClientConfigCarriesTheCredentialsAsTheAgentReadsThem() {
    var agent = new AccessAdmin.Credentials("meshfed-agent-east-1", "s3cret");
    assertThat(ClientConfig.agent(agent, "SASL_SSL")).isEqualTo("""
        meshfed.kafka.security.protocol=SASL_SSL
        meshfed.kafka.sasl.mechanism=SCRAM-SHA-512
        meshfed.kafka.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule \
        required username="meshfed-agent-east-1" password="s3cret";
        """);
    assertThat(ClientConfig.agentSecret(agent, "SASL_SSL", "meshfed"))
        .startsWith("apiVersion: v1\nkind: Secret\nmetadata:\n  name: meshfed-agent-kafka\n"
            + "  namespace: meshfed\n")
        .contains("  kafka-client.properties: |\n    meshfed.kafka.security.protocol=SASL_SSL\n");
    assertThatThrownBy(() -> ClientConfig.agent(agent, "PLAINTEXT"))
        .hasMessageContaining("SASL_SSL or SASL_PLAINTEXT");
    assertThat(AccessAdmin.newPassword()).matches("[A-Za-z0-9_-]{43}");
  }

  @SafeVarargs
  private static <T> List<T> concat(List<T>... lists) {
    return java.util.Arrays.stream(lists).flatMap(List::stream).toList();
  }
}
