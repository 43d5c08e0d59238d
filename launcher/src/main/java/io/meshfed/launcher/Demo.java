package io.meshfed.launcher;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.meshfed.agent.apply.IstioApplier;
import io.meshfed.agent.apply.Reconciler;
import io.meshfed.agent.publish.ClusterPublisher;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.ReasonCode;
import io.meshfed.avro.ResourceKind;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.topics.MeshfedTopics;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The Service Mesh Hub failover walkthrough on the embedded stack, with bookinfo's reviews:
 * v1 and v2 on mgmt-cluster, v3 on remote-cluster. Every step has a bound; the timeline shows
 * when each step converged and how long it took from the event that caused it. The result says
 * which step did not converge, if one did not.
 */
public final class Demo {

  static final String MGMT = "mgmt-cluster";
  static final String REMOTE = "remote-cluster";
  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  /** One line of the timeline. */
  public record Step(String name, Instant at, long millis, boolean ok, String detail) {}

  /** What the demo saw. */
  public record Result(List<Step> steps) {
    public boolean succeeded() {
      return steps.stream().allMatch(Step::ok);
    }

    public String failedStep() {
      return steps.stream().filter(s -> !s.ok()).map(Step::name).findFirst().orElse(null);
    }
  }

  final EmbeddedStack stack;
  final PrintStream out;
  final Duration damping;
  private final List<Step> steps = new ArrayList<>();
  final Queue<FailoverDecision> decisions = new ConcurrentLinkedQueue<>();
  /** Keys published to mgmt-cluster's events topic (its agent's, a connector's), as read. */
  final Queue<String> published = new ConcurrentLinkedQueue<>();
  /** The latest HealthSignal outcome per Health key on mgmt-cluster's events topic. */
  final Map<String, String> health = new java.util.concurrent.ConcurrentHashMap<>();

  Demo(EmbeddedStack stack, PrintStream out, Duration damping) {
    this.stack = stack;
    this.out = out;
    this.damping = damping;
  }

  /** Starts the stack in {@code settings.dir()}, runs the walkthrough, stops the stack. */
  public static Result run(EmbeddedStack.Settings settings, PrintStream out) throws Exception {
    return run(settings, out, null);
  }

  /**
   * As {@link #run(EmbeddedStack.Settings, PrintStream)}, then, with {@code outlier} (the
   * {@code --outlier} options; null: none), the walkthrough again driven by request errors:
   * {@link OutlierWalkthrough}. Its Connect worker and Prometheus start while the first part
   * runs. Without a Prometheus binary that part is skipped, and the output says why.
   */
  public static Result run(EmbeddedStack.Settings settings, PrintStream out,
      OutlierWalkthrough.Options outlier) throws Exception {
    long started = System.nanoTime();
    out.println("meshfed demo: starting Kafka, the schema registry, the topology and "
        + settings.clusters().size() + " simulated clusters in " + settings.dir());
    try (EmbeddedStack stack = EmbeddedStack.start(settings)) {
      Demo demo = new Demo(stack, out, settings.damping());
      long up = (System.nanoTime() - started) / 1_000_000;
      demo.record("stack up (broker, registry, topology, agents)", up, true,
          "bootstrap " + stack.bootstrapServers() + ", registry " + stack.registryUrl()
              + (stack.secured() ? ", Kafka secured: SASL SCRAM and ACLs" : ", open"));
      if (outlier == null) {
        return demo.walkthrough(null);
      }
      if (PrometheusChild.binary() == null) {
        out.println("meshfed demo: " + OutlierWalkthrough.NO_PROMETHEUS);
        return demo.walkthrough(null);
      }
      try (OutlierWalkthrough second = OutlierWalkthrough.prepare(stack, settings.dir(),
          outlier)) {
        return demo.walkthrough(second);
      }
    }
  }

  Result walkthrough(OutlierWalkthrough outlier) throws Exception {
    Thread watcher = watchDecisions();
    try {
      if (readinessWalkthrough() && outlier != null) {
        outlier.run(this);
      }
      return new Result(steps);
    } finally {
      watching = false; // not interrupt(): an interrupted consumer logs an error on close
      watcher.join(5_000);
    }
  }

