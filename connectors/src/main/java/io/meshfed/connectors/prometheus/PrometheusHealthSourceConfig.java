package io.meshfed.connectors.prometheus;

import io.meshfed.registry.RegistryConfig;
import io.meshfed.topics.ClusterTopic;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Configuration of {@link PrometheusHealthSourceConnector}. Every key is documented in
 * {@link #CONFIG_DEF} (shown by the Connect REST API's {@code config/validate}); a bad value is
 * a {@link ConfigException} naming the key.
 */
public final class PrometheusHealthSourceConfig extends AbstractConfig {

  public static final String CLUSTER = "meshfed.cluster";
  public static final String PROMETHEUS_URL = "prometheus.url";
  public static final String QUERY = "prometheus.query";
  public static final String QUERY_VALUE = "prometheus.query.value";
  public static final String REQUEST_TIMEOUT_MS = "prometheus.request.timeout.ms";
  public static final String MAX_RESPONSE_BYTES = "prometheus.max.response.bytes";
  public static final String ERROR_THRESHOLD = "error.ratio.threshold";
  public static final String WINDOW_MS = "window.ms";
  public static final String EVALUATION_DELAY_MS = "evaluation.delay.ms";
  public static final String MAX_CATCHUP_WINDOWS = "max.catchup.windows";
  public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
  public static final String FAIL_AFTER_MS = "fail.after.ms";
  public static final String LABEL_CLUSTER = "label.cluster";
  public static final String LABEL_NAMESPACE = "label.namespace";
  public static final String LABEL_SERVICE = "label.service";
  public static final String LABEL_ADDRESS = "label.address";
  public static final String ENDPOINT_PORT = "endpoint.port";
  public static final String REGISTRY_URL = "registry.url";
  public static final String REGISTRY_AUTO_REGISTER = "registry.auto.register";
  public static final String REGISTRY_USER = "registry.basic.auth.user";
  public static final String REGISTRY_PASSWORD = "registry.basic.auth.password";
  public static final String REGISTRY_TIMEOUT_MS = "registry.request.timeout.ms";

  /** The placeholder in {@link #QUERY} replaced by the window as a PromQL duration, e.g. 30s. */
  public static final String WINDOW_PLACEHOLDER = "{{window}}";

  /** What the query's sample value measures. */
  public enum QueryValue { ERROR_RATIO, SUCCESS_RATIO }

  private static final String CONNECTION = "Prometheus";
  private static final String WINDOWS = "Windows";
  private static final String MAPPING = "Series to endpoints";
  private static final String REGISTRY = "Schema registry";

  public static final ConfigDef CONFIG_DEF = new ConfigDef()
      .define(PROMETHEUS_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, PrometheusHealthSourceConfig::requireHttpUrl,
          Importance.HIGH, "Base URL of the Prometheus server (or any server with its HTTP API:"
              + " Thanos, Mimir, VictoriaMetrics), e.g. http://prometheus.istio-system:9090. The"
              + " task calls <url>/api/v1/query.", CONNECTION, 1, ConfigDef.Width.LONG,
          "Prometheus URL")
      .define(QUERY, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
          Importance.HIGH, "PromQL instant query returning one series per endpoint whose value is"
              + " the endpoint's error ratio (or success ratio, see " + QUERY_VALUE + ") over"
              + " the window. " + WINDOW_PLACEHOLDER + " is replaced by the window length (e.g."
              + " 30s), so consecutive windows tile time exactly, e.g. sum by (instance)"
              + " (rate(istio_requests_total{response_code=~\"5..\"}[" + WINDOW_PLACEHOLDER
              + "])) / sum by (instance) (rate(istio_requests_total[" + WINDOW_PLACEHOLDER + "])).",
          CONNECTION, 2, ConfigDef.Width.LONG, "PromQL query")
      .define(QUERY_VALUE, Type.STRING, QueryValue.ERROR_RATIO.name(),
          ConfigDef.ValidString.in(QueryValue.ERROR_RATIO.name(), QueryValue.SUCCESS_RATIO.name()),
          Importance.MEDIUM, "What a sample of the query measures: ERROR_RATIO (failed / all"
              + " requests) or SUCCESS_RATIO (successful / all requests).", CONNECTION, 3,
          ConfigDef.Width.SHORT, "Query value")
      .define(REQUEST_TIMEOUT_MS, Type.INT, 10_000, ConfigDef.Range.between(100, 300_000),
          Importance.MEDIUM, "How long one query may take (connect and answer). A Prometheus"
              + " that does not answer in time counts as down: the window is retried, no health"
              + " is emitted for it.", CONNECTION, 4, ConfigDef.Width.SHORT, "Request timeout")
      .define(MAX_RESPONSE_BYTES, Type.INT, 16 * 1024 * 1024, ConfigDef.Range.between(1024, Integer.MAX_VALUE),
          Importance.LOW, "Largest query answer read; a larger one is refused like garbage, so a"
              + " wrong query (or a wrong server) cannot exhaust the worker's memory.", CONNECTION, 5,
          ConfigDef.Width.SHORT, "Max response bytes")
      .define(ERROR_THRESHOLD, Type.DOUBLE, 0.0, ConfigDef.Range.between(0.0, 1.0),
          Importance.MEDIUM, "An endpoint whose error ratio in a window is above this is"
              + " reported ERROR for the window, otherwise SUCCESS. 0 means any failed request"
              + " makes the window an error (Envoy's consecutive-5xx view). An endpoint with no"
              + " requests in the window (NaN) is not reported.", WINDOWS, 1,
          ConfigDef.Width.SHORT, "Error ratio threshold")
      .define(WINDOW_MS, Type.LONG, 30_000L, ConfigDef.Range.between(1_000L, 3_600_000L),
          Importance.HIGH, "Length of one window: the query is evaluated at every multiple of"
              + " this (epoch-aligned) and each endpoint gets one HealthSignal per window. With"
              + " outlier detection's consecutiveErrors N, N bad windows in a row eject.", WINDOWS, 2,
          ConfigDef.Width.SHORT, "Window")
      .define(EVALUATION_DELAY_MS, Type.LONG, 15_000L, ConfigDef.Range.between(0L, 3_600_000L),
          Importance.MEDIUM, "How long after a window ends it is evaluated, so the scrapes that"
              + " cover it have arrived (set it to at least the scrape interval).", WINDOWS, 3,
          ConfigDef.Width.SHORT, "Evaluation delay")
      .define(MAX_CATCHUP_WINDOWS, Type.INT, 10, ConfigDef.Range.between(1, 10_000),
          Importance.LOW, "After a restart or an outage, at most this many of the missed windows"
              + " (the newest) are evaluated; older ones are skipped with a warning, since health"
              + " that old would only replay ejections that have expired.", WINDOWS, 4,
          ConfigDef.Width.SHORT, "Max catch-up windows")
      .define(RETRY_BACKOFF_MS, Type.LONG, 5_000L, ConfigDef.Range.between(10L, 600_000L),
          Importance.LOW, "Pause before a failed window (Prometheus or registry down, bad answer)"
              + " is tried again.", WINDOWS, 5, ConfigDef.Width.SHORT, "Retry backoff")
      .define(FAIL_AFTER_MS, Type.LONG, 600_000L, ConfigDef.Range.atLeast(-1L),
          Importance.MEDIUM, "When windows have failed for this long without one success, the"
              + " task fails with the last error, so the outage shows in GET"
              + " /connectors/<name>/status; restart it with POST /connectors/<name>/restart"
              + "?includeTasks=true&onlyFailed=true. Until then failures are retried and logged."
              + " -1 retries forever.", WINDOWS, 6, ConfigDef.Width.SHORT, "Fail after")
      .define(CLUSTER, Type.STRING, "", Importance.HIGH, "The meshfed cluster every series"
              + " belongs to: signals go to meshfed.cluster.<cluster>.events. Empty: the cluster"
              + " is read from each series' " + LABEL_CLUSTER + " label (one Prometheus for"
              + " several clusters).", MAPPING, 1, ConfigDef.Width.MEDIUM, "meshfed cluster")
      .define(LABEL_CLUSTER, Type.STRING, "cluster", Importance.MEDIUM, "Label holding the"
              + " cluster name when " + CLUSTER + " is empty (Istio: destination_cluster).",
          MAPPING, 2, ConfigDef.Width.MEDIUM, "Cluster label")
      .define(LABEL_NAMESPACE, Type.STRING, "namespace", new ConfigDef.NonEmptyString(),
          Importance.MEDIUM, "Label holding the service's namespace (Istio:"
              + " destination_service_namespace; Linkerd: namespace).", MAPPING, 3,
          ConfigDef.Width.MEDIUM, "Namespace label")
      .define(LABEL_SERVICE, Type.STRING, "service", new ConfigDef.NonEmptyString(),
          Importance.MEDIUM, "Label holding the Kubernetes service name (Istio:"
              + " destination_service_name; Linkerd: dst_service or service).", MAPPING, 4,
          ConfigDef.Width.MEDIUM, "Service label")
      .define(LABEL_ADDRESS, Type.STRING, "instance", new ConfigDef.NonEmptyString(),
          Importance.MEDIUM, "Label holding the endpoint address, an IP or ip:port (Prometheus'"
              + " instance label of a pod scrape is the pod IP and the metrics port).", MAPPING, 5,
          ConfigDef.Width.MEDIUM, "Address label")
      .define(ENDPOINT_PORT, Type.INT, 0, ConfigDef.Range.between(0, 65_535), Importance.MEDIUM,
          "Serving port of the endpoints, as their EndpointSlices list it. 0 takes the port from"
              + " the address label; set it when that port is the metrics port (Istio's 15020,"
              + " Linkerd's 4191), or the signals will not match any endpoint.", MAPPING, 6,
          ConfigDef.Width.SHORT, "Endpoint port")
      .define(REGISTRY_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, PrometheusHealthSourceConfig::requireHttpUrl,
          Importance.HIGH, "Confluent-compatible schema registry the signals' Avro schema ids"
              + " come from, the same one the agents and the topology use (Apicurio:"
              + " http://host:8080/apis/ccompat/v7).", REGISTRY, 1, ConfigDef.Width.LONG,
          "Registry URL")
      .define(REGISTRY_AUTO_REGISTER, Type.BOOLEAN, false, Importance.LOW, "Register the"
              + " HealthSignal schema if the registry lacks it. Off in production, where the"
              + " release pipeline registers schemas under their compatibility rule.", REGISTRY, 2,
          ConfigDef.Width.SHORT, "Auto-register")
      .define(REGISTRY_USER, Type.STRING, "", Importance.LOW, "User for the registry's HTTP basic"
              + " auth; empty for none.", REGISTRY, 3, ConfigDef.Width.MEDIUM, "Registry user")
      .define(REGISTRY_PASSWORD, Type.PASSWORD, "", Importance.LOW, "Password for the registry's"
              + " HTTP basic auth (use a config provider, e.g. ${file:/secrets:registry}).",
          REGISTRY, 4, ConfigDef.Width.MEDIUM, "Registry password")
      .define(REGISTRY_TIMEOUT_MS, Type.INT, 10_000, ConfigDef.Range.between(100, 300_000),
          Importance.LOW, "Timeout of one registry request.", REGISTRY, 5, ConfigDef.Width.SHORT,
          "Registry timeout");

  public PrometheusHealthSourceConfig(Map<String, String> props) {
    super(CONFIG_DEF, props);
    String cluster = cluster();
    if (!cluster.isEmpty() && !ClusterTopic.CLUSTER_NAME.matcher(cluster).matches()) {
      throw new ConfigException(CLUSTER, cluster, "not a meshfed cluster name (a DNS-1123"
          + " label: lower-case letters, digits and '-', 1-63 characters)");
    }
    if (cluster.isEmpty() && getString(LABEL_CLUSTER).isBlank()) {
      throw new ConfigException(LABEL_CLUSTER, getString(LABEL_CLUSTER), "must name a label"
          + " when " + CLUSTER + " is empty, or no series has a cluster");
    }
    if (getString(REGISTRY_USER).isEmpty() != getPassword(REGISTRY_PASSWORD).value().isEmpty()) {
      throw new ConfigException(REGISTRY_PASSWORD, "[hidden]", "registry basic auth needs both "
          + REGISTRY_USER + " and " + REGISTRY_PASSWORD);
    }
  }

  private static void requireHttpUrl(String name, Object value) {
    if (value == null) {
      throw new ConfigException(name, null, "is required");
    }
    try {
      URI uri = URI.create(value.toString().trim());
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
          || uri.getHost() == null) {
        throw new ConfigException(name, value, "must be an http or https URL with a host");
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigException(name, value, "is not a URL: " + e.getMessage());
    }
  }

  public String cluster() {
    return getString(CLUSTER).trim();
  }

  public URI prometheusUrl() {
    String url = getString(PROMETHEUS_URL).trim();
    return URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
  }

  /** The query with the window placeholder filled in. */
  public String query() {
    long seconds = Math.max(1, window().toSeconds());
    return getString(QUERY).replace(WINDOW_PLACEHOLDER, seconds + "s");
  }

  public QueryValue queryValue() {
    return QueryValue.valueOf(getString(QUERY_VALUE));
  }

  public Duration requestTimeout() {
    return Duration.ofMillis(getInt(REQUEST_TIMEOUT_MS));
  }

  public int maxResponseBytes() {
    return getInt(MAX_RESPONSE_BYTES);
  }

  public double errorThreshold() {
    return getDouble(ERROR_THRESHOLD);
  }

  public Duration window() {
    return Duration.ofMillis(getLong(WINDOW_MS));
  }

  public Duration evaluationDelay() {
    return Duration.ofMillis(getLong(EVALUATION_DELAY_MS));
  }

  public int maxCatchupWindows() {
    return getInt(MAX_CATCHUP_WINDOWS);
  }

  public Duration retryBackoff() {
    return Duration.ofMillis(getLong(RETRY_BACKOFF_MS));
  }

  /** Null when the task never fails on its own. */
  public Duration failAfter() {
    long ms = getLong(FAIL_AFTER_MS);
    return ms < 0 ? null : Duration.ofMillis(ms);
  }

  public String clusterLabel() {
    return getString(LABEL_CLUSTER);
  }

  public String namespaceLabel() {
    return getString(LABEL_NAMESPACE);
  }

  public String serviceLabel() {
    return getString(LABEL_SERVICE);
  }

  public String addressLabel() {
    return getString(LABEL_ADDRESS);
  }

  public int endpointPort() {
    return getInt(ENDPOINT_PORT);
  }

  public RegistryConfig registry() {
    RegistryConfig config = RegistryConfig.of(getString(REGISTRY_URL).trim())
        .withAutoRegister(getBoolean(REGISTRY_AUTO_REGISTER))
        .withRequestTimeout(Duration.ofMillis(getInt(REGISTRY_TIMEOUT_MS)));
    Password password = getPassword(REGISTRY_PASSWORD);
    if (!getString(REGISTRY_USER).isEmpty()) {
      config = config.withBasicAuth(getString(REGISTRY_USER), password.value());
    }
    return config;
  }
}
