package io.meshfed.launcher;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Stand-ins for bookinfo's reviews pods for {@code demo --outlier}: one HTTP server per pod on
 * 127.0.0.1 (a free port), serving {@code /reviews/0} — 200, or 503 while the pod is failing —
 * and, as an Istio sidecar does on its merged metrics port, {@code /stats/prometheus} with
 * {@code istio_requests_total} by response code, counted from the requests it answered. A
 * client thread sends each pod ten requests a second, so every 2 s window has traffic. The pods
 * stay ready in Kubernetes terms throughout: only their answers change.
 */
final class ReviewsPods implements AutoCloseable {

  /** One pod: its pod IP in the simulated cluster and its server on loopback. */
  static final class Pod {
    final String podIp;
    final String workload;
    final AtomicBoolean failing = new AtomicBoolean();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final HttpServer server;

    Pod(String podIp, String workload) throws IOException {
      this.podIp = podIp;
      this.workload = workload;
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      server.createContext("/reviews", this::review);
      server.createContext("/stats/prometheus", this::metrics);
      server.setExecutor(Executors.newFixedThreadPool(2, daemon("reviews-pod-" + workload)));
      server.start();
    }

    private void review(HttpExchange exchange) throws IOException {
      boolean fail = failing.get();
      (fail ? errors : ok).incrementAndGet();
      respond(exchange, fail ? 503 : 200, fail ? "upstream unavailable\n"
          : "{\"id\":\"0\",\"podname\":\"" + workload + "\"}\n");
    }

    private void metrics(HttpExchange exchange) throws IOException {
      String common = "reporter=\"destination\",destination_service_name=\"reviews\","
          + "destination_workload=\"" + workload + "\"";
      respond(exchange, 200, "# TYPE istio_requests_total counter\n"
          + "istio_requests_total{" + common + ",response_code=\"200\"} " + ok.get() + "\n"
          + "istio_requests_total{" + common + ",response_code=\"503\"} " + errors.get() + "\n");
    }

    String hostPort() {
      return "127.0.0.1:" + server.getAddress().getPort();
    }
  }

  private final List<Pod> pods = new ArrayList<>();
  private final ScheduledExecutorService traffic =
      Executors.newSingleThreadScheduledExecutor(daemon("reviews-traffic"));
  private final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(1)).build();

  /** Pods {@code workload=podIp}, e.g. {@code reviews-v1=10.0.0.11}, with traffic flowing. */
  ReviewsPods(Map<String, String> podIps) throws IOException {
    try {
      for (var pod : podIps.entrySet()) {
        pods.add(new Pod(pod.getValue(), pod.getKey()));
      }
    } catch (IOException e) {
      close();
      throw e;
    }
    traffic.scheduleAtFixedRate(this::oneRound, 0, 100, TimeUnit.MILLISECONDS);
  }

  private void oneRound() {
    for (Pod pod : pods) {
      client.sendAsync(HttpRequest.newBuilder(URI.create("http://" + pod.hostPort()
          + "/reviews/0")).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.discarding());
    }
  }

  /** Prometheus targets with the labels Kubernetes SD relabelling would give each pod. */
  List<PrometheusChild.Target> targets(String cluster) {
    return pods.stream().map(p -> new PrometheusChild.Target(p.hostPort(), Map.of(
        "cluster", cluster, "namespace", "bookinfo", "service", "reviews",
        "pod_ip", p.podIp))).toList();
  }

  void setFailing(boolean failing) {
    pods.forEach(p -> p.failing.set(failing));
  }

  @Override
  public void close() {
    traffic.shutdownNow();
    pods.forEach(p -> p.server.stop(0));
  }

  private static void respond(HttpExchange exchange, int status, String body)
      throws IOException {
    try (exchange) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
      exchange.sendResponseHeaders(status, bytes.length);
      exchange.getResponseBody().write(bytes);
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
