package io.meshfed.destination;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.linkerd.proxy.destination.DestinationGrpc;
import io.linkerd.proxy.destination.DestinationProfile;
import io.linkerd.proxy.destination.GetDestination;
import io.linkerd.proxy.destination.Update;
import io.linkerd.proxy.destination.WeightedAddr;
import io.linkerd.proxy.destination.WeightedDst;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.ResourceKind;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.EventKeys;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyMain;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.TopologyConfig;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Destination API on the real broker: the topology decides, the config topics carry it,
 * the gRPC server streams it. One named test per rule of the seed's contract. Tests that change
 * the world run in order after the ones that only read it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DestinationApiIntegrationTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry();

  private static final String FS = "reviews-failover.bookinfo.global:9080";
  private static final String VD = "reviews.mesh.internal:8080";
  private static final String MGMT_TOKEN = "{\"cluster\":\"mgmt-cluster\"}";
  private static final String REMOTE_TOKEN = "{\"cluster\":\"remote-cluster\"}";

  private static KafkaStreams topology;
  private static DestinationServer api;
  private static ManagedChannel channel;
  private static Producer<String, SpecificRecord> agent;

  @BeforeAll
  static void start() throws Exception {
    TopicProvisioner.addCluster(STACK.bootstrapServers(), MGMT, (short) 1);
    TopicProvisioner.addCluster(STACK.bootstrapServers(), REMOTE, (short) 1);
    RegistryConfig registry = RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT);
    topology = TopologyMain.start(TopologyConfig.defaults(STACK.bootstrapServers(), registry,
            Set.of(MGMT))
        .withApplicationId("destination-api-it")
        .withStateDir(Files.createTempDirectory("meshfed-destination-api"))
        .withTimers(Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofMillis(100))
        // One partition per internal topic, as 'meshfed up' runs a new stack's topology: the
        // API reads the config topics, and one instance gains nothing from more but tasks.
        .withPartitions(1));
    agent = new KafkaProducer<>(Map.of("bootstrap.servers", STACK.bootstrapServers()),
        new StringSerializer(), AvroSerde.anyRecord(new SchemaRegistryClient(registry))
            .serializer());
    send(MGMT, Bookinfo.heartbeat(MGMT, Instant.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    send(REMOTE, Bookinfo.heartbeat(REMOTE, Instant.now()), Bookinfo.reviewsService(REMOTE),
        Bookinfo.reviewsEndpoints(REMOTE, true));
    send(MGMT, Bookinfo.outlierPolicy(), Bookinfo.localFirstPolicy(),
        Bookinfo.reviewsVirtualDestination(),
        Bookinfo.failoverService("reviews-failover.bookinfo.global", 1));
    api = DestinationServer.start(new DestinationServer.Settings(STACK.bootstrapServers(),
        registry, 0, null), Duration.ofSeconds(60));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", api.port()).usePlaintext().build();
    // Converged, not just present: while the fleet arrives a destination can pass through
    // states with some members missing (a stream opened then starts from that state).
    await().atMost(Duration.ofSeconds(90)).until(() ->
        addrs(FS, MGMT).equals(Set.of("10.0.0.11:9080", "10.0.0.12:9080"))
            && addrs(VD, MGMT).equals(Set.of("10.0.0.11:9080", "10.0.0.12:9080"))
            && addrs(VD, REMOTE).equals(Set.of("10.1.0.21:9080")));
  }

  private static Set<String> addrs(String path, String client) {
    return Resolution.of(Authority.parse(path), api.index().destinations(client))
        .map(r -> r.addrs().keySet()).orElse(Set.of());
  }

  @AfterAll
  static void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (api != null) {
      api.close();
    }
    if (agent != null) {
      agent.close();
    }
    if (topology != null) {
      topology.close(Duration.ofSeconds(30));
    }
  }

  @SafeVarargs
  private static void send(String cluster, KeyValue<String, SpecificRecord>... records)
      throws Exception {
    Bookinfo.publish(agent, cluster, records);
  }

  /** One open stream: every message with the time it arrived. */
  static final class Stream<T> implements StreamObserver<T> {
    record Received<T>(T message, Instant at) {}

    final List<Received<T>> received = new CopyOnWriteArrayList<>();
    volatile Throwable error;

    @Override
    public void onNext(T value) {
      received.add(new Received<>(value, Instant.now()));
    }

    @Override
    public void onError(Throwable t) {
      error = t;
    }

    @Override
    public void onCompleted() {}

    List<T> messages() {
      return received.stream().map(Received::message).toList();
    }

    T last() {
      return received.get(received.size() - 1).message();
    }
  }

  private static GetDestination request(String path, String token) {
    return GetDestination.newBuilder().setScheme("k8s").setPath(path).setContextToken(token)
        .build();
  }

  private static Stream<Update> get(String path, String token) {
    Stream<Update> stream = new Stream<>();
    DestinationGrpc.newStub(channel).get(request(path, token), stream);
    return stream;
  }

  private static Stream<DestinationProfile> profile(String path, String token) {
    Stream<DestinationProfile> stream = new Stream<>();
    DestinationGrpc.newStub(channel).getProfile(request(path, token), stream);
    return stream;
  }

  private static Stream<Update> firstMessageOf(String path, String token) {
    Stream<Update> stream = get(path, token);
    await().atMost(Duration.ofSeconds(10)).until(() -> !stream.received.isEmpty());
    return stream;
  }

  private static List<String> addresses(Update update) {
    List<WeightedAddr> addrs = update.hasAdd() ? update.getAdd().getAddrsList() : List.of();
    return addrs.stream().map(a -> ipv4(a.getAddr().getIp().getIpv4()) + ":"
        + a.getAddr().getPort() + "=" + a.getWeight()).sorted().toList();
  }

  private static List<String> removed(Update update) {
    return update.getRemove().getAddrsList().stream()
        .map(a -> ipv4(a.getIp().getIpv4()) + ":" + a.getPort()).sorted().toList();
  }

  private static String ipv4(int ip) {
    return (ip >>> 24) + "." + ((ip >>> 16) & 0xff) + "." + ((ip >>> 8) & 0xff) + "." + (ip & 0xff);
  }

  /** The set a client holds after applying every message of the stream in order. */
  private static List<String> clientView(Stream<Update> stream) {
    Map<String, String> view = new java.util.TreeMap<>();
    for (Update u : stream.messages()) {
      switch (u.getUpdateCase()) {
        case ADD -> addresses(u).forEach(a -> view.put(a.substring(0, a.indexOf('=')), a));
        case REMOVE -> removed(u).forEach(view::remove);
        case NO_ENDPOINTS -> view.clear();
        default -> throw new AssertionError("empty update " + u);
      }
    }
    return new ArrayList<>(view.values());
  }

  @Test
  @Order(1)
  void anUnknownNameGetsNoEndpointsExistsFalseAsItsFirstMessage() {
    Stream<Update> stream = firstMessageOf("ratings.nowhere.global:9080", MGMT_TOKEN);
    assertThat(stream.messages()).hasSize(1);
    assertThat(stream.last().hasNoEndpoints()).isTrue();
    assertThat(stream.last().getNoEndpoints().getExists()).isFalse();
    // A known host on a port it does not serve does not exist either.
    Stream<Update> wrongPort = firstMessageOf("reviews-failover.bookinfo.global:9999", MGMT_TOKEN);
    assertThat(wrongPort.last().getNoEndpoints().getExists()).isFalse();
  }

  @Test
  @Order(2)
  void theFirstMessageOfAnExistingDestinationIsAnAddOfEveryEndpointNeverNoEndpoints() {
    Stream<Update> stream = firstMessageOf(FS, MGMT_TOKEN);
    assertThat(stream.messages().get(0).hasNoEndpoints()).isFalse();
    assertThat(stream.messages().get(0).hasAdd()).isTrue();
    assertThat(addresses(stream.messages().get(0)))
        .containsExactly("10.0.0.11:9080=500000000", "10.0.0.12:9080=500000000");
    WeightedAddr first = stream.messages().get(0).getAdd().getAddrs(0);
    assertThat(first.getMetricLabelsMap()).containsEntry("cluster", MGMT)
        .containsEntry("namespace", "bookinfo").containsEntry("service", "reviews")
        .containsEntry("region", "us-east-1").containsEntry("tier", "0");
    assertThat(stream.messages().get(0).getAdd().getMetricLabelsMap())
        .containsEntry("destination_kind", "FailoverService")
        .containsEntry("destination_name", "reviews-failover");
  }

  @Test
  @Order(3)
  void twoClientClustersGetDifferentEndpointsAndWeightsForTheSameDestination() {
    Stream<Update> mgmt = firstMessageOf(VD, MGMT_TOKEN);
    Stream<Update> remote = firstMessageOf(VD, REMOTE_TOKEN);
    // LOCALITY: each client cluster's own endpoints first, with all of its traffic.
    assertThat(addresses(mgmt.last()))
        .containsExactly("10.0.0.11:9080=500000000", "10.0.0.12:9080=500000000");
    assertThat(addresses(remote.last())).containsExactly("10.1.0.21:9080=1000000000");
  }

  @Test
  @Order(4)
  void profilesNameTheDestinationWithARetryBudgetAndNoOverridesWhileOneTierCarriesAll() {
    Stream<DestinationProfile> stream = profile(FS, MGMT_TOKEN);
    await().atMost(Duration.ofSeconds(10)).until(() -> !stream.received.isEmpty());
    DestinationProfile p = stream.last();
    assertThat(p.getFullyQualifiedName()).isEqualTo("reviews-failover.bookinfo.global");
    assertThat(p.getOpaqueProtocol()).isFalse();
    assertThat(p.getRetryBudget().getRetryRatio()).isEqualTo(0.2f);
    assertThat(p.getRetryBudget().getMinRetriesPerSecond()).isEqualTo(10);
    assertThat(p.getDstOverridesList()).isEmpty();
    // Namespace and name in their own fields (upstream meta.Resource), not "ns/name".
    assertThat(p.getParentRef().getResource()).isEqualTo(io.linkerd.proxy.meta.Resource
        .newBuilder().setGroup("meshfed.io").setKind("FailoverService")
        .setNamespace("service-mesh-hub").setName("reviews-failover").build());
    Stream<DestinationProfile> unknown = profile("nothing.nowhere:80", MGMT_TOKEN);
    await().atMost(Duration.ofSeconds(10)).until(() -> !unknown.received.isEmpty());
    assertThat(unknown.last().getFullyQualifiedName()).isEmpty();
  }

  @Test
  @Order(5)
  void malformedPathsAndContextTokensAreInvalidArgumentNamingTheProblem() {
    var blocking = DestinationGrpc.newBlockingStub(channel);
    for (String[] bad : new String[][] {
        {"reviews-failover.bookinfo.global", MGMT_TOKEN, "has no port"},
        {"reviews-failover.bookinfo.global:http", MGMT_TOKEN, "is not a number"},
        {"reviews-failover.bookinfo.global:70000", MGMT_TOKEN, "outside 1-65535"},
        {"bad host!:80", MGMT_TOKEN, "is not a DNS name"},
        {FS, "{cluster:", "context_token is not JSON"},
        {FS, "[\"mgmt-cluster\"]", "must be a JSON object"},
        {FS, "{\"cluster\":\"Not_A_Cluster\"}", "not a valid cluster name"},
        {FS, "", "names no client cluster"}}) {
      assertThatThrownBy(() -> blocking.get(request(bad[0], bad[1])).next())
          .as("path %s token %s", bad[0], bad[1])
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains(bad[2]);
          });
    }
  }

  @Test
  @Order(6)
  void theServerListensOnLoopbackOnlyByDefault() throws Exception {
    assertThat(api.address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
    // Reachable on no other interface: a connection to any of this host's other addresses is
    // refused (on a host with only loopback there is nothing more to try).
    List<java.net.InetAddress> others = java.util.Collections.list(
            java.net.NetworkInterface.getNetworkInterfaces()).stream()
        .filter(i -> isUp(i)).flatMap(java.net.NetworkInterface::inetAddresses)
        .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress()).toList();
    for (java.net.InetAddress other : others) {
      try (java.net.Socket socket = new java.net.Socket()) {
        assertThatThrownBy(() -> socket.connect(
            new java.net.InetSocketAddress(other, api.port()), 2_000))
            .as("connect to %s:%d", other.getHostAddress(), api.port())
            .isInstanceOf(java.net.ConnectException.class);
      }
    }
  }

  @Test
  @Order(7)
  void theBindAddressIsConfigurable() throws Exception {
    // 127.0.0.2 is loopback too on Linux (all of 127/8), yet a different address than the
    // default: the server must listen there and only there.
    RegistryConfig registry = RegistryConfig.of(STACK.registryUrl());
    try (DestinationServer other = DestinationServer.start(new DestinationServer.Settings(
        STACK.bootstrapServers(), registry, 0, null, "127.0.0.2"), Duration.ofSeconds(60))) {
      assertThat(other.address().getAddress().getHostAddress()).isEqualTo("127.0.0.2");
      try (java.net.Socket socket = new java.net.Socket()) {
        assertThatThrownBy(() -> socket.connect(
            new java.net.InetSocketAddress("127.0.0.1", other.port()), 2_000))
            .isInstanceOf(java.net.ConnectException.class);
      }
      ManagedChannel direct = NettyChannelBuilder.forAddress("127.0.0.2", other.port())
          .usePlaintext().build();
      try {
        Stream<Update> stream = new Stream<>();
        DestinationGrpc.newStub(direct).get(request(FS, MGMT_TOKEN), stream);
        await().atMost(Duration.ofSeconds(10)).until(() -> !stream.received.isEmpty());
        assertThat(stream.last().hasAdd()).isTrue();
      } finally {
        direct.shutdownNow();
      }
    }
  }

  private static boolean isUp(java.net.NetworkInterface i) {
    try {
      return i.isUp();
    } catch (java.net.SocketException e) {
      return false;
    }
  }

  @Test
  @Order(10)
  void everyDecisionIsFollowedByAnUpdateAddBeforeRemoveWithinTheDecisionLatency()
      throws Exception {
    Stream<Update> stream = firstMessageOf(FS, MGMT_TOKEN);
    send(MGMT, Bookinfo.reviewsEndpoints(MGMT, false));
    await().atMost(Duration.ofSeconds(30)).until(() -> stream.messages().size() >= 3);
    // Failover: remote's endpoint is added before mgmt's are removed, never an empty set.
    assertThat(addresses(stream.messages().get(1)))
        .containsExactly("10.1.0.21:9080=1000000000");
    assertThat(removed(stream.messages().get(2)))
        .containsExactly("10.0.0.11:9080", "10.0.0.12:9080");
    assertThat(stream.messages()).noneMatch(Update::hasNoEndpoints);
    FederatedDestination decided = api.index().destinations(MGMT).stream()
        .filter(d -> d.getHosts().contains("reviews-failover.bookinfo.global")).findFirst()
        .orElseThrow();
    long decisionToUpdate = Duration.between(decided.getTime(), stream.received.get(1).at())
        .toMillis();
    System.out.println("destination API: decision (epoch " + decided.getEpoch()
        + ") -> Update on an open stream: " + decisionToUpdate + " ms");
    // Failback after the damping period: mgmt's endpoints come back, remote's leave.
    send(MGMT, Bookinfo.reviewsEndpoints(MGMT, true));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(clientView(stream))
            .containsExactly("10.0.0.11:9080=500000000", "10.0.0.12:9080=500000000"));
    assertThat(stream.messages()).noneMatch(Update::hasNoEndpoints);
  }

  @Test
  @Order(11)
  void aSplitAcrossTiersIsReflectedInDstOverridesResolvableThroughGet() throws Exception {
    Stream<DestinationProfile> profile = profile(FS, MGMT_TOKEN);
    // One of mgmt's two endpoints ready: 50% healthy, overprovisioned 70% stays on tier 0.
    send(MGMT, Bookinfo.reviewsEndpoints(MGMT, true, false));
    await().atMost(Duration.ofSeconds(30)).until(() -> !profile.received.isEmpty()
        && profile.last().getDstOverridesCount() == 2);
    List<WeightedDst> overrides = profile.last().getDstOverridesList();
    assertThat(overrides).extracting(WeightedDst::getAuthority).containsExactly(
        "tier-0.reviews-failover.bookinfo.global:9080",
        "tier-1.reviews-failover.bookinfo.global:9080");
    assertThat(overrides).extracting(WeightedDst::getWeight).containsExactly(70, 30);
    Stream<Update> tier1 = firstMessageOf(overrides.get(1).getAuthority(), MGMT_TOKEN);
    assertThat(addresses(tier1.last())).containsExactly("10.1.0.21:9080=300000000");
    send(MGMT, Bookinfo.reviewsEndpoints(MGMT, true));
    await().atMost(Duration.ofSeconds(30)).until(() -> profile.last().getDstOverridesCount() == 0);
  }

  @Test
  @Order(12)
  void removingTheLastEndpointIsARemoveEquivalentToNoEndpointsExistsTrue() throws Exception {
    Stream<Update> stream = firstMessageOf(VD, REMOTE_TOKEN);
    send(MGMT, Bookinfo.reviewsEndpoints(MGMT, new boolean[0]));
    send(REMOTE, Bookinfo.reviewsEndpoints(REMOTE, new boolean[0]));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(clientView(stream)).isEmpty());
    assertThat(stream.last().hasRemove()).isTrue();
    assertThat(stream.messages()).noneMatch(Update::hasNoEndpoints);
    // A new subscription to the same, now empty, destination starts with exists:true.
    Stream<Update> fresh = firstMessageOf(VD, REMOTE_TOKEN);
    assertThat(fresh.messages()).hasSize(1);
    assertThat(fresh.last().getNoEndpoints().getExists()).isTrue();
    // Endpoints coming back are an add.
    send(REMOTE, Bookinfo.reviewsEndpoints(REMOTE, true));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(clientView(fresh)).containsExactly("10.1.0.21:9080=1000000000"));
  }

  @Test
  @Order(13)
  void aDestinationRemovedWhileStreamingGetsNoEndpointsExistsFalse() throws Exception {
    send(MGMT, Bookinfo.reviewsEndpoints(MGMT, true));
    Stream<Update> stream = get(VD, MGMT_TOKEN);
    await().atMost(Duration.ofSeconds(30)).until(() -> !clientView(stream).isEmpty());
    agent.send(new org.apache.kafka.clients.producer.ProducerRecord<>(
        "meshfed.cluster." + MGMT + ".events",
        EventKeys.policy(MGMT, ResourceKind.VirtualDestination, "global", "reviews-vd"), null))
        .get();
    await().atMost(Duration.ofSeconds(30)).until(() -> stream.last().hasNoEndpoints());
    assertThat(stream.last().getNoEndpoints().getExists()).isFalse();
    assertThat(stream.error).isNull();
  }

  @Test
  @Order(14)
  void aTierOfMoreThanAHundredEndpointsReachesTheProxyWithEveryEndpointWeighted()
      throws Exception {
    // Weights used to sum to 100: endpoints 101..150 of a tier got 0 and were left out of
    // the add, so a third of the service got no traffic from Linkerd proxies.
    List<io.meshfed.avro.Endpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      endpoints.add(io.meshfed.avro.Endpoint.newBuilder()
          .setAddresses(List.of("10.0." + (1 + i / 200) + "." + (1 + i % 200)))
          .setReady(true).setServing(true).setTargetName("reviews-" + i).build());
    }
    KeyValue<String, SpecificRecord> two = Bookinfo.reviewsEndpoints(MGMT, true);
    var wide = io.meshfed.avro.EndpointSnapshot.newBuilder(
        (io.meshfed.avro.EndpointSnapshot) two.value).setEndpoints(endpoints).build();
    // A fresh heartbeat too: the test class may have run longer than the heartbeat TTL.
    send(MGMT, Bookinfo.heartbeat(MGMT, Instant.now()), KeyValue.pair(two.key, wide));
    Stream<Update> stream = get(FS, MGMT_TOKEN);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(clientView(stream)).hasSize(150));
    List<Long> weights = clientView(stream).stream()
        .map(a -> Long.parseLong(a.substring(a.indexOf('=') + 1))).toList();
    // 10^9 / 150 = 6,666,666.67 each: every endpoint, in exact proportion.
    assertThat(weights).allSatisfy(w -> assertThat(w).isBetween(6_666_666L, 6_666_667L));
    assertThat(weights.stream().mapToLong(Long::longValue).sum()).isEqualTo(1_000_000_000L);
  }
}
