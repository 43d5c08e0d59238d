package io.meshfed.agent.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.meshfed.avro.AckResult;
import io.meshfed.avro.ConfigAck;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topics.Topic;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import io.fabric8.mockwebserver.http.RecordedRequest;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The apply side of the agent on the fabric8 mock API server (CRUD mode) with the real broker
 * and registry: config topic in, Istio objects and acks out.
 */
@EnableKubernetesMockClient(crud = true)
class ConfigApplyIntegrationTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry();
  static KubernetesClient client;
  static KubernetesMockServer server;

  /** Each test has its own cluster (topics) and namespace, so tests never see each other. */
  private static final java.util.concurrent.atomic.AtomicInteger SEQ =
      new java.util.concurrent.atomic.AtomicInteger();
  private String cluster;
  private String namespace;
  private static final Backoff FAST = new Backoff(Duration.ofMillis(1), 10, d -> { });
  private static SchemaRegistryClient registry;
  private static MeshfedTopics topics;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeAll
  static void registry() {
    registry = new SchemaRegistryClient(
        RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT));
    topics = new MeshfedTopics(registry);
  }

  @org.junit.jupiter.api.BeforeEach
  void provision() {
    int n = SEQ.incrementAndGet();
    cluster = "cluster-" + n;
    namespace = "meshfed-" + n;
    STACK.kafka().createTopics(List.of(
        topics.clusterConfig().settings().newTopic(
            topics.clusterConfig().forCluster(cluster).name(), (short) 1),
        topics.clusterEvents().settings().newTopic(
            topics.clusterEvents().forCluster(cluster).name(), (short) 1)));
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private KafkaProducer<String, SpecificRecord> producer() {
    var p = new KafkaProducer<>(Map.<String, Object>of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers()),
        new StringSerializer(), topics.clusterConfig().valueSerde().serializer());
    toClose.add(p);
    return p;
  }

  private ConfigFollower follow(ConfigApplier applier) {
    var consumer = new KafkaConsumer<>(Map.<String, Object>of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
        new StringDeserializer(), topics.clusterConfig().valueSerde().deserializer());
    ConfigFollower follower = new ConfigFollower(cluster,
        topics.clusterConfig().forCluster(cluster), topics.clusterEvents().forCluster(cluster),
        consumer, producer(), applier,
        new Reconciler(client, namespace, applier.kinds(), FAST), status -> { },
        Clock.systemUTC());
    Thread thread = new Thread(follower, "follower");
    thread.start();
    toClose.add(() -> {
      follower.close();
      thread.join(10_000);
    });
    await().atMost(Duration.ofSeconds(30)).until(follower::isCaughtUp);
    return follower;
  }

  private void publish(KafkaProducer<String, SpecificRecord> producer, String key,
      FederatedDestination value) throws Exception {
    producer.send(new ProducerRecord<>(topics.clusterConfig().forCluster(cluster).name(), key,
        value)).get();
  }

  private static String key(ResourceRef ref) {
    return "FederatedDestination/" + ref.getKind() + "/" + ref.getNamespace() + "/"
        + ref.getName();
  }

  private List<GenericKubernetesResource> owned(ConfigApplier.ObjectKind kind) {
    return client.genericKubernetesResources(Reconciler.context(kind)).inNamespace(namespace)
        .list().getItems().stream()
        .filter(r -> Ownership.isOwned(r.getMetadata().getLabels())).toList();
  }

  private List<ConfigAck> acks() {
    Topic<String, SpecificRecord> events = topics.clusterEvents().forCluster(cluster);
    try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers()),
        new StringDeserializer(), events.valueSerde().deserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(events.name()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      List<ConfigAck> out = new ArrayList<>();
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add((ConfigAck) r.value()));
      }
      return out;
    }
  }

  @Test
  void configBecomesIstioObjectsIsAcknowledgedAndATombstoneRemovesThem() throws Exception {
    var producer = producer();
    follow(new IstioApplier(namespace));
    FederatedDestination fd = Destinations.failedOver(7);
    publish(producer, key(fd.getDestination()), fd);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(owned(IstioApplier.SERVICE_ENTRY)).hasSize(1);
      assertThat(owned(IstioApplier.DESTINATION_RULE)).hasSize(1);
    });
    // What the agent wrote, read back, is what Istio's published schema admits.
    List<GenericKubernetesResource> written = new ArrayList<>(owned(IstioApplier.SERVICE_ENTRY));
    written.addAll(owned(IstioApplier.DESTINATION_RULE));
    assertThat(IstioApplierTest.istioErrors(written)).isEmpty();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(acks())
        .anySatisfy(a -> {
          assertThat(a.getEpoch()).isEqualTo(7);
          assertThat(a.getOutcome()).isEqualTo(AckResult.APPLIED);
        }));

    publish(producer, key(fd.getDestination()), null);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(owned(IstioApplier.SERVICE_ENTRY)).isEmpty();
      assertThat(owned(IstioApplier.DESTINATION_RULE)).isEmpty();
    });
  }

  /** clientMode sniRouting where kube-proxy cannot give it: written, and the ack says why. */
  @Test
  void aModeTheKubernetesApplierCannotServeIsAppliedAndAckedWithWhy() throws Exception {
    var producer = producer();
    follow(new KubernetesApplier(namespace));
    FederatedDestination fd = FederatedDestination.newBuilder(Destinations.failedOver(3))
        .setClientMode(io.meshfed.avro.ClientMode.SNI_ROUTING).build();
    publish(producer, key(fd.getDestination()), fd);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(acks())
        .anySatisfy(a -> {
          assertThat(a.getEpoch()).isEqualTo(3);
          assertThat(a.getOutcome()).isEqualTo(AckResult.APPLIED);
          assertThat(a.getMessage()).isEqualTo(KubernetesApplier.SNI_ROUTING_NOT_SERVED);
        }));
    assertThat(owned(KubernetesApplier.SERVICE)).hasSize(1);
    assertThat(KubernetesApplierTest.apiServerErrors(owned(KubernetesApplier.ENDPOINT_SLICE)))
        .isEmpty();
  }

  @Test
  void anUnlabelledObjectOfTheSameNameIsLeftAloneAndTheApplyIsNacked() throws Exception {
    ResourceRef ref = new ResourceRef(ResourceKind.FailoverService, "team-a", "payments");
    String name = Ownership.baseName(ref, 63);
    GenericKubernetesResource theirs = new GenericKubernetesResource();
    theirs.setApiVersion("networking.istio.io/v1");
    theirs.setKind("ServiceEntry");
    theirs.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    theirs.setAdditionalProperty("spec", Map.of("hosts", List.of("theirs.example")));
    client.genericKubernetesResources(Reconciler.context(IstioApplier.SERVICE_ENTRY))
        .inNamespace(namespace).resource(theirs).create();

    var producer = producer();
    follow(new IstioApplier(namespace));
    FederatedDestination fd = FederatedDestination.newBuilder(Destinations.failedOver(3))
        .setDestination(ref).build();
    publish(producer, key(ref), fd);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(acks())
        .anySatisfy(a -> {
          assertThat(a.getDestination()).isEqualTo(ref);
          assertThat(a.getOutcome()).isEqualTo(AckResult.FAILED);
          assertThat(a.getMessage()).isEqualTo("ServiceEntry " + namespace + "/" + name
              + " exists and is not managed by meshfed (no app.kubernetes.io/managed-by=meshfed-agent label);"
              + " it is left alone");
        }));
    GenericKubernetesResource after = client.genericKubernetesResources(
        Reconciler.context(IstioApplier.SERVICE_ENTRY)).inNamespace(namespace).withName(name)
        .get();
    assertThat(after.getMetadata().getLabels()).isNullOrEmpty();
    assertThat(after.getAdditionalProperties().get("spec").toString()).contains("theirs.example");
  }

  @Test
  void aRestartedAgentRebuildsFromTheTopicAndWritesNothingWhenNothingChanged()
      throws Exception {
    var producer = producer();
    FederatedDestination fd = FederatedDestination.newBuilder(Destinations.failedOver(5))
        .setDestination(new ResourceRef(ResourceKind.VirtualDestination, "global", "restart"))
        .build();
    publish(producer, key(fd.getDestination()), fd);
    follow(new KubernetesApplier(namespace));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(owned(KubernetesApplier.ENDPOINT_SLICE)).as("one per source cluster")
            .hasSize(2));
    List<GenericKubernetesResource> written = new ArrayList<>(owned(KubernetesApplier.SERVICE));
    written.addAll(owned(KubernetesApplier.SERVICE_IMPORT));
    written.addAll(owned(KubernetesApplier.ENDPOINT_SLICE));
    assertThat(written).extracting(GenericKubernetesResource::getKind)
        .containsExactly("Service", "ServiceImport", "EndpointSlice", "EndpointSlice");
    assertThat(KubernetesApplierTest.apiServerErrors(written)).isEmpty();
    closeAll();
    toClose.clear();
    drainRequests();

    follow(new KubernetesApplier(namespace));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(acks())
        .filteredOn(a -> a.getDestination().equals(fd.getDestination())).hasSize(2));
    List<String> writes = drainRequests().stream()
        .filter(r -> !r.getMethod().equals("GET")).map(r -> r.getMethod() + " " + r.getPath())
        .toList();
    assertThat(writes).as("API writes after a restart with nothing changed").isEmpty();
  }

  /** The guide's reviews-shift-failover, selecting reviews in {@code inCluster}. */
  private static GenericKubernetesResource trafficPolicy(String inCluster) {
    GenericKubernetesResource tp = new GenericKubernetesResource();
    tp.setApiVersion("meshfed.io/v1alpha1");
    tp.setKind("TrafficPolicy");
    tp.setMetadata(new ObjectMetaBuilder().withName("reviews-shift-failover")
        .withNamespace("bookinfo").build());
    tp.setAdditionalProperty("spec", Map.of(
        "destinationSelector", List.of(Map.of("kubeServiceRefs", Map.of("services", List.of(
            Map.of("clusterName", inCluster, "name", "reviews", "namespace", "bookinfo"))))),
        "trafficShift", Map.of("destinations", List.of(Map.of("failoverService",
            Map.of("name", "reviews-failover", "namespace", "service-mesh-hub"))))));
    return tp;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> trafficPolicyStatus() {
    var live = client.genericKubernetesResources(io.meshfed.agent.shift.TrafficPolicies.CRD)
        .inNamespace("bookinfo").withName("reviews-shift-failover").get();
    return live == null ? Map.of()
        : (Map<String, Object>) live.getAdditionalProperties().getOrDefault("status", Map.of());
  }

  @Test
  void aTrafficPolicyShiftsReviewsToTheFailoverServiceOnceItsConfigArrives() throws Exception {
    var tps = client.genericKubernetesResources(io.meshfed.agent.shift.TrafficPolicies.CRD)
        .inNamespace("bookinfo");
    tps.resource(trafficPolicy(cluster)).create();
    var shifts = new io.meshfed.agent.shift.TrafficShiftController(cluster, true, client);
    toClose.add(shifts);
    var informer = client.genericKubernetesResources(io.meshfed.agent.shift.TrafficPolicies.CRD)
        .inAnyNamespace().inform(shifts.informerHandler());
    toClose.add(informer::close);
    ConfigFollower follower = follow(new ShiftingApplier(new IstioApplier(namespace), shifts,
        namespace));
    shifts.reapplyWith(follower::reapply);

    // No FailoverService config in this cluster yet: nothing shifted, and the status says why.
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(trafficPolicyStatus()).containsEntry("state", "WARNING");
      assertThat(trafficPolicyStatus().get("warnings").toString())
          .contains("no config for it reaches cluster " + cluster);
    });
    assertThat(owned(ShiftingApplier.VIRTUAL_SERVICE)).isEmpty();

    var producer = producer();
    FederatedDestination fd = Destinations.failedOver(7);
    publish(producer, key(fd.getDestination()), fd);
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(owned(ShiftingApplier.VIRTUAL_SERVICE)).singleElement().satisfies(vs -> {
        @SuppressWarnings("unchecked")
        var spec = (Map<String, Object>) vs.getAdditionalProperties().get("spec");
        assertThat(spec.get("hosts")).isEqualTo(List.of("reviews.bookinfo.svc.cluster.local"));
        assertThat(spec.get("http").toString()).contains("host=reviews-failover.bookinfo.global")
            .contains("number=9080");
        assertThat(io.meshfed.agent.schema.VirtualServiceRules.errors(spec)).isEmpty();
      });
      assertThat(trafficPolicyStatus()).containsEntry("state", "ACCEPTED");
      assertThat(trafficPolicyStatus().get("trafficTargets")).isEqualTo(Map.of(
          cluster + "/bookinfo/reviews", Map.of("state", "ACCEPTED",
              "shiftedTo", "reviews-failover.bookinfo.global")));
    });

    // The policy deleted: the VirtualService goes, the FailoverService's config stays.
    tps.withName("reviews-shift-failover").delete();
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(owned(ShiftingApplier.VIRTUAL_SERVICE)).isEmpty());
    assertThat(owned(IstioApplier.SERVICE_ENTRY)).hasSize(1);

    // The FailoverService's config withdrawn: a re-created policy shifts nothing again.
    tps.resource(trafficPolicy(cluster)).create();
    await().atMost(Duration.ofSeconds(60)).until(() ->
        owned(ShiftingApplier.VIRTUAL_SERVICE).size() == 1);
    publish(producer, key(fd.getDestination()), null);
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(owned(ShiftingApplier.VIRTUAL_SERVICE)).isEmpty();
      assertThat(trafficPolicyStatus()).containsEntry("state", "WARNING");
    });
  }

  private static List<RecordedRequest> drainRequests() throws InterruptedException {
    List<RecordedRequest> out = new ArrayList<>();
    RecordedRequest r;
    while ((r = server.takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
      out.add(r);
    }
    return out;
  }
}
