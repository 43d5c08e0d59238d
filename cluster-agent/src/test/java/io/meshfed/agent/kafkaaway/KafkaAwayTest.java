package io.meshfed.agent.kafkaaway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.agent.ClusterAgent;
import io.meshfed.agent.apply.IstioApplier;
import io.meshfed.agent.apply.Ownership;
import io.meshfed.agent.apply.Reconciler;
import io.meshfed.agent.config.AgentConfig;
import io.meshfed.avro.ClusterObjectRef;
import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.WeightedEndpoint;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.EmbeddedKafka;
import io.meshfed.testing.EmbeddedSchemaRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka goes away under a running agent: the applied config stays exactly as it is, and the
 * readiness endpoint says the agent is degraded.
 */
@EnableKubernetesMockClient(crud = true)
class KafkaAwayTest {

  static KubernetesClient client;
  /** meshfed.agent.send.timeout.ms of these tests' agents. */
  static final String SEND_TIMEOUT_MS = "2000";
  /** The test JVM's shared registry: only Kafka goes away in these tests. */
  static EmbeddedSchemaRegistry registry;

  @BeforeAll
  static void registry() {
    registry = io.meshfed.testing.SharedSchemaRegistry.get();
  }

  /** Each test counts the ServiceEntries it made: none left by the other. */
  @AfterEach
  void removeServiceEntries() {
    client.genericKubernetesResources(Reconciler.contextFor(IstioApplier.SERVICE_ENTRY))
        .inNamespace("meshfed").delete();
  }

