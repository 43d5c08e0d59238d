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
import io.meshfed.avro.TierHealth;
import io.meshfed.connectors.testing.ConnectWorker;
import io.meshfed.connectors.testing.MeshWorkload;
import io.meshfed.connectors.testing.PrometheusProcess;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.EventKeys;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyMain;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.TopologyConfig;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
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
  static ConnectWorker worker;
  static KafkaStreams topology;
  static KafkaProducer<String, SpecificRecord> agent;
  static ScheduledExecutorService heartbeats;
  static Collector out;
  static SchemaRegistryClient registry;

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

    registry = new SchemaRegistryClient(
        RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true));
    // As the release pipeline would: the connector itself does not register schemas.
    registry.register(AvroSerde.subjectFor(HealthSignal.getClassSchema()),
        HealthSignal.getClassSchema());
    TopicProvisioner.addCluster(STACK.bootstrapServers(), MGMT, (short) 1);
    TopicProvisioner.addCluster(STACK.bootstrapServers(), REMOTE, (short) 1);
    TopologyConfig config = TopologyConfig.defaults(STACK.bootstrapServers(), registry.config(),
            Set.of(MGMT))
        .withApplicationId("e2e-outlier")
        .withStateDir(Files.createTempDirectory("meshfed-e2e"))
        .withTimers(Duration.ofSeconds(30), DAMPING, Duration.ofMillis(200));
    topology = TopologyMain.start(config, new Properties());
    await().atMost(Duration.ofSeconds(60))
        .until(() -> topology.state() == KafkaStreams.State.RUNNING);
    out = new Collector();

    agent = new KafkaProducer<>(Map.<String, Object>of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ACKS_CONFIG, "all"),
        new StringSerializer(), AvroSerde.anyRecord(registry).serializer());
    heartbeats = Executors.newSingleThreadScheduledExecutor();
    heartbeats.scheduleAtFixedRate(() -> {
      try {
        Bookinfo.publish(agent, MGMT, Bookinfo.heartbeat(MGMT, Instant.now()));
        Bookinfo.publish(agent, REMOTE, Bookinfo.heartbeat(REMOTE, Instant.now()));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, 0, 1, TimeUnit.SECONDS);

    worker = ConnectWorker.start(STACK.bootstrapServers(), "meshfed-e2e-connect");
  }

  @AfterAll
  static void stop() throws Exception {
    if (worker != null) {
      worker.close();
    }
    if (heartbeats != null) {
      heartbeats.shutdownNow();
      heartbeats.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (out != null) {
      out.close();
    }
    if (topology != null) {
      topology.close(Duration.ofSeconds(30));
    }
    if (agent != null) {
      agent.close();
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
    return out.seen.stream().filter(r -> r.topic().equals(MeshfedTopics.FAILOVER_EVENTS))
        .map(r -> (FailoverDecision) r.value()).toList();
  }

  static Integer activeTier(String client) {
    FederatedDestination latest = null;
    for (ConsumerRecord<String, SpecificRecord> r : out.seen) {
      if (r.topic().equals("meshfed.cluster." + client + ".config")
          && CONFIG_KEY.equals(r.key())) {
        latest = (FederatedDestination) r.value();
      }
    }
    return latest == null ? null : latest.getActiveTier();
  }

  /** Everything the topology writes, read_committed, as a subscriber sees it. */
  static final class Collector implements AutoCloseable {
    final Queue<ConsumerRecord<String, SpecificRecord>> seen = new ConcurrentLinkedQueue<>();
    private final KafkaConsumer<String, SpecificRecord> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    Collector() {
      consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
          ConsumerConfig.GROUP_ID_CONFIG, "e2e-collector",
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
          ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
          ConsumerConfig.METADATA_MAX_AGE_CONFIG, 1000),
          new StringDeserializer(), AvroSerde.anyRecord(registry).deserializer());
      thread = new Thread(() -> {
        try {
          consumer.subscribe(Pattern.compile(
              "meshfed\\.cluster\\..*\\.config|meshfed\\.failover-events"));
          while (running) {
            consumer.poll(Duration.ofMillis(50)).forEach(seen::add);
          }
        } catch (WakeupException stopping) {
          // closing
        } finally {
          consumer.close();
        }
      }, "e2e-collector");
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      consumer.wakeup();
      thread.join(10_000);
    }
  }
}
