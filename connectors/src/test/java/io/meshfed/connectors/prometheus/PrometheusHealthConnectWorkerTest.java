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
 * a bad configuration is refused naming the key; a persistently failing Prometheus shows in the
 * status API and the task resumes after a restart once it is back.
 */
class PrometheusHealthConnectWorkerTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry();

  static final ObjectMapper JSON = new ObjectMapper();
  static final String EVENTS = "meshfed.cluster.mgmt-cluster.events";
  /** The flaky-Prometheus test writes here, so the other tests see only their own signals. */
  static final String FLAKY_EVENTS = "meshfed.cluster.flaky-cluster.events";
  static final String PROBE_EVENTS = "meshfed.cluster.vm-cluster.events";
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
    STACK.kafka().createTopics(1, EVENTS, FLAKY_EVENTS, PROBE_EVENTS);

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
    try (KafkaConsumer<String, byte[]> consumer = consumer("counter-" + System.nanoTime())) {
      var partitions = List.of(new org.apache.kafka.common.TopicPartition(FLAKY_EVENTS, 0));
      return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private static KafkaConsumer<String, byte[]> consumer(String group) {
    return new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, group,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), new ByteArrayDeserializer());
  }
}
