package io.meshfed.connectors.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.HealthOutcome;
import io.meshfed.avro.HealthSignal;
import io.meshfed.connectors.testing.MeshWorkload;
import io.meshfed.connectors.testing.PrometheusProcess;
import io.meshfed.connectors.testing.RealRegistry;
import io.meshfed.testing.SharedSchemaRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The normal path against a real Prometheus and the real registry: Prometheus scrapes two
 * reviews pods exposing Istio's request counter, one answering 503s; the task's windows say
 * ERROR for that one and SUCCESS for the other, and follow when the failure moves.
 */
class RealPrometheusTest {

  static MeshWorkload workload;
  static MeshWorkload.Pod reviewsV1;
  static MeshWorkload.Pod reviewsV2;
  static PrometheusProcess prometheus;

  @BeforeAll
  static void startPrometheus() {
    Assumptions.assumeTrue(PrometheusProcess.binary() != null, "no Prometheus binary at"
        + " /usr/bin/prometheus or $PROMETHEUS_BIN: install Debian's prometheus package"
        + " (.ci/run does) to run the real-Prometheus tests");
    workload = new MeshWorkload();
    reviewsV1 = workload.addPod("mgmt-cluster", "bookinfo", "reviews", "reviews-v1", "10.0.0.7");
    reviewsV2 = workload.addPod("mgmt-cluster", "bookinfo", "reviews", "reviews-v2", "10.0.0.8");
    reviewsV1.setFailing(true);
    SharedSchemaRegistry.launch(); // starts meanwhile, unless an earlier class started it
    prometheus = PrometheusProcess.start(workload.targets());
  }

  @AfterAll
  static void stopPrometheus() {
    if (prometheus != null) {
      prometheus.close();
    }
    if (workload != null) {
      workload.close();
    }
  }

  @Test
  void windowsReportTheEndpointAnswering5xxAsErrorAndFollowTheFailure() throws Exception {
    Map<String, String> props = new HashMap<>();
    props.put("prometheus.url", prometheus.url());
    props.put("prometheus.query", MeshWorkload.errorRatioQuery());
    props.put("label.address", "pod_ip");
    props.put("endpoint.port", "9080");
    props.put("window.ms", "3000");
    props.put("evaluation.delay.ms", "1500");
    props.put("retry.backoff.ms", "200");
    props.put("registry.url", RealRegistry.url());
    props.put("registry.auto.register", "true");
    PrometheusHealthSourceTask task = new PrometheusHealthSourceTask();
    task.start(props);
    try {
      Map<String, HealthOutcome> first = awaitWindow(task, Map.of("10.0.0.7", HealthOutcome.ERROR,
          "10.0.0.8", HealthOutcome.SUCCESS));
      assertThat(first).containsEntry("10.0.0.7", HealthOutcome.ERROR);

      reviewsV1.setFailing(false);
      reviewsV2.setFailing(true);
      awaitWindow(task, Map.of("10.0.0.7", HealthOutcome.SUCCESS,
          "10.0.0.8", HealthOutcome.ERROR));
    } finally {
      task.stop();
    }
  }

  /** Polls windows until one reports exactly {@code expected}; fails after 60 s. */
  private Map<String, HealthOutcome> awaitWindow(PrometheusHealthSourceTask task,
      Map<String, HealthOutcome> expected) throws InterruptedException {
    RealRegistry registry = new RealRegistry();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    List<Map<String, HealthOutcome>> seen = new java.util.ArrayList<>();
    while (Instant.now().isBefore(deadline)) {
      List<SourceRecord> records;
      try {
        records = task.poll();
      } catch (org.apache.kafka.connect.errors.RetriableException e) {
        throw new AssertionError("a real Prometheus should not fail: " + e.getMessage()
            + "\nPrometheus log: " + prometheus.log(), e);
      }
      if (records == null) {
        continue;
      }
      Map<String, HealthOutcome> window = new TreeMap<>();
      for (SourceRecord record : records) {
        HealthSignal signal = (HealthSignal) registry.decode(record.topic(),
            (byte[]) record.value());
        assertThat(record.topic()).isEqualTo("meshfed.cluster.mgmt-cluster.events");
        assertThat(signal.getService()).isEqualTo("reviews");
        assertThat(signal.getPort()).isEqualTo(9080);
        window.put(signal.getAddress(), signal.getOutcome());
      }
      seen.add(window);
      if (window.equals(expected)) {
        return window;
      }
    }
    throw new AssertionError("no window reported " + expected + " within 60 s; windows: " + seen
        + "\nPrometheus log: " + prometheus.log());
  }
}