  /** The Service Mesh Hub walkthrough, failure by readiness; false when a step failed. */
  private boolean readinessWalkthrough() throws Exception {
    SimulatedCluster mgmt = stack.cluster(MGMT);
    SimulatedCluster remote = stack.cluster(REMOTE);
    mgmt.service("bookinfo", "reviews", Map.of("app", "reviews"), 9080);
    mgmt.endpoints("bookinfo", "reviews", 9080, true, "10.0.0.11", "10.0.0.12");
    remote.service("bookinfo", "reviews", Map.of("app", "reviews"), 9080);
    remote.endpoints("bookinfo", "reviews", 9080, true, "10.1.0.21");
    out.println("  bookinfo reviews: v1 10.0.0.11 and v2 10.0.0.12 on " + MGMT
        + ", v3 10.1.0.21 on " + REMOTE);
    long t = System.nanoTime();
    List<String> applied = new ArrayList<>();
    for (String file : List.of("outlier-policy.yaml", "failover-service.yaml")) {
      try (InputStream yaml = Demo.class.getResourceAsStream("/examples/walkthrough/" + file)) {
        applied.addAll(EmbeddedStack.apply(mgmt, yaml));
      }
    }
    out.println("  applied to " + MGMT + ": " + String.join(", ", applied));
    if (!await("status ACCEPTED", t, Duration.ofSeconds(60),
        () -> "ACCEPTED".equals(state(mgmt)), () -> "state " + state(mgmt))
        || !await("traffic on " + MGMT + " (applied in both clusters)", t,
            Duration.ofSeconds(30),
            () -> routes(mgmt).equals(List.of("10.0.0.11=500000000", "10.0.0.12=500000000"))
                && remote.readyAddresses("meshfed").equals(List.of("10.0.0.11", "10.0.0.12")),
            () -> MGMT + " " + routes(mgmt) + ", " + REMOTE + " "
                + remote.readyAddresses("meshfed"))) {
      return false;
    }

    // Before anything fails, no decision may have sent traffic anywhere but tier 0: a decision
    // on a partial view (members still arriving) once failed over for 92 ms here.
    List<FailoverDecision> before = new ArrayList<>(decisions);
    if (!await("no decision moved traffic off tier 0 before the failure", System.nanoTime(),
        Duration.ofSeconds(1),
        () -> before.stream().allMatch(d -> d.getAfter().getActiveTier() == 0),
        () -> before.stream().map(d -> d.getReasonCode() + " -> tier "
            + d.getAfter().getActiveTier()).toList().toString())) {
      return false;
    }
    decisions.clear();
    t = System.nanoTime();
    mgmt.endpoints("bookinfo", "reviews", 9080, false, "10.0.0.11", "10.0.0.12");
    out.println("  reviews v1 and v2 on " + MGMT + " become unready");
    String endpointsKey = io.meshfed.topics.EventKeys.endpoints(MGMT, "bookinfo", "reviews");
    published.clear();
    boolean ok = await("published by the " + MGMT + " agent", t, Duration.ofSeconds(10),
        () -> published.contains(endpointsKey), () -> published.toString());
    ok = ok && await("decision: fail over", t, Duration.ofSeconds(10),
        () -> decisions.stream().anyMatch(d -> d.getReasonCode() == ReasonCode.TIER_UNHEALTHY),
        () -> decisions.toString());
    decisions.stream().filter(d -> d.getReasonCode() == ReasonCode.TIER_UNHEALTHY).findFirst()
        .ifPresent(d -> out.println("    reason: " + d.getReason() + " (decided "
            + CLOCK.format(d.getTime()) + ")"));
    ok = ok && await("applied in " + MGMT + ": all traffic to " + REMOTE, t,
        Duration.ofSeconds(10), () -> routes(mgmt).equals(List.of("10.1.0.21=1000000000")),
        () -> routes(mgmt).toString());
    ok = ok && await("applied in " + REMOTE + ": all traffic to " + REMOTE, t,
        Duration.ofSeconds(10),
        () -> remote.readyAddresses("meshfed").equals(List.of("10.1.0.21")),
        () -> remote.readyAddresses("meshfed").toString());
    if (!ok) {
      return false;
    }

    decisions.clear();
    t = System.nanoTime();
    mgmt.endpoints("bookinfo", "reviews", 9080, true, "10.0.0.11", "10.0.0.12");
    out.println("  reviews v1 and v2 restored; failback waits " + damping.toMillis()
        + " ms of health (damping)");
    Duration bound = damping.plusSeconds(10);
    ok = await("decision: fail back", t, bound,
        () -> decisions.stream().anyMatch(d -> d.getReasonCode() == ReasonCode.TIER_RECOVERED),
        () -> decisions.toString());
    decisions.stream().filter(d -> d.getReasonCode() == ReasonCode.TIER_RECOVERED).findFirst()
        .ifPresent(d -> out.println("    reason: " + d.getReason()));
    ok = ok && await("applied in " + MGMT + ": traffic back on " + MGMT, t, bound,
        () -> routes(mgmt).equals(List.of("10.0.0.11=500000000", "10.0.0.12=500000000")),
        () -> routes(mgmt).toString());
    return ok && await("applied in " + REMOTE + ": traffic back on " + MGMT, t, bound,
        () -> remote.readyAddresses("meshfed").equals(List.of("10.0.0.11", "10.0.0.12")),
        () -> remote.readyAddresses("meshfed").toString());
  }

