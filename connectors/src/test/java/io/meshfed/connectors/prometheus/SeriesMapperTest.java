package io.meshfed.connectors.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshfed.avro.HealthOutcome;
import io.meshfed.connectors.prometheus.PrometheusClient.Sample;
import io.meshfed.connectors.prometheus.SeriesMapper.Mapped;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** Labels to endpoints, and configurations refused naming the key. */
class SeriesMapperTest {

  static final Instant END = Instant.parse("2026-12-01T12:00:00Z");

  static Map<String, String> config(String... overrides) {
    Map<String, String> props = new HashMap<>();
    props.put("prometheus.url", "http://127.0.0.1:9090");
    props.put("prometheus.query", "q");
    props.put("registry.url", "http://127.0.0.1:8081");
    for (int i = 0; i < overrides.length; i += 2) {
      props.put(overrides[i], overrides[i + 1]);
    }
    return props;
  }

  static Sample sample(double value, String... labels) {
    Map<String, String> map = new HashMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      map.put(labels[i], labels[i + 1]);
    }
    return new Sample(map, value);
  }

  @Test
  void clusterComesFromTheLabelWhenNotConfiguredAndBadSeriesAreSkippedWithReasons() {
    SeriesMapper mapper = new SeriesMapper(new PrometheusHealthSourceConfig(config()));
    Mapped mapped = mapper.map(List.of(
        sample(0.5, "cluster", "east", "namespace", "shop", "service", "cart",
            "instance", "[fd00::7]:8080"),
        sample(0.0, "cluster", "West_1", "namespace", "shop", "service", "cart",
            "instance", "10.0.0.1:8080"),
        sample(1.5, "cluster", "east", "namespace", "shop", "service", "cart",
            "instance", "10.0.0.2:8080"),
        sample(0.0, "cluster", "east", "namespace", "shop", "service", "cart",
            "instance", "10.0.0.3"),
        sample(0.0, "cluster", "east", "namespace", "shop", "service", "a/b",
            "instance", "10.0.0.4:80")), END);

    assertThat(mapped.signals()).singleElement().satisfies(s -> {
      assertThat(s.cluster()).isEqualTo("east");
      assertThat(s.key()).isEqualTo("east/Health/shop/cart/fd00::7:8080");
      assertThat(s.signal().getAddress()).isEqualTo("fd00::7");
      assertThat(s.signal().getOutcome()).isEqualTo(HealthOutcome.ERROR);
    });
    assertThat(mapped.skipped()).isEqualTo(4);
    assertThat(mapped.skipReasons()).hasSize(3);
    assertThat(mapped.skipReasons().get(0)).contains("cluster 'West_1' is not a cluster name");
    assertThat(mapped.skipReasons().get(1)).contains("not a ratio");
    assertThat(mapped.skipReasons().get(2)).contains("no endpoint port");
  }

  @Test
  void configurationErrorsNameTheKey() {
    assertThatThrownBy(() -> new PrometheusHealthSourceConfig(config("meshfed.cluster", "East")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("meshfed.cluster");
    assertThatThrownBy(() -> new PrometheusHealthSourceConfig(config("prometheus.url",
        "prometheus:9090"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("prometheus.url");
    assertThatThrownBy(() -> new PrometheusHealthSourceConfig(config("error.ratio.threshold",
        "2"))).isInstanceOf(ConfigException.class).hasMessageContaining("error.ratio.threshold");
    assertThatThrownBy(() -> new PrometheusHealthSourceConfig(config("registry.basic.auth.user",
        "meshfed"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("registry.basic.auth.password");
    Map<String, String> missing = config();
    missing.remove("prometheus.query");
    assertThatThrownBy(() -> new PrometheusHealthSourceConfig(missing))
        .isInstanceOf(ConfigException.class).hasMessageContaining("prometheus.query");
  }

  @Test
  void theWindowPlaceholderBecomesThePromqlDuration() {
    PrometheusHealthSourceConfig config = new PrometheusHealthSourceConfig(config(
        "prometheus.query", "rate(x[{{window}}]) / rate(y[{{window}}])", "window.ms", "45000"));
    assertThat(config.query()).isEqualTo("rate(x[45s]) / rate(y[45s])");
  }
}
