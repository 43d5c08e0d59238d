package io.meshfed.topology.config;

import io.meshfed.registry.RegistryConfig;
import io.meshfed.topics.ClusterTopic;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;

/**
 * Everything the topology needs, typed and validated. Read from a properties file, then
 * overridden by environment variables ({@code MESHFED_HEARTBEAT_TTL_MS} for
 * {@code meshfed.heartbeat.ttl.ms}); a bad value fails at once with a message naming the key.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param registry schema registry
 * @param applicationId Kafka Streams application id (prefix of internal topics)
 * @param stateDir Kafka Streams state directory
 * @param exactlyOnce exactly_once_v2 (default) or at_least_once
 * @param commitInterval the longest a stream thread goes between commits; a thread commits
 *     sooner, when it has processed what it polled (group commit, exactly-once) — this is the
 *     upper bound, not the pace (see {@code topology/DESIGN.md}, "Commit pacing")
 * @param producerLinger producer linger, or null for the guarantee's default (see
 *     {@link #producerLinger()})
 * @param cacheMaxBytes record cache; 0 forwards every update at once
 * @param standbyReplicas standby replicas per store
 * @param threads stream threads per instance
 * @param partitions partitions of the topology's own repartition topics; events topics of as
 *     many partitions, written with {@code EventPartitioner}, skip the by-service repartition
 * @param policySourceClusters clusters whose policies are accepted
 * @param heartbeatTtl after this silence a cluster is stale
 * @param minHealthyDuration default failback damping
 * @param punctuateInterval how often wall-clock timers are checked
 * @param applicationServer host:port this instance serves interactive queries on, or null
 * @param kafkaClient Kafka client security settings ({@code meshfed.kafka.*}, prefix removed:
 *     {@code security.protocol}, {@code sasl.*}, {@code ssl.*}) for every client of the
 *     topology — Streams, its backlog monitor, the topic provisioner
 * @param handoverWait make-before-break's bounded wait for the acks of a move's first phase
 *     ({@code meshfed.handover.max.wait.ms}); zero (the default) sends every move at once
 * @param crashDetection how soon an instance that died without leaving the group is noticed
 *     ({@code meshfed.group.session.timeout.ms}, {@code meshfed.group.heartbeat.interval.ms})
 */
