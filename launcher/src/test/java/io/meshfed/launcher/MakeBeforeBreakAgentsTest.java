package io.meshfed.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditionsBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshfed.agent.ClusterAgent;
import io.meshfed.agent.config.AgentConfig;
import io.meshfed.avro.AckResult;
import io.meshfed.avro.ConfigAck;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topology.TopologyMain;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.TopologyConfig;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import io.meshfed.query.QueryServer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue #19's make-before-break acceptance through the real agents: the topology (exactly-once,
 * make-before-break on) and two {@link ClusterAgent}s on the real broker and registry, each
 * agent applying through fabric8 to its own mock API server. remote-cluster's API server is
 * slow: every write to the agent's namespace is answered {@link #SLOW_WRITE} late (a dispatcher
 * with a delay, as {@code ApiFaultStormTest}'s hanging answers), so its agent acknowledges each
 * epoch seconds after mgmt-cluster's does.
 *
 * <p>What is checked is what the agents wrote to their API servers (every ServiceEntry and
 * EndpointSlice write of the agents' namespace, recorded by the dispatcher with when it
 * arrived) against the acks they sent: on the failback (a move to a tier with no traffic) no
 * cluster's objects lose the old tier's endpoint before both clusters acknowledged the config
 * that added the new tier beside it; on the failover (tier 0 entirely down) the emergency path:
 * the fast cluster is moved before the slow one could have acknowledged anything.
 *
 * <p>A stack of the launcher's ({@code EmbeddedStack}) would bring its own registry, query API
 * and Destination API; this wires only the parts the property needs, on the shared registry.
 */
class MakeBeforeBreakAgentsTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry();

  static final String MGMT = "mgmt-cluster";
  static final String REMOTE = "remote-cluster";
  static final String AGENT_NAMESPACE = "meshfed";
  /** Tier 0 (mgmt-cluster's reviews) and tier 1 (remote-cluster's). */
  static final List<String> TIER0 = List.of("10.0.0.11", "10.0.0.12");
  static final String TIER1 = "10.1.0.21";
  /** How late remote-cluster's API server answers each write of the agent's objects. */
  static final Duration SLOW_WRITE = Duration.ofMillis(1000);
  /** Long enough that a move within it was released by the acks, not by the wait. */
  static final Duration HANDOVER_WAIT = Duration.ofSeconds(30);

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final Map<String, ApiServer> servers = new LinkedHashMap<>();
  private final List<ConsumerRecord<String, SpecificRecord>> seen = new CopyOnWriteArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(toClose);
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  @Test
  void noClusterLosesTheOldTierBeforeEveryClusterAcknowledgedTheNewOne() throws Exception {
    SchemaRegistryClient registry = new SchemaRegistryClient(
        RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT));
    io.meshfed.schema.SchemaCatalog.registerAll(registry);
    for (String cluster : List.of(MGMT, REMOTE)) {
      TopicProvisioner.addCluster(STACK.bootstrapServers(), cluster, (short) 1);
    }
    servers.put(MGMT, apiServer(Duration.ZERO));
    servers.put(REMOTE, apiServer(SLOW_WRITE));
    collect(registry);
    startTopology(registry);
    // As the launcher's stack runs them: mgmt-cluster's agent applies Istio objects and is the
    // policy source, remote-cluster's applies Kubernetes objects.
    agent(MGMT, "istio", true);
    agent(REMOTE, "kubernetes", false);

    KubernetesClient mgmt = servers.get(MGMT).client;
    KubernetesClient remote = servers.get(REMOTE).client;
    service(mgmt);
    endpoints(mgmt, true, TIER0.toArray(String[]::new));
    service(remote);
    endpoints(remote, true, TIER1);
    try (InputStream yaml = getClass().getResourceAsStream(
        "/examples/walkthrough/failover-service.yaml")) {
      EmbeddedStack.apply(mgmt, ResourceFile.parse("failover-service.yaml",
          yaml.readAllBytes()), applied -> { });
    }
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(servers.get(MGMT).routes()).containsExactlyElementsOf(TIER0);
      assertThat(servers.get(REMOTE).routes()).containsExactlyElementsOf(TIER0);
    });

    // Failover: tier 0 entirely down. The emergency path: no prepare, no wait for acks.
    long failedAt = System.currentTimeMillis();
    endpoints(mgmt, false, TIER0.toArray(String[]::new));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(servers.get(MGMT).routes()).containsExactly(TIER1);
      assertThat(servers.get(REMOTE).routes()).containsExactly(TIER1);
    });
    List<FailoverDecision> failover = decisionsSince(failedAt);
    assertThat(failover).extracting(FailoverDecision::getReason)
        .as("tier 0 entirely down: both clients moved at once")
        .hasSize(2).allMatch(r -> r.startsWith("emergency move, no make-before-break"));
    for (String cluster : List.of(MGMT, REMOTE)) {
      assertThat(servers.get(cluster).writesSince(failedAt))
          .as("%s never had tier 1 standing by beside tier 0", cluster)
          .noneMatch(w -> w.routes().contains(TIER1) && w.routes().containsAll(TIER0));
    }
    long mgmtMoved = servers.get(MGMT).firstWithout(TIER0.get(0), failedAt);
    long remoteAckedMove = ackTime(REMOTE, epochOf(failover, REMOTE));
    assertThat(mgmtMoved).as("mgmt-cluster moved before slow remote-cluster acknowledged")
        .isLessThan(remoteAckedMove);

    // Failback: a move to a tier that has no traffic, while tier 1 still works: two phases.
    long recoveredAt = System.currentTimeMillis();
    endpoints(mgmt, true, TIER0.toArray(String[]::new));
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(servers.get(MGMT).routes()).containsExactlyElementsOf(TIER0);
      assertThat(servers.get(REMOTE).routes()).containsExactlyElementsOf(TIER0);
    });
    List<FailoverDecision> failback = decisionsSince(recoveredAt);
    List<FailoverDecision> prepares = failback.stream()
        .filter(d -> d.getReason().startsWith("make-before-break 1/2")).toList();
    assertThat(prepares).extracting(FailoverDecision::getClientCluster)
        .containsExactlyInAnyOrder(MGMT, REMOTE);
    assertThat(failback).filteredOn(d -> d.getReason().startsWith("make-before-break 2/2 (acked"))
        .as("released by both acks, not by the %s wait: %s", HANDOVER_WAIT, failback)
        .extracting(FailoverDecision::getClientCluster).containsExactlyInAnyOrder(MGMT, REMOTE);

    long everyPrepareAcked = Math.max(ackTime(MGMT, epochOf(prepares, MGMT)),
        ackTime(REMOTE, epochOf(prepares, REMOTE)));
    assertThat(everyPrepareAcked - ackTime(MGMT, epochOf(prepares, MGMT)))
        .as("the slow API server made remote-cluster acknowledge later")
        .isGreaterThanOrEqualTo(SLOW_WRITE.toMillis() / 2);
    for (String cluster : List.of(MGMT, REMOTE)) {
      ApiServer server = servers.get(cluster);
      assertThat(server.writesSince(recoveredAt))
          .as("%s had tier 0 beside tier 1 before tier 1 went", cluster)
          .anyMatch(w -> w.routes().contains(TIER1) && w.routes().containsAll(TIER0));
      long oldTierRemoved = server.firstWithout(TIER1, recoveredAt);
      assertThat(oldTierRemoved)
          .as("%s's API server lost tier 1 only after both clusters acknowledged tier 0: %s",
              cluster, server.writesSince(recoveredAt))
          .isGreaterThanOrEqualTo(everyPrepareAcked);
    }

    // `meshfed describe` shows both phases among the recent decisions, and the epochs of the
    // destination stay one contiguous sequence (a prepare takes an epoch of its own).
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(describe())
        .contains("make-before-break 1/2: tier 0 added beside tier 1")
        .contains("make-before-break 2/2 (acked by mgmt-cluster (epoch"));
    assertThat(decisionsSince(0)).extracting(FailoverDecision::getEpoch).as("contiguous epochs")
        .isEqualTo(java.util.stream.LongStream.rangeClosed(1, decisionsSince(0).size())
            .boxed().toList());
  }

  private String describe() throws Exception {
    DescribeCommand describe = new DescribeCommand();
    describe.kind = "failoverservice";
    describe.name = "service-mesh-hub/reviews-failover";
    describe.query.server = "http://127.0.0.1:" + queryPort;
    var buffer = new java.io.ByteArrayOutputStream();
    describe.out = new java.io.PrintStream(buffer, true, java.nio.charset.StandardCharsets.UTF_8);
    assertThat(describe.call()).as("meshfed describe: %s", buffer).isZero();
    return buffer.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  // ---- the API servers ----------------------------------------------------------------

  /** What one write left routable in the agents' namespace of one API server. */
  record Write(long atMillis, String method, String path, Set<String> routes) { }

  /**
   * The mock API server's CRUD dispatcher, recording every write (create, update, delete) of
   * a ServiceEntry or EndpointSlice in the agents' namespace with the addresses the namespace
   * routes to after it, and answering those writes {@code delay} late. The object is stored
   * when the write arrives, as an API server that is slow to answer would have stored it: the
   * time recorded is the earliest a proxy could have seen it.
   */
  static final class ApiServer extends KubernetesCrudDispatcher {
    final Duration delay;
    final List<Write> writes = new CopyOnWriteArrayList<>();
    /** Object path → the addresses it routes to; only the dispatcher's thread writes it. */
    private final Map<String, Set<String>> objects = new HashMap<>();
    KubernetesMockServer server;
    KubernetesClient client;

    ApiServer(Duration delay) {
      this.delay = delay;
    }

    @Override
    public synchronized MockResponse dispatch(RecordedRequest request) {
      String path = request.getPath();
      boolean agents = !request.getMethod().equals("GET") && !request.getMethod().equals("PATCH")
          && path.contains("/namespaces/" + AGENT_NAMESPACE + "/")
          && (path.contains("/serviceentries") || path.contains("/endpointslices"));
      // getBytes, not getUtf8Body: reading the body would empty it for the CRUD dispatcher.
      String body = agents && request.getBody() != null ? new String(request.getBody()
          .getBytes(), java.nio.charset.StandardCharsets.UTF_8) : null;
      MockResponse response = super.dispatch(request);
      if (!agents || response.code() >= 300) {
        return response;
      }
      String key = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
      if (request.getMethod().equals("DELETE")) {
        objects.remove(key);
      } else {
        JsonNode object = Serialization.unmarshal(body, JsonNode.class);
        if (request.getMethod().equals("POST")) {
          key = key + "/" + object.at("/metadata/name").asText();
        }
        objects.put(key, routes(object));
      }
      Set<String> now = new TreeSet<>();
      objects.values().forEach(now::addAll);
      writes.add(new Write(System.currentTimeMillis(), request.getMethod(), key, now));
      return delay.isZero() ? response : response.setBodyDelay(delay);
    }

    /** ServiceEntry endpoints (the Istio applier writes only those with a share), or ready ones. */
    private static Set<String> routes(JsonNode object) {
      Set<String> out = new TreeSet<>();
      object.at("/spec/endpoints").forEach(e -> out.add(e.get("address").asText()));
      object.at("/endpoints").forEach(e -> {
        if (!e.at("/conditions/ready").isBoolean() || e.at("/conditions/ready").asBoolean()) {
          e.get("addresses").forEach(a -> out.add(a.asText()));
        }
      });
      return out;
    }

    /** What the agent's namespace routes to now. */
    Set<String> routes() {
      return writes.isEmpty() ? Set.of() : writes.get(writes.size() - 1).routes();
    }

    List<Write> writesSince(long millis) {
      return writes.stream().filter(w -> w.atMillis() >= millis).toList();
    }

    /** When, since {@code millis}, a write first left {@code address} out. */
    long firstWithout(String address, long millis) {
      return writesSince(millis).stream().filter(w -> !w.routes().contains(address))
          .mapToLong(Write::atMillis).findFirst().orElseThrow(() -> new AssertionError(
              address + " never removed since " + millis + ": " + writes));
    }
  }

  private ApiServer apiServer(Duration delay) throws Exception {
    ApiServer dispatcher = new ApiServer(delay);
    dispatcher.server = new KubernetesMockServer(new Context(), new MockWebServer(),
        new HashMap<>(), dispatcher, false);
    dispatcher.server.init(java.net.InetAddress.getLoopbackAddress(), 0);
    // The agent's client waits out the slow answers; no retry of its own (the agent backs off).
    dispatcher.client = dispatcher.server.createClient(b -> b.editOrNewConfig()
        .withRequestRetryBackoffLimit(0).withRequestTimeout(30_000).endConfig());
    try (var in = SimulatedCluster.class.getResourceAsStream("/deploy/crds.yaml")) {
      for (Object crd : (List<?>) Serialization.unmarshal(in)) {
        dispatcher.client.apiextensions().v1().customResourceDefinitions()
            .resource((CustomResourceDefinition) crd).create();
      }
    }
    toClose.add(() -> {
      dispatcher.client.close();
      dispatcher.server.destroy();
    });
    return dispatcher;
  }

  private static void service(KubernetesClient client) {
    client.services().inNamespace("bookinfo").resource(new ServiceBuilder()
        .withMetadata(new ObjectMetaBuilder().withName("reviews").withNamespace("bookinfo")
            .withLabels(Map.of("app", "reviews")).build())
        .withNewSpec().addNewPort().withName("http").withPort(9080).withProtocol("TCP")
        .endPort().endSpec().build()).create();
  }

  private static void endpoints(KubernetesClient client, boolean ready, String... addresses) {
    var slice = new EndpointSliceBuilder()
        .withMetadata(new ObjectMetaBuilder().withName("reviews-slice").withNamespace("bookinfo")
            .withLabels(Map.of("kubernetes.io/service-name", "reviews")).build())
        .withAddressType("IPv4")
        .withEndpoints(java.util.Arrays.stream(addresses).map(a -> new EndpointBuilder()
            .withAddresses(a).withConditions(new EndpointConditionsBuilder().withReady(ready)
                .withServing(ready).withTerminating(false).build()).build()).toList())
        .withPorts(new EndpointPortBuilder().withName("http").withPort(9080).build()).build();
    var ops = client.discovery().v1().endpointSlices().inNamespace("bookinfo");
    var existing = ops.withName("reviews-slice").get();
    if (existing == null) {
      ops.resource(slice).create();
    } else {
      slice.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
      ops.resource(slice).update();
    }
  }

  // ---- topology, agents, and what they wrote to Kafka ---------------------------------

  private final int queryPort = io.meshfed.testing.FreePorts.one();

  private void startTopology(SchemaRegistryClient registry) throws Exception {
    TopologyConfig config = TopologyConfig.defaults(STACK.bootstrapServers(), registry.config(),
            Set.of(MGMT))
        .withApplicationId("mbb-agents")
        .withStateDir(Files.createTempDirectory("meshfed-mbb"))
        .withTimers(Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofMillis(200))
        .withHandoverWait(HANDOVER_WAIT)
        .withApplicationServer("127.0.0.1:" + queryPort);
    KafkaStreams streams = TopologyMain.start(config);
    toClose.add(() -> streams.close(Duration.ofSeconds(30)));
    await().atMost(Duration.ofSeconds(60))
        .until(() -> streams.state() == KafkaStreams.State.RUNNING);
    // The query API `meshfed describe` reads (open: no tokens, as an unsecured stack's).
    QueryServer query = new QueryServer(streams, new HostInfo("127.0.0.1", queryPort),
        Duration.ofSeconds(30), io.meshfed.query.QueryAccess.anonymous(
        io.meshfed.query.QueryAccess.Role.ADMIN)).start();
    toClose.add(query);
  }

  private void agent(String cluster, String applier, boolean policySource) throws Exception {
    Properties p = new Properties();
    p.setProperty("meshfed.bootstrap.servers", STACK.bootstrapServers());
    p.setProperty("meshfed.registry.url", STACK.registryUrl());
    p.setProperty("meshfed.registry.auto.register", "false");
    p.setProperty("meshfed.agent.applier", applier);
    p.setProperty("meshfed.agent.policy.source", String.valueOf(policySource));
    p.setProperty("meshfed.agent.region", cluster.equals(MGMT) ? "us-east-1" : "eu-west-1");
    p.setProperty("meshfed.agent.zones", cluster.equals(MGMT) ? "us-east-1a" : "eu-west-1a");
    p.setProperty("meshfed.agent.heartbeat.interval.ms", "1000");
    p.setProperty("meshfed.agent.health.port", "0");
    p.setProperty("meshfed.agent.health.address", "127.0.0.1");
    ClusterAgent agent = new ClusterAgent(AgentConfig.fromProperties(cluster, p),
        servers.get(cluster).client).start();
    toClose.add(agent::close);
  }

  /** Everything on the config, events and decision topics, read_committed. */
  private void collect(SchemaRegistryClient registry) {
    KafkaConsumer<String, SpecificRecord> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "mbb-observer-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.METADATA_MAX_AGE_CONFIG, 1000),
        new StringDeserializer(), AvroSerde.anyRecord(registry).deserializer());
    Thread reader = new Thread(() -> {
      try {
        consumer.subscribe(Pattern.compile(
            "meshfed\\.cluster\\..*\\.(config|events)|meshfed\\.failover-events"));
        while (!Thread.currentThread().isInterrupted()) {
          consumer.poll(Duration.ofMillis(50)).forEach(seen::add);
        }
      } catch (WakeupException stopping) {
        // closing
      } finally {
        consumer.close();
      }
    }, "mbb-observer");
    reader.setDaemon(true);
    reader.start();
    toClose.add(() -> {
      consumer.wakeup();
      reader.join(10_000);
    });
  }

  /** The decisions made since {@code millis}, in the order they were logged. */
  private List<FailoverDecision> decisionsSince(long millis) {
    return seen.stream().filter(r -> r.value() instanceof FailoverDecision)
        .filter(r -> r.timestamp() >= millis).map(r -> (FailoverDecision) r.value()).toList();
  }

  private static long epochOf(List<FailoverDecision> decisions, String client) {
    return decisions.stream().filter(d -> d.getClientCluster().equals(client))
        .mapToLong(FailoverDecision::getEpoch).min().orElseThrow();
  }

  /** When {@code cluster}'s agent finished applying {@code epoch} (its APPLIED ack's time). */
  private long ackTime(String cluster, long epoch) {
    await().atMost(Duration.ofSeconds(30)).until(() -> ack(cluster, epoch) != null);
    return ack(cluster, epoch).getTime().toEpochMilli();
  }

  private ConfigAck ack(String cluster, long epoch) {
    return seen.stream()
        .filter(r -> r.topic().equals("meshfed.cluster." + cluster + ".events"))
        .map(ConsumerRecord::value).filter(v -> v instanceof ConfigAck).map(v -> (ConfigAck) v)
        .filter(a -> a.getEpoch() == epoch && a.getOutcome() == AckResult.APPLIED)
        .findFirst().orElse(null);
  }
}
