package io.meshfed.connectors.testing;

import io.meshfed.testing.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real Prometheus server (Debian's {@code prometheus} package, /usr/bin/prometheus, or
 * {@code $PROMETHEUS_BIN}) as a child process on 127.0.0.1 and a free port, scraping the
 * targets a test gives it every second. It dies with the test: {@link #close} (from
 * {@code @AfterAll}) and a JVM shutdown hook both destroy it, and its data directory is deleted.
 */
public final class PrometheusProcess implements AutoCloseable {

  /** A scrape target with the labels Kubernetes service discovery would attach to a pod. */
  public record Target(String hostPort, java.util.Map<String, String> labels) {}

  private final Process process;
  private final Path dir;
  private final int port;
  private final Thread hook;

  private PrometheusProcess(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
    this.hook = new Thread(process::destroyForcibly, "prometheus-child-reaper");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** The binary, or null when Prometheus is not installed. */
  public static Path binary() {
    String configured = System.getenv("PROMETHEUS_BIN");
    Path path = Path.of(configured != null && !configured.isBlank() ? configured
        : "/usr/bin/prometheus");
    return Files.isExecutable(path) ? path : null;
  }

  public static PrometheusProcess start(List<Target> targets) {
    Path binary = binary();
    if (binary == null) {
      throw new IllegalStateException("no Prometheus binary (apt-get install prometheus)");
    }
    try {
      Path dir = Files.createTempDirectory("meshfed-prometheus");
      StringBuilder config = new StringBuilder("""
          global:
            scrape_interval: 1s
            scrape_timeout: 900ms
            evaluation_interval: 1s
          scrape_configs:
            - job_name: workload
              static_configs:
          """);
      for (Target target : targets) {
        config.append("      - targets: ['").append(target.hostPort()).append("']\n");
        config.append("        labels:\n");
        target.labels().forEach((k, v) -> config.append("          ").append(k).append(": '")
            .append(v).append("'\n"));
      }
      Files.writeString(dir.resolve("prometheus.yml"), config);
      int port = FreePorts.one();
      Process process = new ProcessBuilder(binary.toString(),
          "--config.file=" + dir.resolve("prometheus.yml"),
          "--storage.tsdb.path=" + dir.resolve("data"),
          "--web.listen-address=127.0.0.1:" + port,
          "--log.level=warn")
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("prometheus.log").toFile())
          .start();
      PrometheusProcess prometheus = new PrometheusProcess(process, dir, port);
      prometheus.awaitReady(Duration.ofSeconds(30));
      return prometheus;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitReady(Duration timeout) {
    HttpClient http = HttpClient.newHttpClient();
    try {
      Awaitility.await("Prometheus ready").atMost(timeout).pollInterval(Duration.ofMillis(100))
          .ignoreExceptionsInstanceOf(IOException.class)
          .until(() -> {
            if (!process.isAlive()) {
              throw new IllegalStateException("Prometheus exited with " + process.exitValue()
                  + ": " + log());
            }
            return http.send(HttpRequest.newBuilder(URI.create(url() + "/-/ready"))
                    .timeout(Duration.ofSeconds(1)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
          });
    } catch (ConditionTimeoutException e) {
      close();
      throw new IllegalStateException("Prometheus not ready within " + timeout + ": " + log(), e);
    }
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public String log() {
    try {
      String text = Files.readString(dir.resolve("prometheus.log"));
      return text.length() <= 2000 ? text : text.substring(text.length() - 2000);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }


  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // already shutting down: the hook runs anyway
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind is harmless
    }
  }
}
