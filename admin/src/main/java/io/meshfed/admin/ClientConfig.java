package io.meshfed.admin;

import java.util.Set;
import java.util.stream.Collectors;

/**
 * The Kafka client settings that go with a principal's credentials: raw, as Kafka clients and
 * Kafka Streams take them; for an agent, as the agent reads them ({@code meshfed.kafka.*},
 * passed to its producer and consumer); and as the Kubernetes Secret
 * {@code meshfed-agent-kafka} the agent's Deployment mounts ({@code cluster-agent/deploy}).
 */
public final class ClientConfig {

  /** Protocols that carry SASL: plaintext for a loopback test broker, SSL everywhere else. */
  public static final Set<String> SASL_PROTOCOLS = Set.of("SASL_SSL", "SASL_PLAINTEXT");

  private ClientConfig() {}

  /** {@code security.protocol}, {@code sasl.mechanism} and {@code sasl.jaas.config} lines. */
  public static String kafkaClient(AccessAdmin.Credentials who, String securityProtocol) {
    requireSaslProtocol(securityProtocol);
    return "security.protocol=" + securityProtocol + "\n"
        + "sasl.mechanism=SCRAM-SHA-512\n"
        + "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required"
        + " username=\"" + who.user() + "\" password=\"" + who.password() + "\";\n";
  }

  /** The lines of the agent's {@code kafka-client.properties}. */
  public static String agent(AccessAdmin.Credentials agent, String securityProtocol) {
    return kafkaClient(agent, securityProtocol).lines()
        .map(line -> "meshfed.kafka." + line + "\n").collect(Collectors.joining());
  }

  /** The Secret holding {@link #agent}, for the agent's namespace. */
  public static String agentSecret(AccessAdmin.Credentials agent, String securityProtocol,
      String namespace) {
    StringBuilder out = new StringBuilder()
        .append("apiVersion: v1\nkind: Secret\nmetadata:\n  name: meshfed-agent-kafka\n")
        .append("  namespace: ").append(namespace).append("\ntype: Opaque\nstringData:\n")
        .append("  kafka-client.properties: |\n");
    agent(agent, securityProtocol).lines()
        .forEach(line -> out.append("    ").append(line).append('\n'));
    return out.toString();
  }

  public static void requireSaslProtocol(String securityProtocol) {
    if (!SASL_PROTOCOLS.contains(securityProtocol)) {
      throw new IllegalArgumentException("security protocol must be SASL_SSL or"
          + " SASL_PLAINTEXT, not '" + (securityProtocol.length() <= 32 ? securityProtocol
              : securityProtocol.substring(0, 32) + "...") + "'");
    }
  }
}
