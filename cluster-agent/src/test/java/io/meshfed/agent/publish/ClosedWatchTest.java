package io.meshfed.agent.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshfed.avro.MeshKind;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.topics.EventKeys;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A watch the API server ends ("410 Gone": the resource version expired) makes the informers
 * list and watch again — at start too — and changes are still published to the real broker.
 */
class ClosedWatchTest {

  @org.junit.jupiter.api.extension.RegisterExtension
  static final io.meshfed.testing.KafkaStack STACK = io.meshfed.testing.KafkaStack.withRegistry();

  /** CRUD mock API server whose first watch of each resource type is answered 410 Gone. */
  static final class ExpiringWatches extends KubernetesCrudDispatcher {
    final Map<String, AtomicInteger> watches = new ConcurrentHashMap<>();

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      String path = request.getPath();
      if (path.contains("watch=true")) {
        String resource = path.substring(0, path.indexOf('?'));
        if (watches.computeIfAbsent(resource, r -> new AtomicInteger()).getAndIncrement() == 0) {
          return new MockResponse().setResponseCode(410).setBody("{\"kind\":\"Status\","
              + "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Expired\","
              + "\"code\":410}");
        }
      }
      return super.dispatch(request);
    }
  }

  private final ExpiringWatches dispatcher = new ExpiringWatches();
  private final KubernetesMockServer server = new KubernetesMockServer(new Context(),
      new MockWebServer(), new HashMap<>(), dispatcher, false);
  private KubernetesClient client;
  private ClusterPublisher publisher;

  @AfterEach
  void stop() {
    publisher.close();
    client.close();
    server.destroy();
  }

  @Test
  void afterAnExpiredWatchChangesAreStillPublished() {
    server.init();
    client = server.createClient();
    var registry = new io.meshfed.registry.SchemaRegistryClient(
        io.meshfed.registry.RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT));
    STACK.kafka().createTopics(1, "meshfed.cluster.c1.events");
    var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(Map.<String, Object>of(
        "bootstrap.servers", STACK.bootstrapServers()), new StringSerializer(),
        io.meshfed.serde.AvroSerde.anyRecord(registry).serializer());
    var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.<String, Object>of(
        "bootstrap.servers", STACK.bootstrapServers(), "group.id", "closed-watch",
        "auto.offset.reset", "earliest"),
        new org.apache.kafka.common.serialization.StringDeserializer(),
        io.meshfed.serde.AvroSerde.anyRecord(registry).deserializer());
    consumer.subscribe(List.of("meshfed.cluster.c1.events"));
    List<org.apache.kafka.clients.consumer.ConsumerRecord<String, SpecificRecord>> seen =
        new java.util.ArrayList<>();
    publisher = new ClusterPublisher(client, producer, new ClusterPublisher.Settings("c1",
        "meshfed.cluster.c1.events", false, "test", null, List.of(), Map.of(), MeshKind.ISTIO,
        Duration.ofHours(1), Duration.ofMinutes(5), Duration.ofMillis(100)),
        Clock.systemUTC()).start();
    await().atMost(Duration.ofSeconds(30)).until(publisher::isSynced);

    client.services().inNamespace("bookinfo").resource(new ServiceBuilder()
        .withMetadata(new ObjectMetaBuilder().withName("reviews").withNamespace("bookinfo")
            .build()).withNewSpec().addNewPort().withPort(9080).endPort().endSpec().build())
        .create();

    String key = EventKeys.service("c1", "bookinfo", "reviews");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
      assertThat(seen).anySatisfy(r -> {
        assertThat(r.key()).isEqualTo(key);
        assertThat(((ServiceSnapshot) r.value()).getPorts()).hasSize(1);
      });
    });
    consumer.close();
    producer.close();
    assertThat(dispatcher.watches.values()).as("every first watch was ended")
        .allSatisfy(count -> assertThat(count.get()).isGreaterThanOrEqualTo(2));
  }
}
