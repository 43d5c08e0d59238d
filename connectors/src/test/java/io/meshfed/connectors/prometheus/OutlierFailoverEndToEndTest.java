package io.meshfed.connectors.prometheus;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.HealthSignal;
import io.meshfed.avro.ObjectSelector;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.OutlierDetectionPolicySpec;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.ReasonCode;
import io.meshfed.avro.ResourceKind;
import io.meshfed.connectors.testing.ConnectWorker;
import io.meshfed.connectors.testing.MeshWorkload;
import io.meshfed.connectors.testing.PrometheusProcess;
import io.meshfed.connectors.testing.TopologyRig;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.EventKeys;
import io.meshfed.topology.Bookinfo;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The failover walkthrough driven by request errors instead of readiness, every part real:
 * reviews v1 and v2 on mgmt-cluster start answering 503 (readiness stays true); a real
 * Prometheus scrapes their Istio counters; the connector, in a real Connect worker, turns the 5xx
 * ratio into HealthSignals; the real topology's outlier detection ejects both endpoints and
 * fails over to remote-cluster. Errors stop: after the ejection time and damping, traffic
 * fails back.
 */
class OutlierFailoverEndToEndTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry();

  static final Duration DAMPING = Duration.ofSeconds(2);
  static final long EJECTION_MS = 6_000;
  static final String CONFIG_KEY =
      "FederatedDestination/FailoverService/service-mesh-hub/reviews-failover";

  static MeshWorkload workload;
  static MeshWorkload.Pod reviewsV1;
  static MeshWorkload.Pod reviewsV2;
  static PrometheusProcess prometheus;

  static TopologyRig rig;
  static KafkaProducer<String, SpecificRecord> agent;
  static ConnectWorker worker;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(PrometheusProcess.binary() != null, "no Prometheus binary at"
        + " /usr/bin/prometheus or $PROMETHEUS_BIN: install Debian's prometheus package"
        + " (.ci/run does) to run the real-Prometheus tests");
    // Bookinfo's mgmt-cluster reviews endpoints: v1 10.0.0.11, v2 10.0.0.12, port 9080.
    workload = new MeshWorkload();
    reviewsV1 = workload.addPod(MGMT, "bookinfo", "reviews", "reviews-v1", "10.0.0.11");
    reviewsV2 = workload.addPod(MGMT, "bookinfo", "reviews", "reviews-v2", "10.0.0.12");
    prometheus = PrometheusProcess.start(workload.targets());

    rig = TopologyRig.start(STACK, "e2e-outlier", List.of(HealthSignal.getClassSchema()),
        List.of(MGMT, REMOTE), List.of(MGMT, REMOTE), DAMPING);
    agent = rig.agent();
    worker = rig.worker();
  }

  @AfterAll
  static void stop() throws Exception {
    if (rig != null) {
      rig.close();
    }
    if (prometheus != null) {
      prometheus.close();
    }
    if (workload != null) {
      workload.close();
    }
  }

  /** The walkthrough's outlier policy with a short ejection time, so failback fits a test. */
  static KeyValue<String, SpecificRecord> outlierPolicy() {
    return KeyValue.pair(EventKeys.policy(MGMT, ResourceKind.OutlierDetectionPolicy,
        "service-mesh-hub", "mgmt-reviews-outlier"), PolicyEvent.newBuilder()
        .setKind(ResourceKind.OutlierDetectionPolicy).setNamespace("service-mesh-hub")
        .setName("mgmt-reviews-outlier").setUid("uid-odp").setGeneration(1)
        .setCreationTimestamp(Bookinfo.CREATED)
        .setSpec(new OutlierDetectionPolicySpec(List.of(ObjectSelector.newBuilder()
            .setName("reviews-failover").setNamespace("service-mesh-hub").build()),
            new OutlierDetection(1, null, EJECTION_MS, null)))
        .build());
  }

  @Test
  void fiveHundredsFromMgmtReviewsEjectThemAndFailOverThenFailBackWhenTheyStop()
      throws Exception {
    Bookinfo.publish(agent, MGMT, Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    Bookinfo.publish(agent, REMOTE, Bookinfo.reviewsService(REMOTE),
        Bookinfo.reviewsEndpoints(REMOTE, true));
    Bookinfo.publish(agent, MGMT, outlierPolicy(),
        Bookinfo.failoverService("reviews-failover.bookinfo.global", 1));
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(activeTier(MGMT)).isZero());

    ObjectMapper json = new ObjectMapper();
    worker.rest("PUT", "/connectors/mgmt-request-health/config", json.createObjectNode()
        .put("connector.class", PrometheusHealthSourceConnector.class.getName())
        .put("key.converter", PrometheusHealthSourceConnector.BYTE_ARRAY_CONVERTER)
        .put("value.converter", PrometheusHealthSourceConnector.BYTE_ARRAY_CONVERTER)
        .put("meshfed.cluster", MGMT)
        .put("prometheus.url", prometheus.url())
        .put("prometheus.query", MeshWorkload.errorRatioQuery())
        .put("label.address", "pod_ip")
        .put("endpoint.port", "9080")
        .put("window.ms", "2000")
        .put("evaluation.delay.ms", "1200")
        .put("retry.backoff.ms", "300")
        .put("registry.url", STACK.registryUrl()));

    // Healthy traffic: SUCCESS windows change nothing, for several windows in a row.
    await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(decisions()).noneMatch(d -> d.getReasonCode() == ReasonCode.TIER_UNHEALTHY));

    // Readiness stays true; only the requests fail.
    reviewsV1.setFailing(true);
    reviewsV2.setFailing(true);
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(activeTier(MGMT)).isEqualTo(1);
      assertThat(activeTier(REMOTE)).isEqualTo(1);
    });
    // v1 and v2 are ejected one window apart or together: a spill first, then the failover.
    List<FailoverDecision> unhealthy = decisions().stream()
        .filter(d -> d.getClientCluster().equals(MGMT))
        .filter(d -> d.getReasonCode() == ReasonCode.TIER_UNHEALTHY).toList();
    assertThat(unhealthy).isNotEmpty().allSatisfy(d -> {
      assertThat(d.getInputs().get(0).getEjected()).isPositive();
      assertThat(d.getReason()).contains(d.getInputs().get(0).getEjected()
          + " ejected by outlier detection");
    });
    FailoverDecision failover = unhealthy.get(unhealthy.size() - 1);
    assertThat(failover.getAfter().getActiveTier()).isEqualTo(1);
    assertThat(failover.getReason()).isEqualTo("tier 0 mgmt-cluster/bookinfo/reviews healthy 0/2"
        + " (2 ejected by outlier detection, < 71%): 100% to tier 1"
        + " remote-cluster/bookinfo/reviews");

    // Errors stop: SUCCESS windows, the ejection expires, and after damping traffic returns.
    Instant errorsStopped = Instant.now();
    reviewsV1.setFailing(false);
    reviewsV2.setFailing(false);
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
      assertThat(activeTier(MGMT)).isZero();
      assertThat(activeTier(REMOTE)).isZero();
    });
    List<FailoverDecision> recovered = decisions().stream()
        .filter(d -> d.getClientCluster().equals(MGMT))
        .filter(d -> d.getReasonCode() == ReasonCode.TIER_RECOVERED).toList();
    assertThat(recovered).isNotEmpty();
    FailoverDecision failback = recovered.get(recovered.size() - 1);
    assertThat(failback.getReason()).startsWith("tier 0 mgmt-cluster/bookinfo/reviews healthy 2/2");
    assertThat(Duration.between(errorsStopped, failback.getTime()).toMillis())
        .as("failback waits for the ejection to expire and the damping")
        .isGreaterThanOrEqualTo(DAMPING.toMillis());
  }

  static List<FailoverDecision> decisions() {
    return rig.decisions();
  }

  static Integer activeTier(String client) {
    FederatedDestination latest = rig.latest(client, CONFIG_KEY);
    return latest == null ? null : latest.getActiveTier();
  }

}
