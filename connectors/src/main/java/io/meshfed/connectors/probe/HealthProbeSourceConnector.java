package io.meshfed.connectors.probe;

import io.meshfed.connectors.Version;
import io.meshfed.connectors.prometheus.PrometheusHealthSourceConnector;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * Active health checks of endpoints outside Kubernetes (VMs behind an external service): HTTP
 * (status, optionally body) or TCP probes on an interval with timeout and jitter, one
 * {@code HealthSignal} per target and round on {@code meshfed.cluster.<cluster>.events}. Like
 * the Prometheus source it writes finished bytes, so both converters are ByteArrayConverter.
 */
public class HealthProbeSourceConnector extends SourceConnector {

  private Map<String, String> props;

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    new HealthProbeSourceConfig(props);
    this.props = Map.copyOf(props);
  }

  @Override
  public Class<? extends Task> taskClass() {
    return HealthProbeSourceTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    // One task: probes run concurrently inside it, and one prober per target set keeps a
    // target from being probed twice per round.
    return List.of(props);
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return HealthProbeSourceConfig.CONFIG_DEF;
  }

  @Override
  public Config validate(Map<String, String> connectorConfigs) {
    Config config = super.validate(connectorConfigs);
    boolean perKeyErrors = config.configValues().stream()
        .anyMatch(value -> !value.errorMessages().isEmpty());
    if (!perKeyErrors) {
      try {
        new HealthProbeSourceConfig(connectorConfigs);
      } catch (ConfigException e) {
        String message = String.valueOf(e.getMessage());
        config.configValues().stream()
            .filter(v -> message.contains("configuration " + v.name() + ":"))
            .findFirst().orElse(config.configValues().get(0)).addErrorMessage(message);
      }
    }
    for (String key : List.of("key.converter", "value.converter")) {
      String converter = connectorConfigs.get(key);
      if (converter == null || !PrometheusHealthSourceConnector.BYTE_ARRAY_CONVERTER.equals(
          converter.trim())) {
        ConfigValue value = new ConfigValue(key);
        value.addErrorMessage(key + " must be "
            + PrometheusHealthSourceConnector.BYTE_ARRAY_CONVERTER + ": the task writes"
            + " finished Avro bytes, as meshfed's agents do");
        config.configValues().add(value);
      }
    }
    return config;
  }
}