public record TopologyConfig(
    String bootstrapServers,
    RegistryConfig registry,
    String applicationId,
    Path stateDir,
    boolean exactlyOnce,
    Duration commitInterval,
    Duration producerLinger,
    long cacheMaxBytes,
    int standbyReplicas,
    int threads,
    int partitions,
    Set<String> policySourceClusters,
    Duration heartbeatTtl,
    Duration minHealthyDuration,
    Duration punctuateInterval,
    String applicationServer,
    Map<String, String> kafkaClient,
    Duration handoverWait,
    CrashDetection crashDetection) {

  /** Kafka client settings through {@code meshfed.kafka.*}; see {@link #requireSecurity}. */
  public static final String KAFKA_PREFIX = "meshfed.kafka.";
  static final Set<String> PROTOCOLS = Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");

  public TopologyConfig {
    kafkaClient = Map.copyOf(kafkaClient);
    handoverWait = handoverWait == null ? Duration.ZERO : handoverWait;
    crashDetection = crashDetection == null ? CrashDetection.DEFAULT : crashDetection;
    require(!handoverWait.isNegative(), "meshfed.handover.max.wait.ms", handoverWait.toMillis(),
        "must be >= 0");
    requireSecurity(kafkaClient);
    policySourceClusters = Set.copyOf(policySourceClusters);
    policySourceClusters.forEach(ClusterTopic::requireValidCluster);
    require(!bootstrapServers.isBlank(), "meshfed.bootstrap.servers", bootstrapServers,
        "must not be empty");
    require(!applicationId.isBlank(), "meshfed.application.id", applicationId,
        "must not be empty");
    require(threads >= 1, "meshfed.threads", threads, "must be >= 1");
    require(partitions >= 1, "meshfed.partitions", partitions, "must be >= 1");
    require(standbyReplicas >= 0, "meshfed.standby.replicas", standbyReplicas, "must be >= 0");
    require(!commitInterval.isNegative() && !commitInterval.isZero(),
        "meshfed.commit.interval.ms", commitInterval.toMillis(), "must be > 0");
    require(!heartbeatTtl.isNegative() && !heartbeatTtl.isZero(), "meshfed.heartbeat.ttl.ms",
        heartbeatTtl.toMillis(), "must be > 0");
    require(!punctuateInterval.isNegative() && !punctuateInterval.isZero(),
        "meshfed.punctuate.interval.ms", punctuateInterval.toMillis(), "must be > 0");
    require(policySourceClusters.size() > 0, "meshfed.policy.source.clusters", "",
        "must name at least one cluster");
  }

  /** Linger by default with exactly-once: a commit flushes the producer anyway. */
  public static final Duration TRANSACTION_LINGER = Duration.ofMillis(100);
  /**
   * Linger by default with at-least-once, a delay added at each of the three hops: 1 ms (Kafka
   * 4's default of 5 ms was 15 ms of a 25 ms budget at 1,000 flips/s). Under load records batch
   * anyway while earlier requests are in flight.
   */
  public static final Duration HOP_LINGER = Duration.ofMillis(1);

  /**
   * The producer's linger. With exactly-once a stream thread commits as soon as it has
   * processed its poll (group commit), and a commit flushes the producer, so linger never delays
   * a decision; it only lets the records a transaction sends to one partition leave as one
   * batch instead of one each. That is most of what a fan-out costs: a zone outage writes a
   * record to each of 100 single-partition config topics per destination, and the broker's
   * work (and the producer's wake-ups) is per batch (topology/DESIGN.md has the measurement). With
   * at-least-once records leave on linger or on the 20 ms commit, so linger is a per-hop delay
   * ({@link #HOP_LINGER}; Streams' own default of 100 ms would be 300 ms over three hops).
   */
  @Override
  public Duration producerLinger() {
    return producerLinger != null ? producerLinger
        : exactlyOnce ? TRANSACTION_LINGER : HOP_LINGER;
  }

  /** Without make-before-break: every move is sent at once. */
  public TopologyConfig(String bootstrapServers, RegistryConfig registry, String applicationId,
      Path stateDir, boolean exactlyOnce, Duration commitInterval, Duration producerLinger,
      long cacheMaxBytes, int standbyReplicas, int threads, int partitions,
      Set<String> policySourceClusters, Duration heartbeatTtl, Duration minHealthyDuration,
      Duration punctuateInterval, String applicationServer, Map<String, String> kafkaClient) {
    this(bootstrapServers, registry, applicationId, stateDir, exactlyOnce, commitInterval,
        producerLinger, cacheMaxBytes, standbyReplicas, threads, partitions, policySourceClusters,
        heartbeatTtl, minHealthyDuration, punctuateInterval, applicationServer, kafkaClient,
        Duration.ZERO, null);
  }

  /** Without Kafka client security settings: an open broker. */
  public TopologyConfig(String bootstrapServers, RegistryConfig registry, String applicationId,
      Path stateDir, boolean exactlyOnce, Duration commitInterval, Duration producerLinger,
      long cacheMaxBytes, int standbyReplicas, int threads, int partitions,
      Set<String> policySourceClusters, Duration heartbeatTtl, Duration minHealthyDuration,
      Duration punctuateInterval, String applicationServer) {
    this(bootstrapServers, registry, applicationId, stateDir, exactlyOnce, commitInterval,
        producerLinger, cacheMaxBytes, standbyReplicas, threads, partitions, policySourceClusters,
        heartbeatTtl, minHealthyDuration, punctuateInterval, applicationServer, Map.of());
  }

  /**
   * Only security settings pass: anything else would let a file silently override what
   * meshfed's latency and exactly-once behaviour rest on (those have keys of their own). A
   * SASL protocol without its JAAS line would only fail at the first connection, as a
   * timeout; it fails here instead, naming the key.
   */
  static void requireSecurity(Map<String, String> kafka) {
    for (String key : kafka.keySet()) {
      if (!key.equals("security.protocol") && !key.startsWith("sasl.")
          && !key.startsWith("ssl.")) {
        throw new IllegalArgumentException("config key '" + KAFKA_PREFIX + key + "': only Kafka"
            + " client security settings (" + KAFKA_PREFIX + "security.protocol, "
            + KAFKA_PREFIX + "sasl.*, " + KAFKA_PREFIX + "ssl.*) are taken here");
      }
    }
    String protocol = kafka.get("security.protocol");
    if (protocol != null && !PROTOCOLS.contains(protocol)) {
      throw new IllegalArgumentException("config key '" + KAFKA_PREFIX + "security.protocol': '"
          + bounded(protocol) + "' is not one of " + new java.util.TreeSet<>(PROTOCOLS));
    }
    if (protocol != null && protocol.startsWith("SASL_")
        && !kafka.containsKey("sasl.jaas.config")) {
      throw new IllegalArgumentException("config key '" + KAFKA_PREFIX + "sasl.jaas.config' is"
          + " required with " + KAFKA_PREFIX + "security.protocol=" + protocol);
    }
  }

  private static String bounded(String value) {
    return value.length() <= 32 ? value : value.substring(0, 32) + "...";
  }

  /** Defaults for everything but the connection and the policy sources. */
  public static TopologyConfig defaults(String bootstrapServers, RegistryConfig registry,
      Set<String> policySourceClusters) {
    return new TopologyConfig(bootstrapServers, registry, "meshfed-topology",
        Path.of(System.getProperty("java.io.tmpdir"), "meshfed-streams"), true,
        Duration.ofSeconds(1), null, 0, 1, 1, io.meshfed.topics.MeshfedTopics.EVENTS_PARTITIONS,
        policySourceClusters,
        Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofMillis(500), null);
  }

  /** Reads a properties file (may be null), then the environment. */
  public static TopologyConfig load(Path file, Map<String, String> env) {
    Properties props = new Properties();
    if (file != null) {
      try (InputStream in = Files.newInputStream(file)) {
        props.load(in);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read config file " + file + ": " + e);
      }
    }
    for (String key : KEYS) {
      String envName = key.toUpperCase(Locale.ROOT).replace('.', '_');
      if (env.containsKey(envName)) {
        props.setProperty(key, env.get(envName));
      }
    }
    return fromProperties(props);
  }

  static final Set<String> KEYS = Set.of("meshfed.bootstrap.servers", "meshfed.registry.url",
      "meshfed.registry.user", "meshfed.registry.password", "meshfed.registry.auto.register",
      "meshfed.application.id", "meshfed.state.dir", "meshfed.processing.guarantee",
      "meshfed.commit.interval.ms", "meshfed.producer.linger.ms", "meshfed.cache.max.bytes",
      "meshfed.standby.replicas", "meshfed.threads", "meshfed.partitions",
      "meshfed.policy.source.clusters", "meshfed.heartbeat.ttl.ms",
      "meshfed.min.healthy.duration.ms", "meshfed.punctuate.interval.ms",
      "meshfed.application.server", "meshfed.handover.max.wait.ms",
      CrashDetection.SESSION_KEY, CrashDetection.HEARTBEAT_KEY);

  public static TopologyConfig fromProperties(Properties props) {
    for (String key : props.stringPropertyNames()) {
      if (key.startsWith("meshfed.") && !KEYS.contains(key) && !key.startsWith(KAFKA_PREFIX)) {
        throw new IllegalArgumentException("unknown config key '" + key + "'; known keys: "
            + String.join(", ", new java.util.TreeSet<>(KEYS)) + ", " + KAFKA_PREFIX + "*");
      }
    }
    String bootstrap = required(props, "meshfed.bootstrap.servers");
    RegistryConfig registry = parse(props, "meshfed.registry.url", null,
        RegistryConfig::of);
    if (registry == null) {
      throw new IllegalArgumentException("config key 'meshfed.registry.url' is required");
    }
    String user = props.getProperty("meshfed.registry.user");
    if (user != null) {
      registry = registry.withBasicAuth(user, required(props, "meshfed.registry.password"));
    }
    registry = registry.withAutoRegister(parse(props, "meshfed.registry.auto.register", false,
        TopologyConfig::parseBoolean));
    String guarantee = props.getProperty("meshfed.processing.guarantee", "exactly_once_v2");
    if (!guarantee.equals("exactly_once_v2") && !guarantee.equals("at_least_once")) {
      throw new IllegalArgumentException("config key 'meshfed.processing.guarantee': '"
          + guarantee + "' is not exactly_once_v2 or at_least_once");
    }
    Set<String> sources = new LinkedHashSet<>(Arrays.stream(
        required(props, "meshfed.policy.source.clusters").split(","))
        .map(String::trim).filter(s -> !s.isEmpty()).toList());
    TopologyConfig d = defaults(bootstrap, registry, Set.of("x"));
    return new TopologyConfig(bootstrap, registry,
        props.getProperty("meshfed.application.id", d.applicationId()),
        Path.of(props.getProperty("meshfed.state.dir", d.stateDir().toString())),
        guarantee.equals("exactly_once_v2"),
        millis(props, "meshfed.commit.interval.ms", d.commitInterval()),
        millis(props, "meshfed.producer.linger.ms", null),
        parse(props, "meshfed.cache.max.bytes", d.cacheMaxBytes(), Long::parseLong),
        parse(props, "meshfed.standby.replicas", d.standbyReplicas(), Integer::parseInt),
        parse(props, "meshfed.threads", d.threads(), Integer::parseInt),
        parse(props, "meshfed.partitions", d.partitions(), Integer::parseInt),
        sources,
        millis(props, "meshfed.heartbeat.ttl.ms", d.heartbeatTtl()),
        millis(props, "meshfed.min.healthy.duration.ms", d.minHealthyDuration()),
        millis(props, "meshfed.punctuate.interval.ms", d.punctuateInterval()),
        props.getProperty("meshfed.application.server"),
        kafkaSettings(props),
        millis(props, "meshfed.handover.max.wait.ms", Duration.ZERO),
        crashDetection(props));
  }

  /**
   * The heartbeat interval, unless given, is a third of the session; neither given leaves the
   * session to be agreed with the broker at start ({@link CrashDetection#negotiable}).
   */
  private static CrashDetection crashDetection(Properties props) {
    if (props.getProperty(CrashDetection.SESSION_KEY) == null
        && props.getProperty(CrashDetection.HEARTBEAT_KEY) == null) {
      return CrashDetection.DEFAULT;
    }
    Duration session = millis(props, CrashDetection.SESSION_KEY,
        CrashDetection.DEFAULT.sessionTimeout());
    Duration heartbeat = millis(props, CrashDetection.HEARTBEAT_KEY, null);
    return heartbeat == null ? CrashDetection.of(session)
        : new CrashDetection(session, heartbeat);
  }

  private static Map<String, String> kafkaSettings(Properties props) {
    Map<String, String> out = new java.util.HashMap<>();
    for (String key : props.stringPropertyNames()) {
      if (key.startsWith(KAFKA_PREFIX)) {
        out.put(key.substring(KAFKA_PREFIX.length()), props.getProperty(key).trim());
      }
    }
    return out;
  }

  /** With these Kafka client security settings (as {@code meshfed.kafka.*}, prefix removed). */
  public TopologyConfig withKafkaClient(Map<String, String> settings) {
    return new TopologyConfig(bootstrapServers, registry, applicationId, stateDir, exactlyOnce,
        commitInterval, producerLinger, cacheMaxBytes, standbyReplicas, threads, partitions,
        policySourceClusters, heartbeatTtl, minHealthyDuration, punctuateInterval,
        applicationServer, settings, handoverWait, crashDetection);
  }

  public TopologyConfig withApplicationId(String id) {
    return new TopologyConfig(bootstrapServers, registry, id, stateDir, exactlyOnce,
        commitInterval, producerLinger, cacheMaxBytes, standbyReplicas, threads, partitions,
        policySourceClusters, heartbeatTtl, minHealthyDuration, punctuateInterval,
        applicationServer, kafkaClient, handoverWait, crashDetection);
  }

  public TopologyConfig withStateDir(Path dir) {
    return new TopologyConfig(bootstrapServers, registry, applicationId, dir, exactlyOnce,
        commitInterval, producerLinger, cacheMaxBytes, standbyReplicas, threads, partitions,
        policySourceClusters, heartbeatTtl, minHealthyDuration, punctuateInterval,
        applicationServer, kafkaClient, handoverWait, crashDetection);
  }

  public TopologyConfig withExactlyOnce(boolean enabled) {
    return new TopologyConfig(bootstrapServers, registry, applicationId, stateDir, enabled,
        commitInterval, producerLinger, cacheMaxBytes, standbyReplicas, threads, partitions,
        policySourceClusters, heartbeatTtl, minHealthyDuration, punctuateInterval,
        applicationServer, kafkaClient, handoverWait, crashDetection);
  }

  public TopologyConfig withTimers(Duration ttl, Duration damping, Duration punctuate) {
    return new TopologyConfig(bootstrapServers, registry, applicationId, stateDir, exactlyOnce,
        commitInterval, producerLinger, cacheMaxBytes, standbyReplicas, threads, partitions,
        policySourceClusters, ttl, damping, punctuate, applicationServer, kafkaClient,
        handoverWait, crashDetection);
  }

  /** As this config, with {@code n} partitions of the topology's own repartition topics. */
  public TopologyConfig withPartitions(int n) {
    return new TopologyConfig(bootstrapServers, registry, applicationId, stateDir, exactlyOnce,
        commitInterval, producerLinger, cacheMaxBytes, standbyReplicas, threads, n,
        policySourceClusters, heartbeatTtl, minHealthyDuration, punctuateInterval,
        applicationServer, kafkaClient, handoverWait, crashDetection);
  }

  public TopologyConfig withApplicationServer(String hostPort) {
    return new TopologyConfig(bootstrapServers, registry, applicationId, stateDir, exactlyOnce,
        commitInterval, producerLinger, cacheMaxBytes, standbyReplicas, threads, partitions,
        policySourceClusters, heartbeatTtl, minHealthyDuration, punctuateInterval, hostPort,
        kafkaClient, handoverWait, crashDetection);
  }

  /** As this config, with make-before-break's bounded wait (zero: off). */
  public TopologyConfig withHandoverWait(Duration wait) {
    return new TopologyConfig(bootstrapServers, registry, applicationId, stateDir, exactlyOnce,
        commitInterval, producerLinger, cacheMaxBytes, standbyReplicas, threads, partitions,
        policySourceClusters, heartbeatTtl, minHealthyDuration, punctuateInterval,
        applicationServer, kafkaClient, wait, crashDetection);
  }

  /** As this config, noticing an instance that died without leaving as {@code detection} says. */
  public TopologyConfig withCrashDetection(CrashDetection detection) {
    return new TopologyConfig(bootstrapServers, registry, applicationId, stateDir, exactlyOnce,
        commitInterval, producerLinger, cacheMaxBytes, standbyReplicas, threads, partitions,
        policySourceClusters, heartbeatTtl, minHealthyDuration, punctuateInterval,
        applicationServer, kafkaClient, handoverWait, detection);
  }

  public boolean isPolicySource(String cluster) {
    return policySourceClusters.contains(cluster);
  }

  private static String required(Properties props, String key) {
    String value = props.getProperty(key);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("config key '" + key + "' is required");
    }
    return value.trim();
  }

  private static <T> T parse(Properties props, String key, T fallback, Function<String, T> parser) {
    String value = props.getProperty(key);
    if (value == null) {
      return fallback;
    }
    try {
      return parser.apply(value.trim());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("config key '" + key + "': '" + value
          + "' is not valid (" + e.getMessage() + ")");
    }
  }

  private static Duration millis(Properties props, String key, Duration fallback) {
    return parse(props, key, fallback, v -> Duration.ofMillis(Long.parseLong(v)));
  }

  private static boolean parseBoolean(String value) {
    if (!value.equals("true") && !value.equals("false")) {
      throw new IllegalArgumentException("expected true or false");
    }
    return Boolean.parseBoolean(value);
  }

  private static void require(boolean ok, String key, Object value, String rule) {
    if (!ok) {
      throw new IllegalArgumentException("config key '" + key + "': " + value + " " + rule);
    }
  }
}
