package io.meshfed.admin;

import java.util.Set;

/**
 * The Kafka client settings an agent needs for its credentials, as the agent reads them
 * ({@code meshfed.kafka.*}, passed to its producer and consumer), and as the Kubernetes Secret
 * {@code meshfed-agent-kafka} the agent's Deployment mounts ({@code cluster-agent/deploy}).
 */
public final class AgentClientConfig {

  /** Protocols that carry SASL: plaintext for a loopback test broker, SSL everywhere else. */
  public static final Set<String> SASL_PROTOCOLS = Set.of("SASL_SSL", "SASL_PLAINTEXT");

  private AgentClientConfig() {}

  /** The lines of {@code kafka-client.properties} for these credentials. */
  public static String properties(AccessAdmin.Credentials agent, String securityProtocol) {
    if (!SASL_PROTOCOLS.contains(securityProtocol)) {
      throw new IllegalArgumentException("security protocol must be SASL_SSL or"
          + " SASL_PLAINTEXT, not '" + abbreviate(securityProtocol) + "'");
    }
    return "meshfed.kafka.security.protocol=" + securityProtocol + "\n"
        + "meshfed.kafka.sasl.mechanism=SCRAM-SHA-512\n"
        + "meshfed.kafka.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule"
        + " required username=\"" + agent.user() + "\" password=\"" + agent.password() + "\";\n";
  }

  /** The Secret holding {@link #properties}, for the agent's namespace. */
  public static String secretManifest(AccessAdmin.Credentials agent, String securityProtocol,
      String namespace) {
    StringBuilder out = new StringBuilder()
        .append("apiVersion: v1\nkind: Secret\nmetadata:\n  name: meshfed-agent-kafka\n")
        .append("  namespace: ").append(namespace).append("\ntype: Opaque\nstringData:\n")
        .append("  kafka-client.properties: |\n");
    properties(agent, securityProtocol).lines()
        .forEach(line -> out.append("    ").append(line).append('\n'));
    return out.toString();
  }

  private static String abbreviate(String value) {
    return value.length() <= 32 ? value : value.substring(0, 32) + "...";
  }
}
