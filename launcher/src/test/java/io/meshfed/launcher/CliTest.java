package io.meshfed.launcher;

import static io.meshfed.launcher.CliRun.meshfed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI against a running embedded stack: {@code apply} to a simulated cluster, {@code get}
 * from the query API as a table and as JSON, and an invalid FailoverService shown INVALID with
 * its validation message. Exit codes: 0 ok, 2 usage, 3 unreachable.
 */
class CliTest {

  @TempDir
  static Path dir;
  private static EmbeddedStack stack;

  @BeforeAll
  static void up() throws Exception {
    stack = EmbeddedStack.start(new EmbeddedStack.Settings(dir, List.of("mgmt-cluster",
        "remote-cluster"), Duration.ofSeconds(2), Duration.ofSeconds(10), 0, 0)
        // Open: these tests are of the CLI against --server; the secured stack and the token
        // the CLI takes from --dir are PlaygroundTest's.
        .withSecured(false));
    var mgmt = stack.cluster("mgmt-cluster");
    mgmt.service("bookinfo", "reviews", java.util.Map.of("app", "reviews"), 9080);
    mgmt.endpoints("bookinfo", "reviews", 9080, true, "10.0.0.11", "10.0.0.12");
    var remote = stack.cluster("remote-cluster");
    remote.service("bookinfo", "reviews", java.util.Map.of("app", "reviews"), 9080);
    remote.endpoints("bookinfo", "reviews", 9080, true, "10.1.0.21");
  }

  @AfterAll
  static void down() {
    stack.close();
  }

