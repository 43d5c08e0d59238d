package io.meshfed.connectors.probe;

import io.meshfed.registry.RegistryConfig;
import io.meshfed.topics.ClusterTopic;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** Configuration of {@link HealthProbeSourceConnector}; every key documented, errors name it. */
public final class HealthProbeSourceConfig extends AbstractConfig {

  public static final String CLUSTER = "meshfed.cluster";
  public static final String TARGETS = "probe.targets";
  public static final String PROTOCOL = "probe.protocol";
  public static final String HTTP_PATH = "probe.http.path";
  public static final String HTTP_EXPECTED_STATUS = "probe.http.expected.status";
  public static final String HTTP_EXPECTED_BODY = "probe.http.expected.body";
  public static final String INTERVAL_MS = "probe.interval.ms";
  public static final String JITTER_MS = "probe.jitter.ms";
  public static final String TIMEOUT_MS = "probe.timeout.ms";
  public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
  public static final String FAIL_AFTER_MS = "fail.after.ms";
  public static final String MEMBERS_PUBLISH = "members.publish";
  public static final String MEMBERS_LABELS = "members.labels";
  public static final String MEMBERS_PORT_NAME = "members.port.name";
  public static final String MEMBERS_REGION = "members.region";
  public static final String MEMBERS_ZONES = "members.zones";
  public static final String MEMBERS_CREATED = "members.created";
  public static final String MEMBERS_KIND = "members.kind";
  public static final String REGISTRY_URL = "registry.url";
  public static final String REGISTRY_AUTO_REGISTER = "registry.auto.register";
  public static final String REGISTRY_USER = "registry.basic.auth.user";
  public static final String REGISTRY_PASSWORD = "registry.basic.auth.password";
  public static final String REGISTRY_TIMEOUT_MS = "registry.request.timeout.ms";

  /** How a target is probed. */
  public enum Protocol { HTTP, TCP }

  /** One endpoint to probe, and the (external) service it belongs to. */
  public record Target(String namespace, String service, String address, int port) {}