  @Test
  void appliedConfigStaysAndReadinessReportsDegraded() throws Exception {
    { // Only Kafka goes away: the registry is the test JVM's shared one, left running.
      EmbeddedKafka kafka = EmbeddedKafka.start();
      boolean kafkaClosed = false;
      try {
        SchemaRegistryClient schemas = new SchemaRegistryClient(
            RegistryConfig.of(registry.confluentApiUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT));
        kafka.createTopics(1, "meshfed.cluster.c1.events", "meshfed.cluster.c1.config");
        Properties p = new Properties();
        p.setProperty("meshfed.bootstrap.servers", kafka.bootstrapServers());
        p.setProperty("meshfed.registry.url", registry.confluentApiUrl());
        p.setProperty("meshfed.registry.auto.register", "true");
        p.setProperty("meshfed.agent.heartbeat.interval.ms", "500");
        p.setProperty("meshfed.agent.health.port", "0");
    p.setProperty("meshfed.agent.send.timeout.ms", SEND_TIMEOUT_MS);
        try (ClusterAgent agent = new ClusterAgent(AgentConfig.fromProperties("c1", p), client)
            .start()) {
          ResourceRef ref = new ResourceRef(ResourceKind.VirtualDestination, "global", "app");
          try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers",
              kafka.bootstrapServers()), new StringSerializer(),
              AvroSerde.anyRecord(schemas).serializer())) {
            producer.send(new ProducerRecord<>("meshfed.cluster.c1.config",
                "FederatedDestination/VirtualDestination/global/app", destination(ref, 1,
                "app.mesh.internal"))).get();
          }
          var serviceEntries = client.genericKubernetesResources(
              Reconciler.contextFor(IstioApplier.SERVICE_ENTRY)).inNamespace("meshfed");
          await().atMost(Duration.ofSeconds(30)).until(agent::isReady);
          await().atMost(Duration.ofSeconds(30)).until(() ->
              serviceEntries.list().getItems().size() == 1);
          String before = serviceEntries.list().getItems().get(0).getMetadata()
              .getResourceVersion();

          kafka.close();
          kafkaClosed = true;
          HttpClient http = HttpClient.newHttpClient();
          HttpRequest readyz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
              + agent.healthPort() + "/readyz")).build();
          await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            HttpResponse<String> response = http.send(readyz,
                HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.body()).contains("\"kafka\":\"degraded\"");
          });
          var after = serviceEntries.list().getItems();
          assertThat(after).singleElement().satisfies(se -> {
            assertThat(se.getMetadata().getResourceVersion()).isEqualTo(before);
            assertThat(Ownership.isOwned(se.getMetadata().getLabels())).isTrue();
          });
        }
      } finally {
        if (!kafkaClosed) {
          kafka.close();
        }
      }
    }
  }

  /**
   * An agent restarted while Kafka is unreachable keeps what it applied before (the objects
   * in the API server are its last-known-good config: nothing is pruned, nothing rewritten),
   * reports degraded, and follows the config again once Kafka is back. Its follower thread
   * used to die on the first metadata timeout and never follow the config again.
   */
  @Test
  void anAgentRestartedWhileKafkaIsUnreachableKeepsItsConfigAndFollowsAgainAfter(
      @TempDir Path kafkaDir) throws Exception {
    SchemaRegistryClient schemas = new SchemaRegistryClient(
        RegistryConfig.of(registry.confluentApiUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT));
    EmbeddedKafka kafka = EmbeddedKafka.start(kafkaDir);
    String bootstrap = kafka.bootstrapServers();
    int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
    String key = "FederatedDestination/VirtualDestination/global/kept";
    ResourceRef ref = new ResourceRef(ResourceKind.VirtualDestination, "global", "kept");
    var serviceEntries = client.genericKubernetesResources(
        Reconciler.contextFor(IstioApplier.SERVICE_ENTRY)).inNamespace("meshfed");
    Properties p = new Properties();
    p.setProperty("meshfed.bootstrap.servers", bootstrap);
    p.setProperty("meshfed.registry.url", registry.confluentApiUrl());
    p.setProperty("meshfed.registry.auto.register", "true");
    p.setProperty("meshfed.agent.heartbeat.interval.ms", "500");
    p.setProperty("meshfed.agent.health.port", "0");
    p.setProperty("meshfed.agent.send.timeout.ms", SEND_TIMEOUT_MS);
    String before;
    try {
      kafka.createTopics(1, "meshfed.cluster.c2.events", "meshfed.cluster.c2.config");
      try (ClusterAgent agent = new ClusterAgent(AgentConfig.fromProperties("c2", p), client)
          .start()) {
        send(bootstrap, schemas, key, destination(ref, 1, "kept.mesh.internal"));
        await().atMost(Duration.ofSeconds(60)).until(() -> agent.isReady()
            && hosts(serviceEntries).contains("kept.mesh.internal"));
        before = serviceEntries.list().getItems().stream()
            .filter(se -> se.getMetadata().getName().contains("kept")).findFirst().orElseThrow()
            .getMetadata().getResourceVersion();
      }
    } finally {
      kafka.close();
    }

    try (ClusterAgent agent = new ClusterAgent(AgentConfig.fromProperties("c2", p), client)
        .start()) {
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest readyz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + agent.healthPort() + "/readyz")).build();
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        HttpResponse<String> response = http.send(readyz, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).contains("\"kafka\":\"degraded\"")
            .contains("\"configCaughtUp\":false");
      });
      // Served meanwhile: the applied object, untouched.
      assertThat(serviceEntries.list().getItems()).filteredOn(
          se -> se.getMetadata().getName().contains("kept")).singleElement().satisfies(se -> {
            assertThat(se.getMetadata().getResourceVersion()).isEqualTo(before);
            assertThat(Ownership.isOwned(se.getMetadata().getLabels())).isTrue();
          });

      EmbeddedKafka again = EmbeddedKafka.start(kafkaDir, port);
      try {
        send(again.bootstrapServers(), schemas, key,
            destination(ref, 2, "moved.mesh.internal"));
        await().atMost(Duration.ofSeconds(180)).until(() -> agent.isReady()
            && hosts(serviceEntries).contains("moved.mesh.internal"));
      } finally {
        again.close();
      }
    }
  }

  /** Sends until it is acknowledged: on a busy machine the registry's answer can time out. */
  private static void send(String bootstrap, SchemaRegistryClient schemas, String key,
      FederatedDestination fd) {
    try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers",
        bootstrap), new StringSerializer(), AvroSerde.anyRecord(schemas).serializer())) {
      await().atMost(Duration.ofMinutes(3)).ignoreExceptions().until(() -> producer.send(
          new ProducerRecord<>("meshfed.cluster.c2.config", key, fd)).get() != null);
    }
  }

  private static String hosts(
      io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<
          io.fabric8.kubernetes.api.model.GenericKubernetesResource,
          io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
          io.fabric8.kubernetes.client.dsl.Resource<
              io.fabric8.kubernetes.api.model.GenericKubernetesResource>> serviceEntries) {
    return serviceEntries.list().getItems().stream()
        .map(se -> String.valueOf(se.getAdditionalProperties().get("spec")))
        .reduce("", String::concat);
  }

  private static FederatedDestination destination(ResourceRef ref, long epoch, String host) {
    return FederatedDestination.newBuilder().setDestination(ref).setClientCluster("c1")
        .setHosts(List.of(host))
        .setPorts(List.of(new DestinationPort(8080, "HTTP", 8080)))
        .setTiers(List.of(new DestinationTier(0, 100, List.of(new ClusterObjectRef("app",
            "apps", "c1")), List.of(WeightedEndpoint.newBuilder().setAddress("10.0.0.1")
            .setPort(8080).setWeight(100).setCluster("c1").setNamespace("apps")
            .setService("app").build()))))
        .setActiveTier(0).setOutlierDetection(new OutlierDetection(null, null, null, null))
        .setEpoch(epoch).setPolicyGeneration(1).setTime(Instant.now()).build();
  }
}
