package io.meshfed.launcher;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.ReasonCode;
import io.meshfed.topics.EventKeys;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The second part of {@code meshfed demo --outlier}: the failover walkthrough driven by request
 * errors instead of readiness, with every part real. bookinfo's reviews v1 and v2 on
 * mgmt-cluster are HTTP servers on loopback ({@link ReviewsPods}) that start answering 503 while
 * their EndpointSlice stays ready; a real Prometheus ({@link PrometheusChild}) scrapes their
 * Istio request counters; {@code PrometheusHealthSourceConnector}, in the stack's Connect worker
 * ({@link EmbeddedConnect}), turns each 2 s window's 5xx ratio into HealthSignals; the
 * topology's outlier detection ejects both endpoints and fails over to remote-cluster, the
 * decision's reason naming the ejection. Errors stop: after the ejection time and the damping,
 * traffic fails back.
 */
final class OutlierWalkthrough implements AutoCloseable {

  /** {@code --outlier}'s options. */
  record Options(int connectPort) {}

  static final String NO_PROMETHEUS = "--outlier skipped: no Prometheus at /usr/bin/prometheus"
      + " or $PROMETHEUS_BIN (install Debian's prometheus package)";
  static final String CONNECTOR = "mgmt-cluster-request-health";
  /** examples/walkthrough/outlier-policy-demo.yaml's baseEjectionTime. */
  static final Duration EJECTION = Duration.ofSeconds(5);
  static final String WINDOW_MS = "2000";

  /** What runs beside the stack for this part, started while the first part runs. */
  private record Parts(ReviewsPods pods, PrometheusChild prometheus, EmbeddedConnect worker) {}

  private final EmbeddedStack stack;
  private final CompletableFuture<Parts> parts;
  private final long preparing = System.nanoTime();

  private OutlierWalkthrough(EmbeddedStack stack, CompletableFuture<Parts> parts) {
    this.stack = stack;
    this.parts = parts;
  }

  /**
   * Starts the reviews pods, Prometheus (in {@code dir}/prometheus) and the stack's Connect
   * worker on a thread of their own, so they are ready when the first part is done.
   */
  static OutlierWalkthrough prepare(EmbeddedStack stack, Path dir, Options options) {
    CompletableFuture<Parts> parts = new CompletableFuture<>();
    Thread starting = new Thread(() -> {
      ReviewsPods pods = null;
      PrometheusChild prometheus = null;
      try {
        Map<String, String> ips = new LinkedHashMap<>();
        ips.put("reviews-v1", "10.0.0.11");
        ips.put("reviews-v2", "10.0.0.12");
        pods = new ReviewsPods(ips);
        prometheus = PrometheusChild.start(dir.resolve("prometheus"), pods.targets(Demo.MGMT),
            Duration.ofSeconds(60));
        EmbeddedConnect worker = stack.connect(options.connectPort());
        parts.complete(new Parts(pods, prometheus, worker));
      } catch (Throwable t) {
        if (prometheus != null) {
          prometheus.close();
        }
        if (pods != null) {
          pods.close();
        }
        parts.completeExceptionally(t);
      }
    }, "demo-outlier-start");
    starting.setDaemon(true);
    starting.start();
    return new OutlierWalkthrough(stack, parts);
  }