  private static final Pattern LABEL_KEY = Pattern.compile(
      "([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

  /** {@code namespace/service/address:port}; IPv6 addresses in brackets. */
  private static final Pattern TARGET = Pattern.compile(
      "([a-z0-9]([-a-z0-9]*[a-z0-9])?)/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)/(\\[[0-9a-fA-F:.]+\\]|[^/:\\[\\]]+):(\\d{1,5})");

  public static final ConfigDef CONFIG_DEF = new ConfigDef()
      .define(CLUSTER, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH, "The meshfed"
          + " cluster the probed members belong to (its events topic receives the signals).")
      .define(TARGETS, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH, "Endpoints to"
          + " probe, comma-separated, each namespace/service/address:port (IPv6 as"
          + " [addr]:port), e.g. bookinfo/ratings-vm/192.168.10.4:9080. The namespace and"
          + " service are those of the (external) service the endpoint belongs to.")
      .define(PROTOCOL, Type.STRING, Protocol.HTTP.name(),
          ConfigDef.ValidString.in(Protocol.HTTP.name(), Protocol.TCP.name()), Importance.MEDIUM,
          "HTTP: GET probe.http.path, healthy when the status (and body, if set) are as"
              + " expected. TCP: healthy when a connection is accepted.")
      .define(HTTP_PATH, Type.STRING, "/", Importance.MEDIUM, "Path of the HTTP health check.")
      .define(HTTP_EXPECTED_STATUS, Type.STRING, "200-399", Importance.LOW, "Healthy status"
          + " codes: a code or an inclusive range, e.g. 200 or 200-299.")
      .define(HTTP_EXPECTED_BODY, Type.STRING, "", Importance.LOW, "If set, the response body"
          + " (its first 64 KiB) must contain this text.")
      .define(INTERVAL_MS, Type.LONG, 10_000L, ConfigDef.Range.between(100L, 3_600_000L),
          Importance.MEDIUM, "Time between probe rounds; each round probes every target once"
              + " and emits one HealthSignal per target.")
      .define(JITTER_MS, Type.LONG, 1_000L, ConfigDef.Range.between(0L, 600_000L),
          Importance.LOW, "Random extra delay (0..jitter) before each round, so many workers"
              + " restarted together do not probe in lockstep.")
      .define(TIMEOUT_MS, Type.INT, 2_000, ConfigDef.Range.between(10, 300_000),
          Importance.MEDIUM, "A probe not answered within this is a TIMEOUT signal.")
      .define(RETRY_BACKOFF_MS, Type.LONG, 5_000L, ConfigDef.Range.between(10L, 600_000L),
          Importance.LOW, "Pause before a round is tried again when its signals could not be"
              + " encoded (registry unavailable).")
      .define(FAIL_AFTER_MS, Type.LONG, 600_000L, Importance.LOW, "After this long without a"
          + " round written (the registry or Kafka unavailable) the task fails with the last"
          + " error, so the Connect status API shows it; -1 retries forever.")
      .define(MEMBERS_PUBLISH, Type.BOOLEAN, false, Importance.HIGH, "Also publish the"
          + " targets as meshfed members of meshfed.cluster: every round a ClusterHeartbeat,"
          + " one ServiceSnapshot and EndpointSnapshot per namespace/service of the targets;"
          + " services dropped from probe.targets are deleted. The connector is then that"
          + " cluster's agent: give it a cluster of its own (e.g. vm-datacenter) that no"
          + " cluster-agent reports.")
      .define(MEMBERS_KIND, Type.STRING, "EXTERNAL_SERVICE",
          ConfigDef.ValidString.in("EXTERNAL_SERVICE", "EXTERNAL_WORKLOAD", "SERVICE"),
          Importance.MEDIUM, "What the published services are, and so which"
          + " VirtualDestination selectors pick them: EXTERNAL_SERVICE (externalServices,"
          + " several per cluster), EXTERNAL_WORKLOAD (externalWorkloads, one per cluster) or"
          + " SERVICE (services, as if a Kubernetes Service).")
      .define(MEMBERS_LABELS, Type.STRING, "", Importance.MEDIUM, "Labels of the published"
          + " services, key=value,key=value; VirtualDestination selectors match them.")
      .define(MEMBERS_PORT_NAME, Type.STRING, "http", Importance.LOW, "Name of the published"
          + " services' port (a VirtualDestination targetPort by name matches it).")
      .define(MEMBERS_REGION, Type.STRING, "", Importance.LOW, "Region in the heartbeat, for"
          + " LOCALITY tier ordering; empty = unknown.")
      .define(MEMBERS_ZONES, Type.LIST, "", Importance.LOW, "Zones in the heartbeat.")
      .define(MEMBERS_CREATED, Type.STRING, "1970-01-01T00:00:00Z", Importance.LOW,
          "creationTimestamp of the published services (ISO-8601); where one service per"
              + " cluster may be selected, the oldest wins.")
      .define(REGISTRY_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
          "Confluent-compatible schema registry, the one agents and the topology use.")
      .define(REGISTRY_AUTO_REGISTER, Type.BOOLEAN, false, Importance.LOW, "Register the"
          + " HealthSignal schema if missing (off in production).")
      .define(REGISTRY_USER, Type.STRING, "", Importance.LOW, "Registry basic-auth user.")
      .define(REGISTRY_PASSWORD, Type.PASSWORD, "", Importance.LOW,
          "Registry basic-auth password.")
      // The registry client's default (10 s) would hold a round that long per request while a
      // partitioned registry never answers; each operator can weigh that against a slow one.
      .define(REGISTRY_TIMEOUT_MS, Type.INT, 10_000, ConfigDef.Range.between(100, 300_000),
          Importance.LOW, "Timeout of one registry request (connect and answer); a round"
              + " whose schema ids cannot be had in time is not written and counts towards "
              + FAIL_AFTER_MS + ".");

  private final List<Target> targets;
  private final Map<String, String> memberLabels;
  private final Instant membersCreated;

  public HealthProbeSourceConfig(Map<String, String> props) {
    super(CONFIG_DEF, props);
    if (!ClusterTopic.CLUSTER_NAME.matcher(getString(CLUSTER)).matches()) {
      throw new ConfigException(CLUSTER, getString(CLUSTER), "not a meshfed cluster name (a"
          + " DNS-1123 label)");
    }
    List<Target> parsed = new ArrayList<>();
    for (String entry : getList(TARGETS)) {
      Matcher m = TARGET.matcher(entry.trim());
      int port = m.matches() ? Integer.parseInt(m.group(6)) : -1;
      if (port < 1 || port > 65_535) {
        throw new ConfigException(TARGETS, entry, "each target must be"
            + " namespace/service/address:port with a port in 1..65535");
      }
      String address = m.group(5);
      if (address.startsWith("[")) {
        address = address.substring(1, address.length() - 1);
      }
      parsed.add(new Target(m.group(1), m.group(3), address, port));
    }
    if (parsed.isEmpty()) {
      throw new ConfigException(TARGETS, "", "needs at least one target");
    }
    targets = List.copyOf(parsed);
    memberLabels = parseLabels(getString(MEMBERS_LABELS));
    try {
      membersCreated = Instant.parse(getString(MEMBERS_CREATED).trim());
    } catch (DateTimeParseException e) {
      throw new ConfigException(MEMBERS_CREATED, getString(MEMBERS_CREATED), "not an ISO-8601"
          + " instant such as 2026-01-01T00:00:00Z");
    }
    if (getBoolean(MEMBERS_PUBLISH)) {
      // An EndpointSnapshot has one port list for all its endpoints, as an EndpointSlice does.
      Map<String, Integer> portByService = new HashMap<>();
      for (Target t : targets) {
        Integer other = portByService.putIfAbsent(t.namespace() + "/" + t.service(), t.port());
        if (other != null && other != t.port()) {
          throw new ConfigException(TARGETS, t.namespace() + "/" + t.service(), "with "
              + MEMBERS_PUBLISH + " every target of one service must use the same port ("
              + other + " and " + t.port() + ")");
        }
      }
    }
    long failAfter = getLong(FAIL_AFTER_MS);
    if (failAfter != -1 && failAfter < 0) {
      throw new ConfigException(FAIL_AFTER_MS, failAfter, "must be -1 (never) or >= 0");
    }
    expectedStatus();
    if (!getString(HTTP_PATH).startsWith("/")) {
      throw new ConfigException(HTTP_PATH, getString(HTTP_PATH), "must start with '/'");
    }
    try {
      URI.create(getString(REGISTRY_URL));
      registry();
    } catch (IllegalArgumentException e) {
      throw new ConfigException(REGISTRY_URL, getString(REGISTRY_URL), e.getMessage());
    }
    if (getString(REGISTRY_USER).isEmpty() != getPassword(REGISTRY_PASSWORD).value().isEmpty()) {
      throw new ConfigException(REGISTRY_PASSWORD, "[hidden]", "registry basic auth needs both "
          + REGISTRY_USER + " and " + REGISTRY_PASSWORD);
    }
  }

  public String cluster() {
    return getString(CLUSTER);
  }

  public List<Target> targets() {
    return targets;
  }

  static Map<String, String> parseLabels(String text) {
    Map<String, String> labels = new LinkedHashMap<>();
    for (String pair : text.split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq <= 0 || !LABEL_KEY.matcher(pair.substring(0, eq).trim()).matches()
          || pair.substring(eq + 1).trim().length() > 63) {
        throw new ConfigException(MEMBERS_LABELS, text, "each label must be key=value with a"
            + " Kubernetes label key and a value of at most 63 characters");
      }
      labels.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
    }
    return Map.copyOf(labels);
  }

