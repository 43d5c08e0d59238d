package io.meshfed.agent.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditionsBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.agent.MeshfedResources;
import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.FailoverServiceSpec;
import io.meshfed.avro.MemberKind;
import io.meshfed.avro.MeshKind;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.EventKeys;
import io.meshfed.topics.MeshfedTopics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The watch side of the agent on the fabric8 mock API server with the real broker and
 * registry: what changes in the cluster reaches Kafka as the right records.
 */
@EnableKubernetesMockClient(crud = true)
class PublishIntegrationTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry();
  static KubernetesClient client;

  private static final String CLUSTER = "mgmt-cluster";
  private static MeshfedTopics topics;
  private static ClusterPublisher publisher;
  private static KafkaConsumer<String, SpecificRecord> consumer;
  private static final Map<String, SpecificRecord> latest = new HashMap<>();
  private static final List<String> keys = new ArrayList<>();

  @BeforeAll
  static void start() {
    SchemaRegistryClient registry = new SchemaRegistryClient(
        RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT));
    topics = new MeshfedTopics(registry);
    String events = topics.clusterEvents().forCluster(CLUSTER).name();
    STACK.kafka().createTopics(1, events);
    var producer = new KafkaProducer<>(Map.<String, Object>of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(),
        AvroSerde.anyRecord(registry).serializer());
    publisher = new ClusterPublisher(client, producer, new ClusterPublisher.Settings(CLUSTER,
        events, true, "test", "us-east-1", List.of("us-east-1a"), Map.of("env", "prod"),
        MeshKind.ISTIO, Duration.ofMillis(500), Duration.ofMinutes(5), Duration.ofMillis(200)),
        Clock.systemUTC()).start();
    consumer = new KafkaConsumer<>(Map.<String, Object>of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "publish-test",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), AvroSerde.anyRecord(registry).deserializer());
    consumer.subscribe(List.of(events));
  }

  @AfterAll
  static void stop() {
    publisher.close();
    consumer.close();
  }

  private static void poll() {
    consumer.poll(Duration.ofMillis(200)).forEach(r -> {
      latest.put(r.key(), r.value());
      keys.add(r.key());
    });
  }

  @Test
  void servicesAndTheirEndpointSlicesArePublished() {
    client.services().inNamespace("bookinfo").resource(new ServiceBuilder()
        .withMetadata(new ObjectMetaBuilder().withName("reviews").withNamespace("bookinfo")
            .withLabels(Map.of("app", "reviews")).withUid("uid-1")
            .withCreationTimestamp("2026-11-22T09:00:00Z").build())
        .withNewSpec().addNewPort().withName("http").withPort(9080).withProtocol("TCP")
        .endPort().endSpec().build()).create();
    client.discovery().v1().endpointSlices().inNamespace("bookinfo").resource(
        new EndpointSliceBuilder()
            .withMetadata(new ObjectMetaBuilder().withName("reviews-abc").withNamespace("bookinfo")
                .withLabels(Map.of("kubernetes.io/service-name", "reviews")).build())
            .withAddressType("IPv4")
            .withEndpoints(
                new EndpointBuilder().withAddresses("10.0.0.11").withZone("us-east-1a").build(),
                new EndpointBuilder().withAddresses("10.0.0.12").withConditions(
                    new EndpointConditionsBuilder().withReady(false).build()).build())
            .withPorts(new EndpointPortBuilder().withName("http").withPort(9080).build())
            .build()).create();

    String serviceKey = EventKeys.service(CLUSTER, "bookinfo", "reviews");
    String endpointsKey = EventKeys.endpoints(CLUSTER, "bookinfo", "reviews");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      poll();
      assertThat(latest.get(serviceKey)).isInstanceOf(ServiceSnapshot.class);
      assertThat(latest.get(endpointsKey)).isInstanceOf(EndpointSnapshot.class);
    });
    ServiceSnapshot service = (ServiceSnapshot) latest.get(serviceKey);
    assertThat(service.getLabels()).containsEntry("app", "reviews");
    assertThat(service.getPorts()).singleElement()
        .satisfies(p -> assertThat(p.getNumber()).isEqualTo(9080));
    EndpointSnapshot endpoints = (EndpointSnapshot) latest.get(endpointsKey);
    assertThat(endpoints.getEndpoints()).extracting(e -> e.getAddresses().get(0) + " ready="
        + e.getReady() + " serving=" + e.getServing()).containsExactly(
            "10.0.0.11 ready=true serving=true", "10.0.0.12 ready=false serving=false");

    client.services().inNamespace("bookinfo").withName("reviews").delete();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      poll();
      assertThat(latest).containsKey(serviceKey);
      assertThat(latest.get(serviceKey)).as("tombstone").isNull();
    });
  }

  /**
   * An update that changes nothing the agent publishes (here an annotation; the informers'
   * resync is the same case) is not sent again; a change that matters is.
   */
  @Test
  void anUpdateThatChangesNothingPublishedIsNotSentAgain() {
    client.services().inNamespace("bookinfo").resource(new ServiceBuilder()
        .withMetadata(new ObjectMetaBuilder().withName("details").withNamespace("bookinfo")
            .withLabels(Map.of("app", "details")).withUid("uid-details")
            .withCreationTimestamp("2026-11-22T09:00:00Z").build())
        .withNewSpec().addNewPort().withName("http").withPort(9080).withProtocol("TCP")
        .endPort().endSpec().build()).create();
    String serviceKey = EventKeys.service(CLUSTER, "bookinfo", "details");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      poll();
      assertThat(keys).filteredOn(serviceKey::equals).hasSize(1);
    });

    client.services().inNamespace("bookinfo").withName("details")
        .edit(s -> new ServiceBuilder(s).editMetadata()
            .addToAnnotations("note", "not published").endMetadata().build());
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> {
      poll();
      return keys.stream().filter(serviceKey::equals).count() == 1;
    });

    client.services().inNamespace("bookinfo").withName("details")
        .edit(s -> new ServiceBuilder(s).editMetadata()
            .addToLabels("version", "v2").endMetadata().build());
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      poll();
      assertThat(keys).filteredOn(serviceKey::equals).hasSize(2);
      assertThat(((ServiceSnapshot) latest.get(serviceKey)).getLabels())
          .containsEntry("version", "v2");
    });
  }

  /**
   * Members outside Kubernetes: an ExternalService and an ExternalWorkload are published as
   * ServiceSnapshots of their kind with their endpoints (targetPort, zones, all ready); one
   * that cannot be read is not published; deleting one publishes tombstones.
   */
  @Test
  void externalServicesAndWorkloadsArePublishedAsMembersOfTheirKind() {
    var services = client.genericKubernetesResources(
        ExternalMembers.Kind.EXTERNAL_SERVICE.context()).inNamespace("vms");
    var workloads = client.genericKubernetesResources(
        ExternalMembers.Kind.EXTERNAL_WORKLOAD.context()).inNamespace("vms");
    GenericKubernetesResource db = MeshfedResources.resource("ExternalService", "vms",
        "ratings-db", Map.of("ports", List.of(Map.of("name", "http", "number", 9080,
            "protocol", "HTTP", "targetPort", 8080)), "endpoints", List.of(
                Map.of("address", "10.10.0.8", "zone", "dc-1b"),
                Map.of("address", "10.10.0.7", "zone", "dc-1a"))));
    db.getMetadata().setLabels(Map.of("app", "ratings"));
    services.resource(db).create();
    workloads.resource(MeshfedResources.resource("ExternalWorkload", "vms", "ratings-vm",
        Map.of("ports", List.of(Map.of("name", "tcp", "number", 5432)),
            "endpoints", List.of(Map.of("address", "vm-1.dc.example.com"))))).create();
    // No endpoints: not published (the API server's schema would have refused it).
    workloads.resource(MeshfedResources.resource("ExternalWorkload", "vms", "broken",
        Map.of("ports", List.of(Map.of("name", "tcp", "number", 5432)),
            "endpoints", List.of()))).create();

    String dbService = EventKeys.service(CLUSTER, "vms", "ratings-db");
    String dbEndpoints = EventKeys.endpoints(CLUSTER, "vms", "ratings-db");
    String vmService = EventKeys.service(CLUSTER, "vms", "ratings-vm");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      poll();
      assertThat(latest.get(dbService)).isInstanceOf(ServiceSnapshot.class);
      assertThat(latest.get(dbEndpoints)).isInstanceOf(EndpointSnapshot.class);
      assertThat(latest.get(vmService)).isInstanceOf(ServiceSnapshot.class);
    });
    ServiceSnapshot service = (ServiceSnapshot) latest.get(dbService);
    assertThat(service.getKind()).isEqualTo(MemberKind.EXTERNAL_SERVICE);
    assertThat(service.getLabels()).containsEntry("app", "ratings");
    assertThat(service.getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("http");
      assertThat(p.getNumber()).isEqualTo(9080);
      assertThat(p.getAppProtocol()).isEqualTo("http");
    });
    EndpointSnapshot endpoints = (EndpointSnapshot) latest.get(dbEndpoints);
    assertThat(endpoints.getPorts()).singleElement()
        .satisfies(p -> assertThat(p.getPort()).isEqualTo(8080));
    assertThat(endpoints.getEndpoints()).extracting(e -> e.getAddresses().get(0) + " "
        + e.getZone() + " ready=" + e.getReady()).containsExactly(
            "10.10.0.7 dc-1a ready=true", "10.10.0.8 dc-1b ready=true");
    assertThat(((ServiceSnapshot) latest.get(vmService)).getKind())
        .isEqualTo(MemberKind.EXTERNAL_WORKLOAD);
    // Nothing but a tombstone (which removes whatever an earlier, valid version published).
    assertThat(latest.get(EventKeys.service(CLUSTER, "vms", "broken"))).isNull();

    services.withName("ratings-db").delete();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      poll();
      assertThat(latest.get(dbService)).as("tombstone").isNull();
      assertThat(latest.get(dbEndpoints)).as("tombstone").isNull();
    });
    // Nothing but a tombstone (which removes whatever an earlier, valid version published).
    assertThat(latest.get(EventKeys.service(CLUSTER, "vms", "broken"))).isNull();
  }

  @Test
  void heartbeatsCarryVersionAndLocality() {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      poll();
      assertThat(latest.get(EventKeys.heartbeat(CLUSTER))).isInstanceOf(ClusterHeartbeat.class);
    });
    ClusterHeartbeat hb = (ClusterHeartbeat) latest.get(EventKeys.heartbeat(CLUSTER));
    assertThat(hb.getRegion()).isEqualTo("us-east-1");
    assertThat(hb.getZones()).containsExactly("us-east-1a");
    assertThat(hb.getLabels()).containsEntry("env", "prod");
    assertThat(hb.getAgentVersion()).isEqualTo("test");
  }

  @Test
  void aFailoverServiceResourceIsPublishedAsAPolicyEvent() {
    GenericKubernetesResource fs = MeshfedResources.reviewsFailoverService();
    client.genericKubernetesResources(ClusterPublisher.crd(ResourceKind.FailoverService))
        .inNamespace("service-mesh-hub").resource(fs).create();
    String key = EventKeys.policy(CLUSTER, ResourceKind.FailoverService, "service-mesh-hub",
        "reviews-failover");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      poll();
      assertThat(latest.get(key)).isInstanceOf(PolicyEvent.class);
    });
    PolicyEvent event = (PolicyEvent) latest.get(key);
    assertThat(event.getGeneration()).isEqualTo(1);
    FailoverServiceSpec spec = (FailoverServiceSpec) event.getSpec();
    assertThat(spec.getHostname()).isEqualTo("reviews-failover.bookinfo.global");
    assertThat(spec.getPort().getNumber()).isEqualTo(9080);
    assertThat(spec.getBackingServices()).extracting(b -> b.getClusterName())
        .containsExactly("mgmt-cluster", "remote-cluster");
    assertThat(publisher.isSynced()).isTrue();
  }
}
