package io.meshfed.connectors.prometheus;

import io.meshfed.avro.HealthOutcome;
import io.meshfed.avro.HealthSignal;
import io.meshfed.connectors.Messages;
import io.meshfed.connectors.prometheus.PrometheusClient.Sample;
import io.meshfed.connectors.prometheus.PrometheusHealthSourceConfig.QueryValue;
import io.meshfed.topics.ClusterTopic;
import io.meshfed.topics.EventKeys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the series of one window into HealthSignals: labels name the endpoint (cluster,
 * namespace, service, address), the value says whether the window was an error. Series that
 * cannot be mapped are skipped and counted, never guessed: a signal for the wrong endpoint would
 * eject a healthy one.
 */
final class SeriesMapper {

  /** A signal with the cluster whose events topic it goes to and its event key. */
  record ClusterSignal(String cluster, String key, HealthSignal signal) {}

  /** The signals of a window, and why the skipped series were skipped (first few reasons). */
  record Mapped(List<ClusterSignal> signals, int skipped, List<String> skipReasons) {}

  private static final int MAX_REASONS = 3;

  private final PrometheusHealthSourceConfig config;

  SeriesMapper(PrometheusHealthSourceConfig config) {
    this.config = config;
  }

  Mapped map(List<Sample> samples, Instant windowEnd) {
    List<ClusterSignal> signals = new ArrayList<>(samples.size());
    List<String> reasons = new ArrayList<>();
    int skipped = 0;
    for (Sample sample : samples) {
      String problem = null;
      ClusterSignal signal = null;
      try {
        signal = map(sample, windowEnd);
      } catch (IllegalArgumentException e) {
        problem = e.getMessage();
      }
      if (signal != null) {
        signals.add(signal);
      } else if (problem != null) {
        skipped++;
        if (reasons.size() < MAX_REASONS) {
          reasons.add(Messages.bounded(problem + " in series " + sample.labels()));
        }
      }
    }
    return new Mapped(signals, skipped, reasons);
  }

  /** The signal of one series, null for a window without requests; throws when unmappable. */
  private ClusterSignal map(Sample sample, Instant windowEnd) {
    double value = sample.value();
    if (Double.isNaN(value)) {
      // 0/0: the endpoint had no requests in the window. No traffic is no evidence either way.
      return null;
    }
    if (value < 0 || value > 1) {
      throw new IllegalArgumentException("value " + value + " is not a ratio in [0, 1]");
    }
    double errorRatio = config.queryValue() == QueryValue.ERROR_RATIO ? value : 1 - value;
    HealthOutcome outcome = errorRatio > config.errorThreshold() ? HealthOutcome.ERROR
        : HealthOutcome.SUCCESS;

    String cluster = config.cluster().isEmpty() ? label(sample, config.clusterLabel())
        : config.cluster();
    if (!ClusterTopic.CLUSTER_NAME.matcher(cluster).matches()) {
      throw new IllegalArgumentException("cluster '" + cluster + "' is not a cluster name");
    }
    String namespace = label(sample, config.namespaceLabel());
    String service = label(sample, config.serviceLabel());
    String rawAddress = label(sample, config.addressLabel());
    String address = rawAddress;
    int port = config.endpointPort();
    // ip:port, [v6]:port, or a bare ip; the configured port wins over a label's (metrics) port.
    int colon = rawAddress.lastIndexOf(':');
    boolean hasPort = colon > 0 && (rawAddress.startsWith("[") ? rawAddress.charAt(colon - 1) == ']'
        : rawAddress.indexOf(':') == colon);
    if (hasPort) {
      address = rawAddress.substring(0, colon);
      if (port == 0) {
        try {
          port = Integer.parseInt(rawAddress.substring(colon + 1));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("address '" + rawAddress + "' has no numeric port");
        }
      }
    }
    if (address.startsWith("[") && address.endsWith("]")) {
      address = address.substring(1, address.length() - 1);
    }
    if (port <= 0 || port > 65_535) {
      throw new IllegalArgumentException("no endpoint port: label " + config.addressLabel()
          + " is '" + rawAddress + "' and " + PrometheusHealthSourceConfig.ENDPOINT_PORT
          + " is 0");
    }
    if (namespace.contains("/") || service.contains("/") || address.contains("/")) {
      throw new IllegalArgumentException("a '/' in namespace, service or address would corrupt"
          + " the event key");
    }
    HealthSignal signal = HealthSignal.newBuilder()
        .setNamespace(namespace)
        .setService(service)
        .setAddress(address)
        .setPort(port)
        .setOutcome(outcome)
        .setTime(windowEnd)
        .build();
    return new ClusterSignal(cluster, EventKeys.health(cluster, namespace, service, address, port),
        signal);
  }

  private static String label(Sample sample, String name) {
    String value = sample.labels().get(name);
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("label '" + name + "' is missing");
    }
    return value;
  }
}