  /** Whether the connector also publishes its targets as members (heartbeat, snapshots). */
  public boolean publishMembers() {
    return getBoolean(MEMBERS_PUBLISH);
  }

  public io.meshfed.avro.MemberKind memberKind() {
    return io.meshfed.avro.MemberKind.valueOf(getString(MEMBERS_KIND));
  }

  public Map<String, String> memberLabels() {
    return memberLabels;
  }

  public String memberPortName() {
    return getString(MEMBERS_PORT_NAME).isBlank() ? null : getString(MEMBERS_PORT_NAME).trim();
  }

  public String memberRegion() {
    return getString(MEMBERS_REGION).isBlank() ? null : getString(MEMBERS_REGION).trim();
  }

  public List<String> memberZones() {
    return getList(MEMBERS_ZONES).stream().map(String::trim).filter(z -> !z.isEmpty()).toList();
  }

  public Instant membersCreated() {
    return membersCreated;
  }

  /** Empty when the task should retry forever. */
  public java.util.Optional<Duration> failAfter() {
    long ms = getLong(FAIL_AFTER_MS);
    return ms == -1 ? java.util.Optional.empty() : java.util.Optional.of(Duration.ofMillis(ms));
  }

  public Protocol protocol() {
    return Protocol.valueOf(getString(PROTOCOL));
  }

  public String httpPath() {
    return getString(HTTP_PATH);
  }

  /** Inclusive low and high healthy status code. */
  public int[] expectedStatus() {
    String text = getString(HTTP_EXPECTED_STATUS).trim();
    try {
      String[] parts = text.split("-", 2);
      int low = Integer.parseInt(parts[0].trim());
      int high = parts.length == 2 ? Integer.parseInt(parts[1].trim()) : low;
      if (low < 100 || high > 599 || low > high) {
        throw new NumberFormatException();
      }
      return new int[] {low, high};
    } catch (NumberFormatException e) {
      throw new ConfigException(HTTP_EXPECTED_STATUS, text, "must be a status code or a range"
          + " low-high within 100-599");
    }
  }

  public String expectedBody() {
    return getString(HTTP_EXPECTED_BODY);
  }

  public Duration interval() {
    return Duration.ofMillis(getLong(INTERVAL_MS));
  }

  public Duration jitter() {
    return Duration.ofMillis(getLong(JITTER_MS));
  }

  public Duration timeout() {
    return Duration.ofMillis(getInt(TIMEOUT_MS));
  }

  public Duration retryBackoff() {
    return Duration.ofMillis(getLong(RETRY_BACKOFF_MS));
  }

  public Duration registryTimeout() {
    return Duration.ofMillis(getInt(REGISTRY_TIMEOUT_MS));
  }

  public RegistryConfig registry() {
    RegistryConfig config = RegistryConfig.of(getString(REGISTRY_URL).trim())
        .withAutoRegister(getBoolean(REGISTRY_AUTO_REGISTER))
        .withRequestTimeout(registryTimeout());
    if (!getString(REGISTRY_USER).isEmpty()) {
      config = config.withBasicAuth(getString(REGISTRY_USER),
          getPassword(REGISTRY_PASSWORD).value());
    }
    return config;
  }
}