  /** Polls {@code done} until it holds or the bound passes; records the step either way. */
  boolean await(String step, long since, Duration bound, Supplier<Boolean> done,
      Supplier<String> state) throws InterruptedException {
    long deadline = since + bound.toNanos();
    while (System.nanoTime() < deadline) {
      if (done.get()) {
        record(step, (System.nanoTime() - since) / 1_000_000, true, "");
        return true;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
    record(step, bound.toMillis(), false, "did not converge within " + bound.toMillis()
        + " ms; last seen: " + state.get());
    return false;
  }

  void record(String step, long millis, boolean ok, String detail) {
    Step s = new Step(step, Instant.now(), millis, ok, detail);
    steps.add(s);
    out.printf("%s  %-4s %-55s %6d ms%s%n", CLOCK.format(s.at()), ok ? "ok" : "FAIL", step,
        millis, detail.isEmpty() ? "" : "  (" + detail + ")");
  }

  private volatile boolean watching = true;

  private Map<String, Object> withSecurity(Map<String, Object> settings) {
    Map<String, Object> out = new java.util.HashMap<>(stack.clientSecurity());
    out.putAll(settings);
    return out;
  }

  private Thread watchDecisions() {
    SchemaRegistryClient registry = new SchemaRegistryClient(
        RegistryConfig.of(stack.registryUrl()).withRequestTimeout(java.time.Duration.ofSeconds(60)));
    var signals = AvroSerde.of(io.meshfed.avro.HealthSignal.class, registry).deserializer();
    Thread t = new Thread(() -> {
      // The stack's admin credentials when it is secured: the demo watches every topic.
      try (var consumer = new KafkaConsumer<>(withSecurity(Map.<String, Object>of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
          ConsumerConfig.GROUP_ID_CONFIG, "meshfed-demo-" + System.nanoTime(),
          // The demo's stack is new: from the beginning is every decision it made, none missed
          // while the consumer joins (the check before the failure needs all of them).
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
          ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")),
          new StringDeserializer(), AvroSerde.of(FailoverDecision.class, registry)
              .deserializer());
          var events = new KafkaConsumer<>(withSecurity(Map.<String, Object>of(
              ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
              ConsumerConfig.GROUP_ID_CONFIG, "meshfed-demo-events-" + System.nanoTime(),
              ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest")),
              new StringDeserializer(), new org.apache.kafka.common.serialization
                  .ByteArrayDeserializer())) {
        consumer.subscribe(List.of(MeshfedTopics.FAILOVER_EVENTS));
        events.subscribe(List.of("meshfed.cluster." + MGMT + ".events"));
        while (watching) {
          consumer.poll(Duration.ofMillis(20)).forEach(r -> decisions.add(r.value()));
          events.poll(Duration.ofMillis(20)).forEach(r -> {
            published.add(r.key());
            if (r.key().contains("/Health/") && r.value() != null) {
              health.put(r.key(), String.valueOf(signals.deserialize(r.topic(), r.value())
                  .getOutcome()));
            }
          });
        }
      } catch (org.apache.kafka.common.errors.InterruptException stopping) {
        // demo finished
      }
    }, "demo-decisions");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** The mgmt-cluster ServiceEntry's endpoints as address=weight, sorted. */
  @SuppressWarnings("unchecked")
  static List<String> routes(SimulatedCluster cluster) {
    var items = cluster.client().genericKubernetesResources(
        Reconciler.contextFor(IstioApplier.SERVICE_ENTRY)).inNamespace("meshfed").list()
        .getItems();
    if (items.isEmpty()) {
      return List.of();
    }
    var spec = (Map<String, Object>) items.get(0).getAdditionalProperties().get("spec");
    return ((List<Map<String, Object>>) spec.get("endpoints")).stream()
        .map(e -> e.get("address") + "=" + e.get("weight")).sorted().toList();
  }

  @SuppressWarnings("unchecked")
  static String state(SimulatedCluster cluster) {
    GenericKubernetesResource fs = cluster.client().genericKubernetesResources(
        ClusterPublisher.crd(ResourceKind.FailoverService)).inNamespace("service-mesh-hub")
        .withName("reviews-failover").get();
    Object status = fs == null ? null : fs.getAdditionalProperties().get("status");
    return status == null ? "none" : String.valueOf(((Map<String, Object>) status).get("state"));
  }
}
