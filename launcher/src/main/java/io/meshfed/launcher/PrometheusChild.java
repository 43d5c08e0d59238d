package io.meshfed.launcher;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A real Prometheus server (Debian's {@code prometheus}, /usr/bin/prometheus, or
 * {@code $PROMETHEUS_BIN}) as a child process on 127.0.0.1, scraping the given targets every
 * second, with its data and log in a directory of the stack.
 *
 * <p><b>It dies with this JVM, however this JVM ends.</b> Prometheus is not a JVM, so the
 * {@code ExitWithParent} agent cannot be used; a small guard shell does the same job: it starts
 * Prometheus, then reads its stdin — a pipe from this JVM — until it closes (this JVM closed it,
 * exited, crashed or was killed with {@code kill -9}) and then stops Prometheus. The guard
 * ignores SIGINT, SIGTERM and SIGHUP: a guard that died on the terminal's Ctrl-C (sent to the
 * whole foreground process group) would orphan its child, which is why the registry has no
 * shell in between. Prometheus itself gets the Ctrl-C too and stops on its own.
 */
final class PrometheusChild implements AutoCloseable {

  /** A scrape target and the labels Kubernetes service discovery would give it. */
  record Target(String hostPort, Map<String, String> labels) {}

  /**
   * Ignores the signals, but not for Prometheus: an ignored signal is inherited across exec, and
   * a Prometheus that ignored SIGTERM would outlive the guard's {@code kill}.
   */
  private static final String GUARD = "trap '' INT TERM HUP; "
      + "(trap - INT TERM HUP; exec \"$@\") & child=$!; "
      + "cat >/dev/null; kill $child 2>/dev/null; wait $child";

  private final Process guard;
  private final Path log;
  private final int port;

  private PrometheusChild(Process guard, Path log, int port) {
    this.guard = guard;
    this.log = log;
    this.port = port;
  }

  /** The binary, or null when Prometheus is not installed. */
  static Path binary() {
    String configured = System.getenv("PROMETHEUS_BIN");
    Path path = Path.of(configured != null && !configured.isBlank() ? configured
        : "/usr/bin/prometheus");
    return Files.isExecutable(path) ? path : null;
  }

  static PrometheusChild start(Path dir, List<Target> targets, Duration within)
      throws IOException {
    Path binary = binary();
    if (binary == null) {
      throw new IllegalStateException("no Prometheus binary at /usr/bin/prometheus or"
          + " $PROMETHEUS_BIN");
    }
    Files.createDirectories(dir);
    StringBuilder config = new StringBuilder("""
        # written by meshfed: the demo's reviews pods, scraped every second
        global:
          scrape_interval: 1s
          scrape_timeout: 900ms
        scrape_configs:
          - job_name: reviews
            metrics_path: /stats/prometheus
            static_configs:
        """);
    for (Target target : targets) {
      config.append("      - targets: ['").append(target.hostPort()).append("']\n")
          .append("        labels:\n");
      target.labels().forEach((k, v) -> config.append("          ").append(k).append(": '")
          .append(v).append("'\n"));
    }
    Files.writeString(dir.resolve("prometheus.yml"), config);
    int port;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    Path log = dir.resolve("prometheus.log");
    Process guard = new ProcessBuilder("/bin/sh", "-c", GUARD, "meshfed-prometheus-guard",
        binary.toString(),
        "--config.file=" + dir.resolve("prometheus.yml"),
        "--storage.tsdb.path=" + dir.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port,
        "--log.level=warn")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    PrometheusChild prometheus = new PrometheusChild(guard, log, port);
    try {
      prometheus.awaitReady(within);
    } catch (RuntimeException e) {
      prometheus.close();
      throw e;
    }
    return prometheus;
  }

  private void awaitReady(Duration within) {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (!guard.isAlive()) {
        throw new IllegalStateException("Prometheus exited; its log is " + log);
      }
      try {
        if (http.send(HttpRequest.newBuilder(URI.create(url() + "/-/ready"))
            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding())
            .statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // still starting
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
    throw new IllegalStateException("Prometheus not ready within " + within.toSeconds()
        + " s; its log is " + log);
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  /** Closes the guard's stdin: the guard stops Prometheus and exits; waits for both. */
  @Override
  public void close() {
    List<ProcessHandle> tree = guard.descendants().toList();
    try {
      guard.getOutputStream().close();
    } catch (IOException e) {
      // already closed
    }
    try {
      if (!guard.waitFor(15, TimeUnit.SECONDS)) {
        tree.forEach(ProcessHandle::destroyForcibly);
        guard.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      tree.forEach(ProcessHandle::destroyForcibly);
      guard.destroyForcibly();
    }
  }
}
