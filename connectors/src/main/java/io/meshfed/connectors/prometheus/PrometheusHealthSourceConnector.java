package io.meshfed.connectors.prometheus;

import io.meshfed.connectors.Version;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * Request-level health for meshfed's outlier detection, read from the Prometheus HTTP API: per
 * window and endpoint, a {@code HealthSignal} (SUCCESS or ERROR) on
 * {@code meshfed.cluster.<cluster>.events}, keyed {@code <cluster>/Health/ns/service/addr:port}
 * exactly as an agent would write it.
 *
 * <p>One task: a query is one request to Prometheus per window, nothing to split.
 *
 * <p>The task writes finished Avro bytes, so both converters must be Connect's
 * ByteArrayConverter; {@link #validate} says so when they are not.
 */
public class PrometheusHealthSourceConnector extends SourceConnector {

  public static final String BYTE_ARRAY_CONVERTER =
      "org.apache.kafka.connect.converters.ByteArrayConverter";
  static final List<String> CONVERTER_KEYS = List.of("key.converter", "value.converter");

  private Map<String, String> props;

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    // Fails with a ConfigException naming the key, which Connect shows as the connector's state.
    new PrometheusHealthSourceConfig(props);
    for (String key : CONVERTER_KEYS) {
      String converter = props.get(key);
      if (converter != null && !BYTE_ARRAY_CONVERTER.equals(converter.trim())) {
        throw new ConfigException(key, converter, converterProblem());
      }
    }
    this.props = Map.copyOf(props);
  }

  @Override
  public Class<? extends Task> taskClass() {
    return PrometheusHealthSourceTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    return List.of(props);
  }

  @Override
  public void stop() {
    // Nothing held: the task owns its HTTP clients.
  }

  @Override
  public ConfigDef config() {
    return PrometheusHealthSourceConfig.CONFIG_DEF;
  }

  /**
   * The per-key checks of the ConfigDef, plus what spans keys or lies outside it (the cluster
   * name's form, basic auth's pair, the converters), each reported on the key it concerns.
   */
  @Override
  public Config validate(Map<String, String> connectorConfigs) {
    Config config = super.validate(connectorConfigs);
    boolean perKeyErrors = config.configValues().stream()
        .anyMatch(value -> !value.errorMessages().isEmpty());
    if (!perKeyErrors) {
      try {
        new PrometheusHealthSourceConfig(connectorConfigs);
      } catch (ConfigException e) {
        String key = keyOf(e, config);
        addError(config, key, e.getMessage());
      }
    }
    for (String key : CONVERTER_KEYS) {
      String converter = connectorConfigs.get(key);
      if (converter == null || !BYTE_ARRAY_CONVERTER.equals(converter.trim())) {
        addError(config, key, key + " is " + (converter == null ? "not set" : "'" + converter
            + "'") + ": " + converterProblem());
      }
    }
    return config;
  }

  private static String converterProblem() {
    return "must be " + BYTE_ARRAY_CONVERTER + ": the task writes finished keys and Avro"
        + " values (Confluent wire format, schema id from the registry), byte for byte what"
        + " meshfed's agents write";
  }

  /** The key a ConfigException's message names ("Invalid value x for configuration KEY: ..."). */
  private static String keyOf(ConfigException e, Config config) {
    String message = Objects.toString(e.getMessage(), "");
    return config.configValues().stream().map(ConfigValue::name)
        .filter(name -> message.contains("configuration " + name + ":"))
        .findFirst().orElse(PrometheusHealthSourceConfig.PROMETHEUS_URL);
  }

  private static void addError(Config config, String key, String message) {
    ConfigValue value = config.configValues().stream()
        .filter(v -> v.name().equals(key)).findFirst().orElse(null);
    if (value == null) {
      value = new ConfigValue(key);
      config.configValues().add(value);
    }
    value.addErrorMessage(message);
  }

  @Override
  public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> connectorConfig) {
    // Offsets and records of a window go out together; with a worker's exactly-once source
    // support a window's signals are written once even across a crash.
    return ExactlyOnceSupport.SUPPORTED;
  }
}
