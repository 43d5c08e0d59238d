package io.meshfed.agent.config;

import io.meshfed.avro.MeshKind;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.topics.ClusterTopic;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The agent's settings, typed and validated; a bad value fails at start with the key's name.
 *
 * @param cluster this cluster's name (a DNS-1123 label)
 * @param bootstrapServers Kafka
 * @param registry schema registry
 * @param applier {@code istio} or {@code kubernetes}
 * @param namespace namespace the agent writes its objects to
 * @param policySource whether this cluster's meshfed resources are published
 * @param region cluster region, or null
 * @param zones zones the cluster spans
 * @param labels cluster labels (FailoverPolicy priorityLabels)
 * @param heartbeatInterval heartbeat period
 * @param resync informer resync period
 * @param healthPort port of /healthz and /readyz (0 = any free port)
 * @param healthAddress address /healthz and /readyz listen on, or null for every interface:
 *     in a pod the kubelet probes the pod's IP, so that stays the default; the embedded stack
 *     sets 127.0.0.1
 * @param kafkaClient extra Kafka client settings ({@code meshfed.kafka.*} without the prefix:
 *     security.protocol, sasl.*, ssl.*), given to the agent's producer and consumer
 * @param sendTimeout how long a send to Kafka may take before it counts as failed (readiness
 *     then reports Kafka degraded and the record is sent again): the producer's
 *     delivery.timeout.ms, which {@code meshfed.kafka.*} cannot override (meshfed's own
 *     timeouts win there), so it has a key of its own
 */
public record AgentConfig(String cluster, String bootstrapServers, RegistryConfig registry,
    MeshKind applier, String namespace, boolean policySource, String region, List<String> zones,
    Map<String, String> labels, Duration heartbeatInterval, Duration resync, int healthPort,
    String healthAddress, Map<String, String> kafkaClient, Duration sendTimeout) {

  /** Prefix of the Kafka client settings passed through to the producer and consumer. */
  public static final String KAFKA_PREFIX = "meshfed.kafka.";

  /** Default of {@link #sendTimeout}: a Kafka outage shows on /readyz within seconds. */
  public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(15);

  /**
   * The smallest {@link #sendTimeout}: it must leave room for a request (the producer refuses a
   * delivery timeout below linger + request timeout), see {@link #requestTimeout()}.
   */
  public static final Duration MIN_SEND_TIMEOUT = Duration.ofMillis(500);

  public AgentConfig {
    ClusterTopic.requireValidCluster(cluster);
    if (applier != MeshKind.ISTIO && applier != MeshKind.KUBERNETES) {
      throw new IllegalArgumentException("config key 'meshfed.agent.applier': " + applier
          + " is not istio or kubernetes");
    }
    zones = List.copyOf(zones);
    labels = Map.copyOf(labels);
    kafkaClient = Map.copyOf(kafkaClient);
    if (sendTimeout.compareTo(MIN_SEND_TIMEOUT) < 0
        || sendTimeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("config key 'meshfed.agent.send.timeout.ms': "
          + sendTimeout.toMillis() + " is outside " + MIN_SEND_TIMEOUT.toMillis() + "-"
          + Integer.MAX_VALUE + " (milliseconds)");
    }
  }

  /**
   * The producer's request.timeout.ms: 5 s, or a third of a shorter {@link #sendTimeout} so a
   * send can be tried more than once within it (Kafka requires delivery.timeout.ms to be at
   * least linger.ms + request.timeout.ms).
   */
  public Duration requestTimeout() {
    return atMostFiveSeconds(sendTimeout.dividedBy(3));
  }

  /**
   * The producer's max.block.ms (how long a send waits for the topic's metadata, which is how a
   * send fails while Kafka is unreachable at start): 5 s, or a shorter {@link #sendTimeout}.
   */
  public Duration blockTimeout() {
    return atMostFiveSeconds(sendTimeout);
  }

  private static Duration atMostFiveSeconds(Duration d) {
    return d.compareTo(Duration.ofSeconds(5)) < 0 ? d : Duration.ofSeconds(5);
  }

  public static AgentConfig load(String cluster, Path file) {
    return load(cluster, file == null ? List.of() : List.of(file));
  }

  /**
   * Reads the files in order, a later file's keys overriding an earlier one's — so settings
   * can come from a ConfigMap and credentials from a Secret mounted beside it.
   */
  public static AgentConfig load(String cluster, List<Path> files) {
    Properties p = new Properties();
    for (Path file : files) {
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read agent config " + file + ": " + e);
      }
    }
    return fromProperties(cluster, p);
  }

  public static AgentConfig fromProperties(String cluster, Properties p) {
    String applier = p.getProperty("meshfed.agent.applier", "istio").trim();
    MeshKind kind = switch (applier) {
      case "istio" -> MeshKind.ISTIO;
      case "kubernetes" -> MeshKind.KUBERNETES;
      default -> throw new IllegalArgumentException("config key 'meshfed.agent.applier': '"
          + applier + "' is not istio or kubernetes");
    };
    Map<String, String> labels = new LinkedHashMap<>();
    for (String pair : list(p.getProperty("meshfed.agent.labels", ""))) {
      String[] kv = pair.split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("config key 'meshfed.agent.labels': '" + pair
            + "' is not key=value");
      }
      labels.put(kv[0].trim(), kv[1].trim());
    }
    RegistryConfig registry = RegistryConfig.of(required(p, "meshfed.registry.url"))
        .withAutoRegister(Boolean.parseBoolean(
            p.getProperty("meshfed.registry.auto.register", "false")));
    String user = p.getProperty("meshfed.registry.user");
    if (user != null && !user.isBlank()) {
      registry = registry.withBasicAuth(user.trim(),
          p.getProperty("meshfed.registry.password", ""));
    }
    Map<String, String> kafkaClient = new LinkedHashMap<>();
    for (String key : p.stringPropertyNames()) {
      if (key.startsWith(KAFKA_PREFIX) && key.length() > KAFKA_PREFIX.length()) {
        kafkaClient.put(key.substring(KAFKA_PREFIX.length()), p.getProperty(key).trim());
      }
    }
    return new AgentConfig(cluster, required(p, "meshfed.bootstrap.servers"), registry,
        kind, p.getProperty("meshfed.agent.namespace", "meshfed"),
        Boolean.parseBoolean(p.getProperty("meshfed.agent.policy.source", "false")),
        p.getProperty("meshfed.agent.region"), list(p.getProperty("meshfed.agent.zones", "")),
        labels, millis(p, "meshfed.agent.heartbeat.interval.ms", 5_000),
        millis(p, "meshfed.agent.resync.ms", 300_000),
        (int) millis(p, "meshfed.agent.health.port", 8081).toMillis(),
        p.getProperty("meshfed.agent.health.address"), kafkaClient,
        millis(p, "meshfed.agent.send.timeout.ms", DEFAULT_SEND_TIMEOUT.toMillis()));
  }

  private static List<String> list(String value) {
    return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  private static String required(Properties p, String key) {
    String value = p.getProperty(key);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("config key '" + key + "' is required");
    }
    return value.trim();
  }

  private static Duration millis(Properties p, String key, long fallback) {
    String value = p.getProperty(key);
    try {
      return Duration.ofMillis(value == null ? fallback : Long.parseLong(value.trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("config key '" + key + "': '" + value
          + "' is not a whole number");
    }
  }
}
