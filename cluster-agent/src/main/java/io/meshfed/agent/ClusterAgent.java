package io.meshfed.agent;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.agent.apply.Backoff;
import io.meshfed.agent.apply.ConfigApplier;
import io.meshfed.agent.apply.ConfigFollower;
import io.meshfed.agent.apply.IstioApplier;
import io.meshfed.agent.apply.KubernetesApplier;
import io.meshfed.agent.apply.Reconciler;
import io.meshfed.agent.apply.ShiftingApplier;
import io.meshfed.agent.apply.StatusWriter;
import io.meshfed.agent.shift.TrafficPolicies;
import io.meshfed.agent.shift.TrafficShiftController;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.meshfed.agent.config.AgentConfig;
import io.meshfed.agent.lifecycle.RestartEpochStore;
import io.meshfed.agent.publish.ClusterPublisher;
import io.meshfed.avro.MeshKind;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.topics.EventPartitioner;
import io.meshfed.topics.MeshfedTopics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One cluster's agent, wired: the publisher (cluster → Kafka), the config follower (Kafka →
 * cluster, acks, status) and {@code /healthz} + {@code /readyz}. Ready means: informers synced,
 * config topic read to its end, and the last send to Kafka succeeded.
 */
public final class ClusterAgent implements AutoCloseable {

  public static final String VERSION = "0.1.0";

  private final ClusterPublisher publisher;
  private final ConfigFollower follower;
  private final Thread followerThread;
  private final KafkaProducer<String, SpecificRecord> producer;
  private final HttpServer health;
  private final long restartEpoch;
  private final TrafficShiftController shifts;
  private final SharedIndexInformer<GenericKubernetesResource> trafficPolicies;
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ClusterAgent.class);

  public ClusterAgent(AgentConfig config, KubernetesClient client) throws IOException {
    SchemaRegistryClient registry = new SchemaRegistryClient(config.registry());
    MeshfedTopics topics = new MeshfedTopics(registry);
    var events = topics.clusterEvents().forCluster(config.cluster());
    var configTopic = topics.clusterConfig().forCluster(config.cluster());
    producer = new KafkaProducer<>(producerSettings(config),
        new StringSerializer(), AvroSerde.anyRecord(registry).serializer());
    KafkaConsumer<String, SpecificRecord> consumer = new KafkaConsumer<>(withClientSettings(
        config, Map.<String, Object>of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.CLIENT_ID_CONFIG, "meshfed-agent-config-" + config.cluster())),
        new StringDeserializer(), AvroSerde.anyRecord(registry).deserializer());
    // TrafficPolicies act in the cluster they are applied in; only Istio can shift clients.
    shifts = new TrafficShiftController(config.cluster(), config.applier() == MeshKind.ISTIO,
        client);
    ConfigApplier applier = config.applier() == MeshKind.ISTIO
        ? new ShiftingApplier(new IstioApplier(config.namespace()), shifts, config.namespace())
        : new KubernetesApplier(config.namespace());
    publisher = new ClusterPublisher(client, producer, new ClusterPublisher.Settings(
        config.cluster(), events.name(), config.policySource(), VERSION, config.region(),
        config.zones(), config.labels(), config.applier(), config.heartbeatInterval(),
        config.resync(), Duration.ofSeconds(1)), Clock.systemUTC());
    follower = new ConfigFollower(config.cluster(), configTopic, events, consumer, producer,
        applier, new Reconciler(client, config.namespace(), applier.kinds(),
            Backoff.ISTIO_AGENT), new StatusWriter(client), Clock.systemUTC());
    // Istio's restart epochs: 0 at the first start, +1 per restart, a failed start's reused.
    RestartEpochStore epochs = new RestartEpochStore(client, config.namespace());
    restartEpoch = epochs.begin();
    publisher.restartEpoch(restartEpoch, epochs::announced);
    follower.restartEpoch(restartEpoch);
    shifts.reapplyWith(follower::reapply);
    trafficPolicies = client.genericKubernetesResources(TrafficPolicies.CRD).inAnyNamespace()
        .runnableInformer(0);
    trafficPolicies.addEventHandler(shifts.informerHandler());
    trafficPolicies.exceptionHandler((started, t) -> {
      LOG.warn("cluster {}: TrafficPolicy informer error ({}), retrying: {}", config.cluster(),
          started ? "watching" : "starting", t.toString());
      return true;
    });
    followerThread = new Thread(follower, "config-follower-" + config.cluster());
    health = HttpServer.create(config.healthAddress() == null
        ? new InetSocketAddress(config.healthPort())
        : new InetSocketAddress(config.healthAddress(), config.healthPort()), 0);
    health.createContext("/healthz", exchange -> respond(exchange, 200, "{\"status\":\"ok\"}"));
    health.createContext("/readyz", exchange -> {
      respond(exchange, isReady() ? 200 : 503, readiness());
    });
  }

  /** The agent producer's settings: the user's client settings under meshfed's own. */
  static Map<String, Object> producerSettings(AgentConfig config) {
    return withClientSettings(config, Map.<String, Object>of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.LINGER_MS_CONFIG, 1,
        // Fail a send within seconds rather than minutes, so readiness reports a Kafka outage
        // promptly; the work queue keeps the latest state per key and sends it again.
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) config.sendTimeout().toMillis(),
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) config.requestTimeout().toMillis(),
        ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) config.blockTimeout().toMillis(),
        ProducerConfig.CLIENT_ID_CONFIG, "meshfed-agent-" + config.cluster(),
        // A service's snapshot, endpoints and health go to the partition the topology keeps
        // the service's state in, which saves them a repartition (topology/DESIGN.md).
        ProducerConfig.PARTITIONER_CLASS_CONFIG, EventPartitioner.class.getName()));
  }

  /**
   * The user's Kafka client settings (security, SASL, TLS) under meshfed's own: what meshfed
   * sets for correctness (acks, idempotence, read_committed, timeouts) cannot be overridden.
   */
  static Map<String, Object> withClientSettings(AgentConfig config, Map<String, Object> own) {
    Map<String, Object> out = new java.util.HashMap<>(config.kafkaClient());
    out.putAll(own);
    return out;
  }

  public ClusterAgent start() {
    publisher.start();
    // The TrafficPolicies first, best effort: the follower's first apply after reading the
    // config topic then writes their VirtualServices instead of pruning and re-adding them.
    try {
      trafficPolicies.start().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      LOG.warn("TrafficPolicies not listed yet (is the CRD installed?); their shifts follow"
          + " once they are: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    followerThread.start();
    health.start();
    return this;
  }

  public boolean isReady() {
    return publisher.isSynced() && follower.isCaughtUp() && publisher.isKafkaHealthy();
  }

  /** What {@code /readyz} says, for callers in the same process. */
  public String readiness() {
    return "{\"ready\":" + isReady() + ",\"informersSynced\":" + publisher.isSynced()
        + ",\"configCaughtUp\":" + follower.isCaughtUp() + ",\"kafka\":\""
        + (publisher.isKafkaHealthy() ? "ok" : "degraded") + "\"}";
  }

  /** This start's restart epoch, or -1 when it could not be recorded. */
  public long restartEpoch() {
    return restartEpoch;
  }

  public int healthPort() {
    return health.getAddress().getPort();
  }

  private static void respond(com.sun.net.httpserver.HttpExchange exchange, int status,
      String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  @Override
  public void close() throws InterruptedException {
    health.stop(0);
    trafficPolicies.close();
    shifts.close();
    publisher.close();
    follower.close();
    followerThread.join(10_000);
    producer.close(Duration.ofSeconds(5));
  }
}
