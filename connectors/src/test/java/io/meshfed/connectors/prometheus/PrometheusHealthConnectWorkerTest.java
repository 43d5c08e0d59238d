package io.meshfed.connectors.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshfed.avro.HealthOutcome;
import io.meshfed.avro.HealthSignal;
import io.meshfed.connectors.testing.ConnectWorker;
import io.meshfed.connectors.testing.LoopbackHttpServer;
import io.meshfed.connectors.testing.MeshWorkload;
import io.meshfed.connectors.testing.PrometheusProcess;
import io.meshfed.connectors.testing.RegistryPath;
import io.meshfed.connectors.testing.RegistryPath.Fault;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.EventKeys;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The connector deployed the way the README says, through the REST API of a real distributed
 * Connect worker (connect-runtime in-process) on the test broker, with the real registry and a
 * real Prometheus: HealthSignals land on the cluster's events topic and decode with the registry;
 * a bad configuration is refused naming the key; a persistently failing Prometheus, and a
 * registry outage, show in the status API and the task resumes after a restart once it is back.
 */
class PrometheusHealthConnectWorkerTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry();

  static final ObjectMapper JSON = new ObjectMapper();
  static final String EVENTS = "meshfed.cluster.mgmt-cluster.events";
  /** The flaky-Prometheus test writes here, so the other tests see only their own signals. */
  static final String FLAKY_EVENTS = "meshfed.cluster.flaky-cluster.events";
  static final String PROBE_EVENTS = "meshfed.cluster.vm-cluster.events";
  /** The registry-outage test's own topics: the Prometheus source's and the probe source's. */
  static final String OUTAGE_EVENTS = "meshfed.cluster.outage-cluster.events";
  static final String OUTAGE_PROBE_EVENTS = "meshfed.cluster.outage-vms.events";
  static final HttpClient HTTP = HttpClient.newHttpClient();

  static MeshWorkload workload;
  static PrometheusProcess prometheus;
  static ConnectWorker worker;

  @BeforeAll
  static void start() {
    Assumptions.assumeTrue(PrometheusProcess.binary() != null, "no Prometheus binary at"
        + " /usr/bin/prometheus or $PROMETHEUS_BIN: install Debian's prometheus package"
        + " (.ci/run does) to run the real-Prometheus tests");
    workload = new MeshWorkload();
    workload.addPod("mgmt-cluster", "bookinfo", "reviews", "reviews-v1", "10.0.0.7")
        .setFailing(true);
    workload.addPod("mgmt-cluster", "bookinfo", "reviews", "reviews-v2", "10.0.0.8");
    prometheus = PrometheusProcess.start(workload.targets());
    STACK.kafka().createTopics(1, EVENTS, FLAKY_EVENTS, PROBE_EVENTS, OUTAGE_EVENTS,
        OUTAGE_PROBE_EVENTS);

    worker = ConnectWorker.start(STACK.bootstrapServers(), "meshfed-connect-test");
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
    if (prometheus != null) {
      prometheus.close();
    }
    if (workload != null) {
      workload.close();
    }
  }

  static ObjectNode connectorConfig(String prometheusUrl) {
    ObjectNode config = JSON.createObjectNode()
        .put("connector.class", PrometheusHealthSourceConnector.class.getName())
        .put("tasks.max", "1")
        .put("key.converter", PrometheusHealthSourceConnector.BYTE_ARRAY_CONVERTER)
        .put("value.converter", PrometheusHealthSourceConnector.BYTE_ARRAY_CONVERTER)
        .put("meshfed.cluster", "mgmt-cluster")
        .put("prometheus.url", prometheusUrl)
        .put("prometheus.query", MeshWorkload.errorRatioQuery())
        .put("label.address", "pod_ip")
        .put("endpoint.port", "9080")
        .put("window.ms", "3000")
        .put("evaluation.delay.ms", "1500")
        .put("retry.backoff.ms", "300")
        .put("registry.url", STACK.registryUrl())
        .put("registry.auto.register", "true");
    return config;
  }

  static JsonNode rest(String method, String path, JsonNode body) throws Exception {
    return worker.rest(method, path, body);
  }

  @Test
  void validationNamesTheKeysThatAreWrong() throws Exception {
    ObjectNode config = connectorConfig(prometheus.url())
        .put("name", "prometheus-health")
        .put("value.converter", "org.apache.kafka.connect.json.JsonConverter")
        .put("meshfed.cluster", "Mgmt_Cluster");
    config.remove("prometheus.query");
    JsonNode result = rest("PUT", "/connector-plugins/PrometheusHealthSourceConnector/config"
        + "/validate", config);
    Map<String, String> errors = errorsByKey(result);
    assertThat(errors).containsKeys("prometheus.query", "value.converter");
    assertThat(errors.get("value.converter")).contains("ByteArrayConverter");

    config.put("prometheus.query", "up").put("value.converter",
        PrometheusHealthSourceConnector.BYTE_ARRAY_CONVERTER);
    result = rest("PUT", "/connector-plugins/PrometheusHealthSourceConnector/config/validate",
        config);
    errors = errorsByKey(result);
    assertThat(errors.keySet()).containsExactly("meshfed.cluster");
    assertThat(errors.get("meshfed.cluster")).contains("DNS-1123");
  }

  private static Map<String, String> errorsByKey(JsonNode validation) {
    Map<String, String> errors = new HashMap<>();
    for (JsonNode value : validation.path("configs")) {
      JsonNode errorList = value.path("value").path("errors");
      if (errorList.size() > 0) {
        errors.merge(value.path("value").path("name").asText(), errorList.toString(),
            String::concat);
      }
    }
    return errors;
  }

  @Test
  void healthSignalsFromPrometheusLandOnTheClustersEventsTopicAndDecode() throws Exception {
    rest("PUT", "/connectors/prometheus-health/config", connectorConfig(prometheus.url()));
    Map<String, HealthOutcome> latest = new ConcurrentHashMap<>();
    AvroSerde<SpecificRecord> serde = AvroSerde.anyRecord(new SchemaRegistryClient(
        RegistryConfig.of(STACK.registryUrl())));
    try (KafkaConsumer<String, byte[]> consumer = consumer("health-reader")) {
      consumer.subscribe(List.of(EVENTS));
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ZERO).untilAsserted(() -> {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          HealthSignal signal = (HealthSignal) serde.deserialize(record.topic(), record.value());
          // The key is the one the topology checks against the payload.
          assertThat(record.key()).isEqualTo(EventKeys.health("mgmt-cluster",
              signal.getNamespace(), signal.getService(), signal.getAddress(), signal.getPort()));
          latest.put(signal.getAddress() + ":" + signal.getPort(), signal.getOutcome());
        }
        assertThat(latest).containsEntry("10.0.0.7:9080", HealthOutcome.ERROR)
            .containsEntry("10.0.0.8:9080", HealthOutcome.SUCCESS);
      });
    }
    JsonNode status = rest("GET", "/connectors/prometheus-health/status", null);
    assertThat(status.path("tasks").path(0).path("state").asText()).isEqualTo("RUNNING");
    rest("DELETE", "/connectors/prometheus-health", null);
  }

  @Test
  void aPrometheusAnsweringGarbageFailsTheTaskVisiblyAndARestartResumesOnceItIsBack()
      throws Exception {
    AtomicBoolean garbage = new AtomicBoolean(true);
    try (LoopbackHttpServer flaky = new LoopbackHttpServer(exchange -> {
      if (garbage.get()) {
        LoopbackHttpServer.respond(exchange, 200, "text/html", "<html>maintenance</html>");
      } else {
        // Back: answers as the real one does (its own query result, relayed).
        HttpResponse<byte[]> real = HTTP.send(HttpRequest.newBuilder(URI.create(
            prometheus.url() + exchange.getRequestURI())).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(real.statusCode(), real.body().length);
        exchange.getResponseBody().write(real.body());
      }
    })) {
      ObjectNode config = connectorConfig(flaky.url()).put("fail.after.ms", "1000")
          .put("meshfed.cluster", "flaky-cluster");
      rest("PUT", "/connectors/flaky-prometheus/config", config);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        JsonNode task = rest("GET", "/connectors/flaky-prometheus/status", null)
            .path("tasks").path(0);
        assertThat(task.path("state").asText()).isEqualTo("FAILED");
        assertThat(task.path("trace").asText())
            .contains("fail.after.ms")
            .contains("not its JSON API")
            .contains("maintenance");
      });
      long before = countHealthRecords();

      garbage.set(false);
      rest("POST", "/connectors/flaky-prometheus/restart?includeTasks=true&onlyFailed=true", null);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        assertThat(rest("GET", "/connectors/flaky-prometheus/status", null)
            .path("tasks").path(0).path("state").asText()).isEqualTo("RUNNING");
        assertThat(countHealthRecords()).isGreaterThan(before);
      });
      rest("DELETE", "/connectors/flaky-prometheus", null);
    }
  }

  /**
   * A registry outage as an operator sees it in the worker's status API. A running task keeps
   * the schema id it was given, so the registry matters to a task that starts while it is away
   * (a worker restart, a rebalance, a config change): here the Prometheus source's task is
   * restarted after the registry went down, and the probe source is created then. Each writes
   * nothing, turns FAILED after {@code fail.after.ms} with the registry named in the status
   * API's trace, and after the registry is back and the documented restart, runs again: the
   * Prometheus source emits the windows of the outage from its committed offset (none
   * skipped), the probe source measures afresh.
   */
  @Test
  void aRegistryOutageShowsInTheStatusApiWritesNothingAndARestartResumesWithoutAGap()
      throws Exception {
    try (RegistryPath path = new RegistryPath();
        LoopbackHttpServer vm = new LoopbackHttpServer(exchange ->
            LoopbackHttpServer.respond(exchange, 200, "text/plain", "ok"))) {
      rest("PUT", "/connectors/outage-prometheus/config", connectorConfig(prometheus.url())
          .put("meshfed.cluster", "outage-cluster")
          .put("registry.url", path.url())
          .put("fail.after.ms", "1000")
          // The outage and the restarts span a few windows on a slow machine: replay them all.
          .put("max.catchup.windows", "100"));
      await().atMost(Duration.ofSeconds(90)).until(() -> endOffset(OUTAGE_EVENTS) > 0);

      path.fail(Fault.DOWN);
      rest("POST", "/connectors/outage-prometheus/tasks/0/restart", null);
      rest("PUT", "/connectors/outage-probes/config", probeConfig(vm.port(), path.url()));
      long beforeOutage = endOffset(OUTAGE_EVENTS);

      for (String name : List.of("outage-prometheus", "outage-probes")) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          JsonNode task = rest("GET", "/connectors/" + name + "/status", null)
              .path("tasks").path(0);
          assertThat(task.path("state").asText()).isEqualTo("FAILED");
          assertThat(task.path("trace").asText())
              .contains("fail.after.ms")
              .contains("no health signals")
              .contains("schema registry at " + path.url());
        });
      }
      // No false health: nothing was written while the schema id could not be had.
      assertThat(endOffset(OUTAGE_EVENTS)).isEqualTo(beforeOutage);
      assertThat(endOffset(OUTAGE_PROBE_EVENTS)).isZero();

      path.restore();
      for (String name : List.of("outage-prometheus", "outage-probes")) {
        rest("POST", "/connectors/" + name + "/restart?includeTasks=true&onlyFailed=true", null);
      }
      await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
        for (String name : List.of("outage-prometheus", "outage-probes")) {
          assertThat(rest("GET", "/connectors/" + name + "/status", null)
              .path("tasks").path(0).path("state").asText()).as(name).isEqualTo("RUNNING");
        }
        assertThat(endOffset(OUTAGE_EVENTS)).isGreaterThan(beforeOutage);
        assertThat(endOffset(OUTAGE_PROBE_EVENTS)).isPositive();
      });
      // Nothing lost: the windows on the topic follow each other without a gap across the
      // outage (a window sent again after a restart is the same window, at least once).
      List<Long> windows = windowEnds(OUTAGE_EVENTS);
      assertThat(windows).hasSizeGreaterThan(1);
      for (int i = 1; i < windows.size(); i++) {
        assertThat(windows.get(i) - windows.get(i - 1)).as("window after %s", windows.get(i - 1))
            .isEqualTo(3_000L);
      }
      for (String name : List.of("outage-prometheus", "outage-probes")) {
        rest("DELETE", "/connectors/" + name, null);
      }
    }
  }

  private static ObjectNode probeConfig(int vmPort, String registryUrl) {
    return JSON.createObjectNode()
        .put("connector.class", "io.meshfed.connectors.probe.HealthProbeSourceConnector")
        .put("key.converter", PrometheusHealthSourceConnector.BYTE_ARRAY_CONVERTER)
        .put("value.converter", PrometheusHealthSourceConnector.BYTE_ARRAY_CONVERTER)
        .put("meshfed.cluster", "outage-vms")
        .put("probe.targets", "bookinfo/ratings-vm/127.0.0.1:" + vmPort)
        .put("probe.interval.ms", "300")
        .put("retry.backoff.ms", "300")
        .put("fail.after.ms", "1000")
        .put("registry.url", registryUrl)
        .put("registry.auto.register", "true");
  }

  private static long endOffset(String topic) {
    try (KafkaConsumer<String, byte[]> consumer = consumer("counter-" + System.nanoTime())) {
      return consumer.endOffsets(List.of(new TopicPartition(topic, 0))).values().stream()
          .mapToLong(Long::longValue).sum();
    }
  }

  /** The distinct window ends (record timestamps) on {@code topic}, in order. */
  private static List<Long> windowEnds(String topic) {
    java.util.TreeSet<Long> ends = new java.util.TreeSet<>();
    long end = endOffset(topic);
    try (KafkaConsumer<String, byte[]> consumer = consumer("windows-" + System.nanoTime())) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      while (consumer.position(partition) < end) {
        consumer.poll(Duration.ofMillis(500)).forEach(r -> ends.add(r.timestamp()));
      }
    }
    return List.copyOf(ends);
  }

  @Test
  void theProbeConnectorRunsInTheWorkerAndItsSignalsLandOnTheEventsTopic() throws Exception {
    try (LoopbackHttpServer vm = new LoopbackHttpServer(exchange ->
        LoopbackHttpServer.respond(exchange, 200, "text/plain", "ok"))) {
      rest("PUT", "/connectors/vm-probes/config", JSON.createObjectNode()
          .put("connector.class", "io.meshfed.connectors.probe.HealthProbeSourceConnector")
          .put("key.converter", PrometheusHealthSourceConnector.BYTE_ARRAY_CONVERTER)
          .put("value.converter", PrometheusHealthSourceConnector.BYTE_ARRAY_CONVERTER)
          .put("meshfed.cluster", "vm-cluster")
          .put("probe.targets", "bookinfo/ratings-vm/127.0.0.1:" + vm.port())
          .put("probe.interval.ms", "500")
          .put("registry.url", STACK.registryUrl())
          .put("registry.auto.register", "true"));
      AvroSerde<SpecificRecord> serde = AvroSerde.anyRecord(new SchemaRegistryClient(
          RegistryConfig.of(STACK.registryUrl())));
      try (KafkaConsumer<String, byte[]> consumer = consumer("probe-reader")) {
        consumer.subscribe(List.of(PROBE_EVENTS));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ZERO).until(() -> {
          for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
            HealthSignal signal = (HealthSignal) serde.deserialize(record.topic(),
                record.value());
            if (record.key().equals("vm-cluster/Health/bookinfo/ratings-vm/127.0.0.1:"
                + vm.port()) && signal.getOutcome() == HealthOutcome.SUCCESS) {
              return true;
            }
          }
          return false;
        });
      }
      rest("DELETE", "/connectors/vm-probes", null);
    }
  }

  private static long countHealthRecords() {
    return endOffset(FLAKY_EVENTS);
  }

  private static KafkaConsumer<String, byte[]> consumer(String group) {
    return new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, group,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), new ByteArrayDeserializer());
  }
}