  @Test
  void applyThenGetShowsTheFailoverServiceAndAnInvalidOneWithItsMessage() {
    Path examples = Path.of("..", "examples", "walkthrough");
    for (String file : List.of("outlier-policy.yaml", "failover-service.yaml",
        "invalid-failover-service.yaml")) {
      CliRun applied = meshfed("apply", "-f", examples.resolve(file).toString(), "--cluster",
          "mgmt-cluster", "--dir", dir.toString());
      assertThat(applied.exit()).as(applied.err()).isZero();
    }
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      CliRun table = meshfed("get", "failoverservices", "--server", stack.queryUrl());
      assertThat(table.exit()).isZero();
      assertThat(table.out()).startsWith("NAMESPACE").contains("reviews-failover")
          .contains("reviews-failover.bookinfo.global");
      assertThat(table.out().lines().filter(l -> l.contains("broken")).findFirst().orElse(""))
          .contains("INVALID").contains("spec.port.number 70000 is outside the port range"
              + " 1-65535");
    });
    CliRun json = meshfed("get", "fs", "-n", "service-mesh-hub", "-o", "json", "--server",
        stack.queryUrl());
    assertThat(json.exit()).isZero();
    assertThat(json.out()).contains("\"validationErrors\" : [ \"spec.port.number 70000 is"
        + " outside the port range 1-65535\" ]");
    // The REST API serves Kubernetes-style conditions (issue #18).
    assertThat(json.out()).contains("\"type\" : \"Valid\"").contains("\"reason\" :"
        + " \"ValidationFailed\"").contains("\"lastTransitionTime\"");
    // Heartbeats arrive on their own schedule: wait for both clusters to have reported.
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      CliRun clusters = meshfed("get", "clusters", "--server", stack.queryUrl());
      assertThat(clusters.out()).contains("mgmt-cluster").contains("remote-cluster")
          .contains("us-east-1");
    });
    // The resource's own status says the same, with its conditions.
    await().atMost(Duration.ofSeconds(30)).until(() -> "INVALID".equals(stateOf("broken")));
    assertThat(statusOf("broken").get("conditions")).asList().first().asString()
        .contains("type=Valid").contains("status=False").contains("reason=ValidationFailed")
        .contains("lastTransitionTime=");

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      CliRun described = meshfed("describe", "failoverservice", "service-mesh-hub/reviews-failover",
          "--server", stack.queryUrl());
      assertThat(described.exit()).as(described.err()).isZero();
      assertThat(described.out()).contains("Hostnames:    [\"reviews-failover.bookinfo.global\"]")
          .contains("Client cluster mgmt-cluster").contains("Client cluster remote-cluster")
          .contains("10.0.0.11:9080").contains("Recent decisions:")
          .contains("Condition:    Valid     True   Valid: the spec is valid")
          .contains("Condition:    Applied   True   Applied: applied in all 2 target clusters")
          .contains("Condition:    Conflict  False  NoConflict")
          .containsPattern("  Applied True Applied: generation 1, epoch \\d+")
          .containsPattern("  agent restart epoch 0 \\(0 restarts, started \\S+\\)");
      assertThat(described.out().lines().filter(l -> l.matches("  \\S+  epoch \\d+ .*")))
          .isNotEmpty();
    });
    // The OutlierDetectionPolicy's status names the destination it selects (issue #18): in the
    // REST API and the CLI, and in the status the agent writes back to the resource.
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      CliRun policies = meshfed("get", "outlierdetectionpolicies", "--server", stack.queryUrl());
      assertThat(policies.exit()).as(policies.err()).isZero();
      assertThat(policies.out()).startsWith("NAMESPACE").containsPattern("mgmt-reviews-outlier"
          + "\\s+[A-Z]+\\s+1\\s+\\S+\\s+FailoverService/service-mesh-hub/reviews-failover");
      var written = statusOf(io.meshfed.avro.ResourceKind.OutlierDetectionPolicy,
          "mgmt-reviews-outlier");
      assertThat(written).isNotNull();
      assertThat(String.valueOf(written.get("selectedDestinations")))
          .isEqualTo("[FailoverService/service-mesh-hub/reviews-failover]");
      assertThat(String.valueOf(written.get("numSelectedDestinations"))).isEqualTo("1");
    });
    CliRun policyJson = meshfed("get", "odp", "-o", "json", "--server", stack.queryUrl());
    assertThat(policyJson.out()).contains("\"numSelectedDestinations\" : 1");
    CliRun decisions = meshfed("get", "decisions", "--destination",
        "FailoverService/service-mesh-hub/reviews-failover", "--limit", "3", "--server",
        stack.queryUrl());
    assertThat(decisions.exit()).isZero();
    assertThat(decisions.out()).startsWith("EPOCH").contains("mgmt-cluster");
    assertThat(meshfed("get", "decisions", "--server", stack.queryUrl()).exit()).isEqualTo(2);
    assertThat(meshfed("describe", "fs", "service-mesh-hub/nope", "--server",
        stack.queryUrl()).exit()).isEqualTo(1);

    CliRun deleted = meshfed("delete", "-f", examples.resolve("invalid-failover-service.yaml")
        .toString(), "--cluster", "mgmt-cluster", "--dir", dir.toString());
    assertThat(deleted.out()).contains("FailoverService/service-mesh-hub/broken deleted");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
        meshfed("get", "failoverservices", "--server", stack.queryUrl()).out())
        .doesNotContain("broken").contains("reviews-failover"));
  }

  @Test
  void watchShowsANewDecisionWithinASecondOfItBeingMade() throws Exception {
    var watcher = new java.util.concurrent.CompletableFuture<CliRun>();
    Thread thread = new Thread(() -> watcher.complete(meshfed("watch", "decisions",
        "--count", "1", "--dir", dir.toString())));
    thread.start();
    // Any new decision counts: flip reviews v1/v2 until the watcher has printed one.
    var mgmt = stack.cluster("mgmt-cluster");
    var ready = new java.util.concurrent.atomic.AtomicBoolean(true);
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).until(() -> {
      mgmt.endpoints("bookinfo", "reviews", 9080, ready.getAndSet(!ready.get()), "10.0.0.11",
          "10.0.0.12");
      return watcher.isDone();
    });
    CliRun run = watcher.get();
    assertThat(run.exit()).isZero();
    String line = run.out().lines().filter(l -> l.contains("epoch=")).findFirst().orElse("");
    assertThat(line).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\(\\+\\d+ ms\\)  "
        + "FailoverService/service-mesh-hub/reviews-failover  client=\\S+  epoch=\\d+  .*");
    // How long a decision took to reach the watcher is measured, not asserted.
    System.out.println("meshfed watch: " + line);
  }

  /**
   * The playground as the README tells it: reviews is created and broken with plain YAML files
   * through {@code meshfed apply}, and the topology fails over and back.
   */
  @Test
  void thePlaygroundFilesBreakAndMendReviews() throws Exception {
    Path examples = Path.of("..", "examples");
    for (String[] step : new String[][] {{"walkthrough/failover-service.yaml", "mgmt-cluster"},
        {"playground/reviews-remote.yaml", "remote-cluster"},
        {"playground/reviews-mgmt.yaml", "mgmt-cluster"}}) {
      CliRun applied = meshfed("apply", "-f", examples.resolve(step[0]).toString(), "--cluster",
          step[1], "--dir", dir.toString());
      assertThat(applied.exit()).as(applied.err()).isZero();
    }
    String destination = "FailoverService/service-mesh-hub/reviews-failover";
    // A 503 while the topology rebalances is an answer to wait through, not a failure.
    long before = await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> latestEpoch(destination), epoch -> epoch > 0);
    CliRun broken = meshfed("apply", "-f", examples.resolve("playground/reviews-mgmt-unready.yaml")
        .toString(), "--cluster", "mgmt-cluster", "--dir", dir.toString());
    assertThat(broken.exit()).as(broken.err()).isZero();
    // stdout also carries the in-process stack's log lines here.
    assertThat(broken.out()).contains("EndpointSlice/bookinfo/reviews-slice applied");
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(
        decisions(destination)).anySatisfy(d -> {
          assertThat(d.path("epoch").asLong()).isGreaterThan(before);
          assertThat(d.path("reasonCode").asText()).isEqualTo("TIER_UNHEALTHY");
        }));
    long failedOver = await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
        .until(() -> latestEpoch(destination), epoch -> epoch > before);
    assertThat(meshfed("apply", "-f", examples.resolve("playground/reviews-mgmt.yaml").toString(),
        "--cluster", "mgmt-cluster", "--dir", dir.toString()).exit()).isZero();
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(
        decisions(destination)).anySatisfy(d -> {
          assertThat(d.path("epoch").asLong()).isGreaterThan(failedOver);
          assertThat(d.path("after").path("activeTier").asInt()).isZero();
        }));
  }

  /**
   * Members outside Kubernetes end to end: {@code examples/external}'s ExternalService (two
   * VMs) is applied to mgmt-cluster like any resource, its agent publishes it, the
   * VirtualDestination selects it next to remote-cluster's Kubernetes ratings, and the
   * example's FailoverPolicy orders remote-cluster first; when its ratings fails, the traffic
   * moves to the VMs — as the query API, the CLI, the Destination API and both appliers show
   * (mgmt-cluster's agent writes Istio objects, remote-cluster's Kubernetes ones), the written
   * objects checked against the API server's and Istio's rules. The Kubernetes ratings pods
   * listen on 9081, the VMs on 9080, so every place must keep each endpoint's own port.
   */
  @Test
  void anExternalServiceResourceIsAMemberAndTakesTrafficWhenKubernetesFails() {
    var remote = stack.cluster("remote-cluster");
    remote.service("bookinfo", "ratings", java.util.Map.of("app", "ratings"), 9080);
    // The Service's port 9080 is served on 9081 (the slice's port named like it).
    remote.endpoints("bookinfo", "ratings", 9081, true, "10.1.0.31");
    CliRun applied = meshfed("apply", "-f", Path.of("..", "examples", "external",
        "ratings-vms.yaml").toString(), "--cluster", "mgmt-cluster", "--dir", dir.toString());
    assertThat(applied.exit()).as(applied.err()).isZero();
    assertThat(applied.out()).contains("ExternalService/bookinfo/ratings-vms applied");
    String destination = "VirtualDestination/global/ratings-vd";
    // Generous: on a loaded machine the topology may still be rebalancing (503) at first.
    await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(1))
        .untilAsserted(() -> {
      CliRun described = meshfed("describe", "virtualdestination", "global/ratings-vd",
          "--server", stack.queryUrl());
      assertThat(described.exit()).as(described.err()).isZero();
      assertThat(described.out()).contains("ratings-vms")
          .contains("10.10.0.7:9080").contains("10.10.0.8:9080").contains("10.1.0.31:9081");
    });

    remote.endpoints("bookinfo", "ratings", 9081, false, "10.1.0.31");
    await().atMost(Duration.ofSeconds(120)).ignoreExceptions().untilAsserted(() -> assertThat(
        decisions(destination)).anySatisfy(d -> {
          assertThat(d.path("clientCluster").asText()).isEqualTo("remote-cluster");
          assertThat(d.path("reasonCode").asText()).isEqualTo("TIER_UNHEALTHY");
          assertThat(d.path("reason").asText()).contains("mgmt-cluster/bookinfo/ratings-vms");
        }));

    // The query API: the VMs are tier 1, with all the traffic, on their own port.
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
      var view = new QueryClient(stack.queryUrl()).get("/v1/destinations/" + destination
          + "/clients/remote-cluster");
      assertThat(view.path("activeTier").asInt()).isEqualTo(1);
      var vms = view.path("tiers").path(1);
      assertThat(vms.path("members").toString())
          .isEqualTo("[\"mgmt-cluster/bookinfo/ratings-vms\"]");
      assertThat(vms.path("loadPercent").asInt()).isEqualTo(100);
      assertThat(endpoints(vms)).containsExactlyInAnyOrder("10.10.0.7:9080@mgmt-cluster",
          "10.10.0.8:9080@mgmt-cluster");
      assertThat(vms.path("endpoints")).allSatisfy(e ->
          assertThat(e.path("weight").asInt()).isPositive());
      assertThat(endpoints(view.path("tiers").path(0))).containsExactly(
          "10.1.0.31:9081@remote-cluster");
    });
    // The CLI says the same.
    CliRun described = meshfed("describe", "virtualdestination", "global/ratings-vd",
        "--server", stack.queryUrl());
    assertThat(described.exit()).as(described.err()).isZero();
    assertThat(described.out())
        .containsPattern("tier 1 +100% +\\[\"mgmt-cluster/bookinfo/ratings-vms\"\\]")
        .containsPattern("10\\.10\\.0\\.7:9080 +weight +[1-9]")
        .containsPattern("10\\.10\\.0\\.8:9080 +weight +[1-9]");
    // The Destination API streams the VMs' addresses to a remote-cluster proxy.
    // It reads the config topics itself, so it may be a moment behind the query API.
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() ->
        assertThat(destinationApiAddresses("ratings.global:9080", "remote-cluster"))
            .containsExactlyInAnyOrder("10.10.0.7:9080 mgmt-cluster/bookinfo/ratings-vms",
                "10.10.0.8:9080 mgmt-cluster/bookinfo/ratings-vms"));
    // mgmt-cluster's agent (Istio): the ServiceEntry carries the VMs, the only endpoints with
    // traffic, on 9080; every object it wrote is one Istio admits.
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      var istio = written("mgmt-cluster", destination,
          io.meshfed.agent.apply.IstioApplier.SERVICE_ENTRY,
          io.meshfed.agent.apply.IstioApplier.DESTINATION_RULE);
      var serviceEntry = istio.stream().filter(o -> o.getKind().equals("ServiceEntry"))
          .findFirst().orElseThrow();
      @SuppressWarnings("unchecked")
      var spec = (java.util.Map<String, Object>) serviceEntry.getAdditionalProperties()
          .get("spec");
      assertThat(spec.get("hosts")).isEqualTo(List.of("ratings.global"));
      assertThat(String.valueOf(spec.get("endpoints")))
          .contains("address=10.10.0.7, ports={http-9080=9080}")
          .contains("address=10.10.0.8, ports={http-9080=9080}")
          .contains("meshfed.io/cluster=mgmt-cluster").doesNotContain("10.1.0.31");
      assertThat(io.meshfed.agent.schema.AppliedObjects.istioErrors(istio)).isEmpty();
    });
    // remote-cluster's agent (Kubernetes): one EndpointSlice per source cluster and port, the
    // VMs ready on 9080, the failed pod not ready on 9081; all of it what the API server admits.
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      var kubernetes = written("remote-cluster", destination,
          io.meshfed.agent.apply.KubernetesApplier.SERVICE,
          io.meshfed.agent.apply.KubernetesApplier.SERVICE_IMPORT,
          io.meshfed.agent.apply.KubernetesApplier.ENDPOINT_SLICE);
      List<String> slices = kubernetes.stream().filter(o -> o.getKind().equals("EndpointSlice"))
          .map(CliTest::describeSlice).sorted().toList();
      assertThat(slices).containsExactly(
          "mgmt-cluster IPv4 http-9080=9080 10.10.0.7=ready 10.10.0.8=ready",
          "remote-cluster IPv4 http-9080=9081 10.1.0.31=not-ready");
      assertThat(io.meshfed.agent.schema.AppliedObjects.kubernetesErrors(kubernetes)).isEmpty();
    });
  }

  /** {@code address:port@cluster} of each endpoint of a tier in the query API's view. */
  private static List<String> endpoints(com.fasterxml.jackson.databind.JsonNode tier) {
    List<String> out = new java.util.ArrayList<>();
    tier.path("endpoints").forEach(e -> out.add(e.path("address").asText() + ":"
        + e.path("port").asText() + "@" + e.path("cluster").asText()));
    return out;
  }

  /**
   * {@code address:port cluster/namespace/service} of every address the Destination API's
   * first answer for {@code authority} adds, for a proxy in {@code client}.
   */
  private static List<String> destinationApiAddresses(String authority, String client) {
    String[] hostPort = stack.destinationApi().split(":");
    var channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
        .forAddress(hostPort[0], Integer.parseInt(hostPort[1])).usePlaintext().build();
    try {
      var stub = io.linkerd.proxy.destination.DestinationGrpc.newBlockingStub(channel);
      var request = io.linkerd.proxy.destination.GetDestination.newBuilder().setPath(authority)
          .setContextToken("{\"cluster\":\"" + client + "\"}").build();
      List<String> out = new java.util.ArrayList<>();
      var first = stub.withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
          .get(request).next();
      assertThat(first.hasAdd()).as(first.toString()).isTrue();
      for (var a : first.getAdd().getAddrsList()) {
        int ip = a.getAddr().getIp().getIpv4();
        var labels = a.getMetricLabelsMap();
        out.add((ip >>> 24) + "." + ((ip >>> 16) & 0xff) + "." + ((ip >>> 8) & 0xff) + "."
            + (ip & 0xff) + ":" + a.getAddr().getPort() + " " + labels.get("cluster") + "/"
            + labels.get("namespace") + "/" + labels.get("service"));
      }
      return out;
    } finally {
      channel.shutdownNow();
    }
  }

  /** The objects of {@code kinds} a cluster's agent wrote for {@code destination}. */
  private static List<io.fabric8.kubernetes.api.model.GenericKubernetesResource> written(
      String cluster, String destination,
      io.meshfed.agent.apply.ConfigApplier.ObjectKind... kinds) {
    List<io.fabric8.kubernetes.api.model.GenericKubernetesResource> out =
        new java.util.ArrayList<>();
    for (var kind : kinds) {
      stack.cluster(cluster).client().genericKubernetesResources(
          io.meshfed.agent.apply.Reconciler.contextFor(kind)).inAnyNamespace().list().getItems()
          .stream().filter(o -> o.getMetadata().getAnnotations() != null
              && destination.equals(o.getMetadata().getAnnotations().get(
                  io.meshfed.agent.apply.Ownership.DESTINATION_ANNOTATION)))
          .forEach(out::add);
    }
    return out;
  }

  /** {@code source-cluster addressType port-name=port address=ready|not-ready...}. */
  private static String describeSlice(
      io.fabric8.kubernetes.api.model.GenericKubernetesResource o) {
    var slice = io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
        io.fabric8.kubernetes.client.utils.Serialization.asJson(o),
        io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice.class);
    StringBuilder text = new StringBuilder(slice.getMetadata().getLabels().get(
        io.meshfed.agent.apply.KubernetesApplier.MCS_SOURCE_CLUSTER))
        .append(' ').append(slice.getAddressType());
    slice.getPorts().forEach(p -> text.append(' ').append(p.getName()).append('=')
        .append(p.getPort()));
    slice.getEndpoints().stream().sorted(java.util.Comparator.comparing(e -> e.getAddresses()
        .get(0))).forEach(e -> text.append(' ').append(e.getAddresses().get(0)).append('=')
        .append(Boolean.TRUE.equals(e.getConditions().getReady()) ? "ready" : "not-ready"));
    return text.toString();
  }

  /** The destination's latest decisions, from the query API (stdout here carries logs too). */
  private static List<com.fasterxml.jackson.databind.JsonNode> decisions(String destination)
      throws Exception {
    List<com.fasterxml.jackson.databind.JsonNode> items = new java.util.ArrayList<>();
    new QueryClient(stack.queryUrl()).get("/v1/decisions?limit=20&destination=" + destination)
        .path("items").forEach(items::add);
    return items;
  }

  private static long latestEpoch(String destination) throws Exception {
    return decisions(destination).stream().mapToLong(d -> d.path("epoch").asLong()).max()
        .orElse(0);
  }

  @Test
  void exitCodesForUsageAndUnreachableServers() {
    assertThat(meshfed("get", "pods", "--server", stack.queryUrl()).exit()).isEqualTo(2);
    CliRun unreachable = meshfed("get", "clusters", "--server", "http://127.0.0.1:1");
    assertThat(unreachable.exit()).isEqualTo(3);
    assertThat(unreachable.err()).contains("cannot reach the query API at http://127.0.0.1:1"
        + " (--server): ");
    assertThat(meshfed("apply", "-f", "x.yaml", "--cluster", "nowhere", "--dir",
        dir.toString()).exit()).isEqualTo(1);
  }

  /**
   * The stack's registry governs meshfed's subjects as a production registry would: every
   * subject has its compatibility rule from the start, and a schema that breaks it is refused.
   * Apicurio's own API refuses deleting an artifact (deletion is off); its Confluent-compatible
   * API deletes regardless in 3.3.3, see launcher/DESIGN.md.
   */
  @Test
  void theStacksRegistryRefusesIncompatibleSchemasAndDeletions() throws Exception {
    var registry = new io.meshfed.registry.SchemaRegistryClient(
        io.meshfed.registry.RegistryConfig.of(stack.registryUrl()));
    for (var entry : io.meshfed.schema.SchemaCatalog.ENTRIES) {
      assertThat(registry.compatibility(entry.subject())).as(entry.subject())
          .isEqualTo(entry.compatibility().name());
      assertThat(registry.latest(entry.subject()).schema()).isEqualTo(entry.schema());
    }
    // Agent-written, FULL_TRANSITIVE: a new field without a default cannot be read from old
    // records by a new reader.
    var heartbeat = io.meshfed.avro.ClusterHeartbeat.getClassSchema();
    var withRequiredField = withField(heartbeat, "{\"name\":\"podCount\",\"type\":\"int\"}");
    assertThat(registry.isCompatible(heartbeat.getFullName(), withRequiredField)).isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> registry.register(
        heartbeat.getFullName(), withRequiredField))
        .isInstanceOf(io.meshfed.registry.SchemaRegistryException.class)
        .satisfies(e -> assertThat(((io.meshfed.registry.SchemaRegistryException) e)
            .httpStatus()).isEqualTo(409));
    // The same field with a default is a compatible change: the rule refuses only what breaks.
    assertThat(registry.isCompatible(heartbeat.getFullName(), withField(heartbeat,
        "{\"name\":\"podCount\",\"type\":\"int\",\"default\":0}"))).isTrue();
    assertThat(registry.latest(heartbeat.getFullName()).schema()).isEqualTo(heartbeat);

    var http = java.net.http.HttpClient.newHttpClient();
    String registryBase = stack.registryUrl().replace("/apis/ccompat/v7", "");
    var delete = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
        registryBase + "/apis/registry/v3/groups/default/artifacts/" + heartbeat.getFullName()))
        .DELETE().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(delete.statusCode()).as(delete.body()).isGreaterThanOrEqualTo(400);
    assertThat(registry.latest(heartbeat.getFullName()).schema()).isEqualTo(heartbeat);
  }

  private static org.apache.avro.Schema withField(org.apache.avro.Schema record, String field)
      throws Exception {
    var json = (com.fasterxml.jackson.databind.node.ObjectNode) QueryClient.JSON.readTree(
        record.toString());
    ((com.fasterxml.jackson.databind.node.ArrayNode) json.get("fields")).add(
        QueryClient.JSON.readTree(field));
    return new org.apache.avro.Schema.Parser().parse(json.toString());
  }

  private static String stateOf(String name) {
    java.util.Map<String, Object> status = statusOf(name);
    return status == null ? null : String.valueOf(status.get("state"));
  }

  private static java.util.Map<String, Object> statusOf(String name) {
    return statusOf(io.meshfed.avro.ResourceKind.FailoverService, name);
  }

  @SuppressWarnings("unchecked")
  private static java.util.Map<String, Object> statusOf(io.meshfed.avro.ResourceKind kind,
      String name) {
    var fs = stack.cluster("mgmt-cluster").client().genericKubernetesResources(
        io.meshfed.agent.publish.ClusterPublisher.crd(kind)).inNamespace("service-mesh-hub")
        .withName(name).get();
    Object status = fs == null ? null : fs.getAdditionalProperties().get("status");
    return (java.util.Map<String, Object>) status;
  }

  @Test
  void theStackServesTheDestinationApi() throws Exception {
    Path examples = Path.of("..", "examples", "walkthrough");
    assertThat(meshfed("apply", "-f", examples.resolve("failover-service.yaml").toString(),
        "--cluster", "mgmt-cluster", "--dir", dir.toString()).exit()).isZero();
    String[] hostPort = stack.destinationApi().split(":");
    var channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
        .forAddress(hostPort[0], Integer.parseInt(hostPort[1])).usePlaintext().build();
    try {
      var stub = io.linkerd.proxy.destination.DestinationGrpc.newBlockingStub(channel);
      var request = io.linkerd.proxy.destination.GetDestination.newBuilder()
          .setPath("reviews-failover.bookinfo.global:9080")
          .setContextToken("{\"cluster\":\"remote-cluster\"}").build();
      // A stream answers nothing until the destination's config reaches the API (it reads the
      // config topics itself): a deadline is a "not yet", and the next try asks again.
      await().atMost(Duration.ofSeconds(60))
          .ignoreExceptionsInstanceOf(io.grpc.StatusRuntimeException.class).untilAsserted(() -> {
        var stream = stub.withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
            .get(request);
        var first = stream.next();
        assertThat(first.hasAdd()).as(first.toString()).isTrue();
        assertThat(first.getAdd().getAddrsCount()).isPositive();
      });
    } finally {
      channel.shutdownNow();
    }
  }
}
