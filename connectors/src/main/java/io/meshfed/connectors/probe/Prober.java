package io.meshfed.connectors.probe;

import io.meshfed.avro.HealthOutcome;
import io.meshfed.connectors.probe.HealthProbeSourceConfig.Protocol;
import io.meshfed.connectors.probe.HealthProbeSourceConfig.Target;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Probes targets concurrently, each bounded by the timeout: a round takes about one timeout
 * however many targets hang. A failed probe is not an error of the prober; it is the health
 * being measured (ERROR, or TIMEOUT for no answer in time).
 */
final class Prober implements AutoCloseable {

  private static final int MAX_BODY = 64 * 1024;

  private final HealthProbeSourceConfig config;
  private final HttpClient http;
  private final ExecutorService pool;

  Prober(HealthProbeSourceConfig config) {
    this.config = config;
    this.http = HttpClient.newBuilder().connectTimeout(config.timeout())
        .version(HttpClient.Version.HTTP_1_1).build();
    this.pool = Executors.newFixedThreadPool(Math.min(32, config.targets().size()), r -> {
      Thread t = new Thread(r, "meshfed-probe");
      t.setDaemon(true);
      return t;
    });
  }

  /** The outcome of every target, in target order. */
  List<HealthOutcome> probeAll() throws InterruptedException {
    List<Future<HealthOutcome>> futures = new ArrayList<>();
    for (Target target : config.targets()) {
      futures.add(pool.submit(() -> probe(target)));
    }
    // A generous bound on top of each probe's own timeout: a probe stuck past it is a TIMEOUT.
    long deadline = System.nanoTime() + config.timeout().multipliedBy(2).toNanos()
        + TimeUnit.SECONDS.toNanos(1);
    List<HealthOutcome> outcomes = new ArrayList<>();
    for (Future<HealthOutcome> future : futures) {
      try {
        outcomes.add(future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      } catch (TimeoutException e) {
        future.cancel(true);
        outcomes.add(HealthOutcome.TIMEOUT);
      } catch (ExecutionException e) {
        outcomes.add(HealthOutcome.ERROR);
      }
    }
    return outcomes;
  }

  private HealthOutcome probe(Target target) {
    return config.protocol() == Protocol.TCP ? probeTcp(target) : probeHttp(target);
  }

  private HealthOutcome probeTcp(Target target) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(target.address(), target.port()),
          (int) config.timeout().toMillis());
      return HealthOutcome.SUCCESS;
    } catch (SocketTimeoutException e) {
      return HealthOutcome.TIMEOUT;
    } catch (IOException e) {
      return HealthOutcome.ERROR;
    }
  }

  private HealthOutcome probeHttp(Target target) {
    String host = target.address().contains(":") ? "[" + target.address() + "]"
        : target.address();
    URI uri = URI.create("http://" + host + ":" + target.port() + config.httpPath());
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(config.timeout()).GET().build();
    try {
      HttpResponse<InputStream> response = http.send(request,
          HttpResponse.BodyHandlers.ofInputStream());
      int[] healthy = config.expectedStatus();
      String body;
      try (InputStream in = response.body()) {
        body = config.expectedBody().isEmpty() ? ""
            : new String(in.readNBytes(MAX_BODY), StandardCharsets.UTF_8);
      }
      boolean statusOk = response.statusCode() >= healthy[0]
          && response.statusCode() <= healthy[1];
      boolean bodyOk = config.expectedBody().isEmpty() || body.contains(config.expectedBody());
      return statusOk && bodyOk ? HealthOutcome.SUCCESS : HealthOutcome.ERROR;
    } catch (HttpTimeoutException e) {
      return HealthOutcome.TIMEOUT;
    } catch (IOException e) {
      return HealthOutcome.ERROR;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return HealthOutcome.TIMEOUT;
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }

}