  /** Runs the steps on {@code demo}'s timeline; false when one did not converge. */
  boolean run(Demo demo) throws Exception {
    if (!demo.await("Connect worker and Prometheus ready", preparing, Duration.ofSeconds(240),
        parts::isDone, () -> "still starting")) {
      return false;
    }
    if (parts.isCompletedExceptionally()) {
      String why = parts.handle((p, e) -> Causes.of(e)).join();
      demo.record("Connect worker and Prometheus started", 0, false, why);
      return false;
    }
    Parts running = parts.join();
    SimulatedCluster mgmt = stack.cluster(Demo.MGMT);
    SimulatedCluster remote = stack.cluster(Demo.REMOTE);
    demo.out.println("  request health: reviews v1 and v2 on " + Demo.MGMT + " serve HTTP on "
        + "loopback, Prometheus " + running.prometheus().url() + " scrapes them every 1 s,"
        + " Connect worker " + running.worker().restUrl());
    try (InputStream yaml = Demo.class.getResourceAsStream(
        "/examples/walkthrough/outlier-policy-demo.yaml")) {
      demo.out.println("  applied to " + Demo.MGMT + ": "
          + String.join(", ", EmbeddedStack.apply(mgmt, yaml)) + " (baseEjectionTime "
          + EJECTION.toSeconds() + "s)");
    }
    demo.published.clear();
    long t = System.nanoTime();
    running.worker().putConnector(CONNECTOR, connectorConfig(running.prometheus().url()));
    demo.out.println("  connector " + CONNECTOR + " created: " + WINDOW_MS
        + " ms windows of the 5xx ratio, as mgmt-cluster's agent principal");
    boolean ok = demo.await("connector " + CONNECTOR + " running", t, Duration.ofSeconds(60),
        () -> running.worker().state(CONNECTOR).equals("RUNNING/RUNNING"),
        () -> running.worker().state(CONNECTOR));
    List<String> healthKeys = List.of(
        EventKeys.health(Demo.MGMT, "bookinfo", "reviews", "10.0.0.11", 9080),
        EventKeys.health(Demo.MGMT, "bookinfo", "reviews", "10.0.0.12", 9080));
    ok = ok && demo.await("HealthSignals for v1 and v2 from the connector", t,
        Duration.ofSeconds(60), () -> demo.published.containsAll(healthKeys),
        () -> "published " + demo.published.stream().distinct().toList());
    if (!ok) {
      return false;
    }

    demo.decisions.clear();
    t = System.nanoTime();
    running.pods().setFailing(true);
    demo.out.println("  reviews v1 and v2 on " + Demo.MGMT + " answer 503 (their endpoints"
        + " stay ready)");
    ok = demo.await("decision: fail over (outlier detection ejected them)", t,
        Duration.ofSeconds(60), () -> failover(demo).isPresent(),
        () -> "health " + demo.health + ", decisions " + demo.decisions);
    failover(demo).ifPresent(d -> demo.out.println("    reason: " + d.getReason()));
    ok = ok && demo.await("applied in " + Demo.MGMT + ": all traffic to " + Demo.REMOTE, t,
        Duration.ofSeconds(30), () -> Demo.routes(mgmt).equals(List.of("10.1.0.21=1000000000")),
        () -> Demo.routes(mgmt).toString());
    ok = ok && demo.await("applied in " + Demo.REMOTE + ": all traffic to " + Demo.REMOTE, t,
        Duration.ofSeconds(30),
        () -> remote.readyAddresses("meshfed").equals(List.of("10.1.0.21")),
        () -> remote.readyAddresses("meshfed").toString());
    if (!ok) {
      return false;
    }

    demo.decisions.clear();
    t = System.nanoTime();
    running.pods().setFailing(false);
    demo.out.println("  reviews v1 and v2 answer 200 again; failback waits for the ejection ("
        + EJECTION.toMillis() + " ms) to end and " + demo.damping.toMillis()
        + " ms of health (damping)");
    // An error window evaluated after the ejection ended ejects again, for twice as long.
    Duration bound = EJECTION.multipliedBy(3).plus(demo.damping).plusSeconds(30);
    ok = demo.await("decision: fail back", t, bound, () -> failback(demo).isPresent(),
        () -> "health " + demo.health + ", decisions " + demo.decisions);
    failback(demo).ifPresent(d -> demo.out.println("    reason: " + d.getReason()));
    ok = ok && demo.await("applied in " + Demo.MGMT + ": traffic back on " + Demo.MGMT, t, bound,
        () -> Demo.routes(mgmt).equals(List.of("10.0.0.11=500000000", "10.0.0.12=500000000")),
        () -> Demo.routes(mgmt).toString());
    return ok && demo.await("applied in " + Demo.REMOTE + ": traffic back on " + Demo.MGMT, t,
        bound,
        () -> remote.readyAddresses("meshfed").equals(List.of("10.0.0.11", "10.0.0.12")),
        () -> remote.readyAddresses("meshfed").toString());
  }

  /** mgmt-cluster's decision that moved it to tier 1 for ejections, if made yet. */
  private static Optional<FailoverDecision> failover(Demo demo) {
    return demo.decisions.stream()
        .filter(d -> d.getClientCluster().equals(Demo.MGMT))
        .filter(d -> d.getReasonCode() == ReasonCode.TIER_UNHEALTHY)
        .filter(d -> d.getAfter().getActiveTier() == 1)
        .filter(d -> d.getReason().contains("ejected by outlier detection")).findFirst();
  }

  private static Optional<FailoverDecision> failback(Demo demo) {
    return demo.decisions.stream()
        .filter(d -> d.getClientCluster().equals(Demo.MGMT))
        .filter(d -> d.getReasonCode() == ReasonCode.TIER_RECOVERED).findFirst();
  }

  /**
   * The README's Istio example, for this Prometheus: one series per pod (the scrape's
   * {@code pod_ip} label; the pods serve 9080), windows of 2 s evaluated 1.2 s after they end
   * (a scrape a second). The producer writes as mgmt-cluster's agent, whose ACLs allow its own
   * events topic only.
   */
  private Map<String, String> connectorConfig(String prometheusUrl) {
    String by = "sum by (cluster, namespace, service, pod_ip) ";
    Map<String, String> config = new LinkedHashMap<>();
    config.put("connector.class",
        "io.meshfed.connectors.prometheus.PrometheusHealthSourceConnector");
    config.put("tasks.max", "1");
    config.put("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    config.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
    // Health signals on their service's partition, as the agent writes them (EventPartitioner).
    config.put("producer.override.partitioner.class", "io.meshfed.topics.EventPartitioner");
    config.put("meshfed.cluster", Demo.MGMT);
    config.put("prometheus.url", prometheusUrl);
    config.put("prometheus.query", by + "(rate(istio_requests_total{reporter=\"destination\","
        + "response_code=~\"5..\"}[{{window}}])) / " + by
        + "(rate(istio_requests_total{reporter=\"destination\"}[{{window}}]))");
    config.put("label.address", "pod_ip");
    config.put("endpoint.port", "9080");
    config.put("window.ms", WINDOW_MS);
    config.put("evaluation.delay.ms", "1200");
    config.put("retry.backoff.ms", "500");
    config.put("registry.url", stack.registryUrl());
    stack.agentSecurity(Demo.MGMT).forEach((k, v) -> config.put("producer.override." + k, v));
    return config;
  }

  /**
   * Stops the pods and Prometheus (the worker stops with the stack) without waiting for a start
   * still under way: whatever it finishes starting after this is stopped at once.
   */
  @Override
  public void close() {
    parts.whenComplete((started, failed) -> {
      if (started != null) {
        started.prometheus().close();
        started.pods().close();
      }
    });
  }
}
