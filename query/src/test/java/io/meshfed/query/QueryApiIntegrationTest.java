package io.meshfed.query;

import io.meshfed.testing.FreePorts;
import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshfed.avro.ResourceKind;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.EventKeys;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyMain;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.TopologyConfig;
import io.meshfed.topology.decide.DestinationPartitioner;
import io.meshfed.topology.state.Stores;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two topology instances on the real broker, each serving the API: every endpoint gives the
 * same answer from either instance; a key owned by one is served through the other.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class QueryApiIntegrationTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String FS = "/v1/failover-services/service-mesh-hub/reviews-failover";
  private static final List<Instance> instances = new ArrayList<>();
  private static final String READ_TOKEN = "read-token-0123456789";
  private static final String ADMIN_TOKEN = "admin-token-0123456789";
  /** Both instances take the same tokens: a forwarded request carries the caller's. */
  private static final QueryAccess ACCESS = QueryAccess.tokens(Map.of(
      READ_TOKEN, QueryAccess.Role.READ, ADMIN_TOKEN, QueryAccess.Role.ADMIN));

  record Instance(KafkaStreams streams, QueryServer server, int port) {
    String url(String path) {
      return "http://127.0.0.1:" + port + path;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    TopicProvisioner.addCluster(STACK.bootstrapServers(), MGMT, (short) 1);
    TopicProvisioner.addCluster(STACK.bootstrapServers(), REMOTE, (short) 1);
    for (int i = 0; i < 2; i++) {
      int port = FreePorts.one();
      TopologyConfig config = TopologyConfig.defaults(STACK.bootstrapServers(),
              RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT), Set.of(MGMT))
          .withApplicationId("query-it")
          .withStateDir(Files.createTempDirectory("meshfed-query-" + i))
          .withApplicationServer("127.0.0.1:" + port);
      Properties overrides = new Properties();
      overrides.put("consumer.session.timeout.ms", 6000);
      overrides.put("consumer.heartbeat.interval.ms", 1000);
      KafkaStreams streams = TopologyMain.start(config, overrides);
      QueryServer server = new QueryServer(streams, new HostInfo("127.0.0.1", port),
          config.heartbeatTtl(), ACCESS).start();
      instances.add(new Instance(streams, server, port));
    }
    await().atMost(Duration.ofSeconds(90)).until(() -> instances.stream()
        .allMatch(i -> i.streams().state() == KafkaStreams.State.RUNNING));
    try (var agent = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers",
        STACK.bootstrapServers()), new StringSerializer(), AvroSerde.anyRecord(
            new io.meshfed.registry.SchemaRegistryClient(RegistryConfig.of(STACK.registryUrl())
                .withAutoRegister(true))).serializer())) {
      Bookinfo.publish(agent, MGMT, Bookinfo.heartbeat(MGMT, Instant.now()),
          Bookinfo.reviewsService(MGMT), Bookinfo.reviewsEndpoints(MGMT, true));
      Bookinfo.publish(agent, REMOTE, Bookinfo.heartbeat(REMOTE, Instant.now()),
          Bookinfo.reviewsService(REMOTE), Bookinfo.reviewsEndpoints(REMOTE, true));
      Bookinfo.publish(agent, MGMT, Bookinfo.outlierPolicy(),
          Bookinfo.failoverService("reviews-failover.bookinfo.global", 1));
    }
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (Instance i : instances) {
        assertThat(json(i, FS).path("status").path("numSelectedBackingServices").asInt())
            .isEqualTo(2);
        assertThat(get(i, "/v1/destinations/FailoverService/service-mesh-hub/reviews-failover"
            + "/clients/mgmt-cluster").statusCode()).isEqualTo(200);
      }
    });
  }

  @AfterAll
  static void stop() {
    for (Instance i : instances) {
      i.server().close();
      i.streams().close(Duration.ofSeconds(30));
    }
  }

  /** A query with the read-only token. */
  private static HttpResponse<String> get(Instance instance, String path) throws Exception {
    return get(instance, path, READ_TOKEN);
  }

  /** A request with {@code token} as its bearer token, or none when null. */
  private static HttpResponse<String> get(Instance instance, String path, String token)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(instance.url(path)));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(Instance instance, String path) throws Exception {
    HttpResponse<String> response = get(instance, path);
    assertThat(response.statusCode()).as("%s %s", path, response.body()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  @Test
  void everyEndpointGivesTheSameAnswerFromEitherInstance() throws Exception {
    for (String path : List.of(FS, "/v1/failover-services", "/v1/clusters",
        "/v1/decisions?destination=FailoverService/service-mesh-hub/reviews-failover&limit=5",
        "/v1/clusters/remote-cluster",
        "/v1/destinations/FailoverService/service-mesh-hub/reviews-failover/clients/"
            + "remote-cluster")) {
      JsonNode a = json(instances.get(0), path);
      JsonNode b = json(instances.get(1), path);
      if (a.has("servedBy") && !path.startsWith("/v1/clusters")
          && !path.equals("/v1/failover-services")) {
        assertThat(a).as(path).isEqualTo(b);
      } else {
        ((com.fasterxml.jackson.databind.node.ObjectNode) a).remove("servedBy");
        ((com.fasterxml.jackson.databind.node.ObjectNode) b).remove("servedBy");
        assertThat(a).as(path).isEqualTo(b);
      }
    }
    JsonNode fs = json(instances.get(0), FS);
    assertThat(fs.path("hostnames").get(0).asText()).isEqualTo("reviews-failover.bookinfo.global");
    assertThat(fs.path("status").path("numSelectedBackingServices").asInt()).isEqualTo(2);
    JsonNode client = json(instances.get(1), "/v1/destinations/FailoverService/service-mesh-hub"
        + "/reviews-failover/clients/mgmt-cluster");
    assertThat(client.path("activeTier").asInt()).isZero();
    assertThat(client.path("tiers").get(0).path("endpoints")).hasSize(2);
    assertThat(json(instances.get(0), "/v1/clusters").path("items")).hasSize(2);
    JsonNode decisions = json(instances.get(1), "/v1/decisions?destination=FailoverService/"
        + "service-mesh-hub/reviews-failover&limit=3");
    assertThat(decisions.path("items").size()).isBetween(1, 3);
    assertThat(decisions.path("items").get(0).path("reason").asText()).isNotEmpty();
    long newest = decisions.path("items").get(0).path("epoch").asLong();
    for (JsonNode d : decisions.path("items")) {
      assertThat(d.path("epoch").asLong()).isLessThanOrEqualTo(newest);
    }
  }

  @Test
  void aKeyOwnedByOneInstanceIsServedThroughTheOther() throws Exception {
    String key = "FailoverService/service-mesh-hub/reviews-failover";
    var metadata = instances.get(0).streams().queryMetadataForKey(Stores.STATUSES, key,
        DestinationPartitioner.<Object>byKey());
    Instance owner = instances.stream().filter(i -> i.port() == metadata.activeHost().port())
        .findFirst().orElseThrow();
    Instance other = instances.get(0) == owner ? instances.get(1) : instances.get(0);
    JsonNode answer = json(other, FS);
    assertThat(answer.path("servedBy").asText()).isEqualTo("127.0.0.1:" + owner.port());
    assertThat(answer.path("stale").asBoolean()).isFalse();

    List<Long> local = new ArrayList<>();
    List<Long> forwarded = new ArrayList<>();
    for (int n = 0; n < 200; n++) {
      long t = System.nanoTime();
      get(owner, FS);
      local.add((System.nanoTime() - t) / 1000);
      t = System.nanoTime();
      get(other, FS);
      forwarded.add((System.nanoTime() - t) / 1000);
    }
    System.out.println("IQ latency, local key: " + percentiles(local) + "; forwarded key: "
        + percentiles(forwarded));
  }

  @Test
  void errorsAreJsonWithTheRightStatus() throws Exception {
    HttpResponse<String> missing = get(instances.get(0),
        "/v1/failover-services/service-mesh-hub/nope");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(missing.body()).path("error").asText())
        .isEqualTo("FailoverService service-mesh-hub/nope not found");
    HttpResponse<String> badKind = get(instances.get(1),
        "/v1/destinations/Gateway/ns/name/clients/mgmt-cluster");
    assertThat(badKind.statusCode()).isEqualTo(400);
    assertThat(badKind.body()).contains("kind 'Gateway'");
    HttpResponse<String> badName = get(instances.get(0), "/v1/failover-services/Bad_NS/x");
    assertThat(badName.statusCode()).isEqualTo(400);
    assertThat(badName.body()).contains("namespace 'Bad_NS'");
    assertThat(get(instances.get(0), "/v1/decisions").statusCode()).isEqualTo(400);
    assertThat(get(instances.get(0), "/v1/decisions?destination=FailoverService/a/b&limit=x")
        .body()).contains("limit 'x' is not a number");
    assertThat(get(instances.get(0), "/readyz").statusCode()).isEqualTo(200);
    assertThat(get(instances.get(0), "/metrics", ADMIN_TOKEN).body()).contains("kafka_stream");
    assertThat(get(instances.get(0), "/v1/openapi").body()).contains("openapi: 3.0.3");
  }

  @Test
  void noTokenIs401AndTheReadOnlyRoleIs403OnTheOperatorsEndpoints() throws Exception {
    for (String token : java.util.Arrays.asList(null, "not-a-token-0123456789")) {
      HttpResponse<String> anonymous = get(instances.get(0), FS, token);
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(anonymous.headers().firstValue("WWW-Authenticate"))
          .hasValue("Bearer realm=\"meshfed\"");
      assertThat(JSON.readTree(anonymous.body()).path("error").asText())
          .isEqualTo("a valid bearer token is required");
    }
    HttpResponse<String> readOnly = get(instances.get(1), "/metrics", READ_TOKEN);
    assertThat(readOnly.statusCode()).isEqualTo(403);
    assertThat(JSON.readTree(readOnly.body()).path("error").asText())
        .isEqualTo("/metrics needs the admin role");
    assertThat(get(instances.get(1), FS, ADMIN_TOKEN).statusCode()).isEqualTo(200);
    // A kubelet probes without a token.
    assertThat(get(instances.get(0), "/healthz", null).statusCode()).isEqualTo(200);
  }

  /** Runs last: it stops one of the two instances. */
  @Test
  @org.junit.jupiter.api.Order(Integer.MAX_VALUE)
  void withOneInstanceGoneQueriesKeepAnsweringThenConverge() throws Exception {
    Instance gone = instances.remove(1);
    Instance survivor = instances.get(0);
    gone.server().close();
    gone.streams().close(Duration.ZERO);
    List<Integer> seen = new ArrayList<>();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(
        () -> {
          HttpResponse<String> response = get(survivor, FS);
          seen.add(response.statusCode());
          assertThat(response.statusCode()).as("never a wrong 404").isNotEqualTo(404);
          if (response.statusCode() == 503) {
            assertThat(response.headers().firstValue("Retry-After")).isPresent();
          }
          assertThat(response.statusCode()).isEqualTo(200);
          JsonNode body = JSON.readTree(response.body());
          assertThat(body.path("servedBy").asText()).isEqualTo("127.0.0.1:" + survivor.port());
          assertThat(body.path("status").path("numSelectedBackingServices").asInt())
              .isEqualTo(2);
        });
    assertThat(seen).doesNotContain(404);
    gone.streams().close(Duration.ofSeconds(30));
  }

  private static String percentiles(List<Long> micros) {
    List<Long> sorted = micros.stream().sorted().toList();
    return String.format("p50 %.2f ms, p99 %.2f ms", sorted.get(sorted.size() / 2) / 1000.0,
        sorted.get((int) (sorted.size() * 0.99) - 1) / 1000.0);
  }

}
