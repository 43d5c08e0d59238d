package io.meshfed.connectors.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshfed.avro.HealthOutcome;
import io.meshfed.avro.HealthSignal;
import io.meshfed.connectors.testing.CommittedOffsetContext;
import io.meshfed.connectors.testing.LoopbackHttpServer;
import io.meshfed.connectors.testing.RealRegistry;
import io.meshfed.connectors.testing.RegistryPath;
import io.meshfed.connectors.testing.RegistryPath.Fault;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The task against a loopback server standing in for a faulty Prometheus, and against the real
 * schema registry, reached directly or through a {@link RegistryPath} that breaks: every
 * failure emits nothing, says what failed in a bounded message, and the same window is emitted
 * once the dependency is back. (The normal path against a real Prometheus is
 * {@link RealPrometheusTest}.)
 */
class PrometheusHealthSourceTaskTest {

  /** How the stand-in Prometheus answers. */
  enum Mode { GOOD, GARBAGE, WRONG_SHAPE, HTTP_500, HANG, HUGE }

  private final CountDownLatch hangUntilTheEnd = new CountDownLatch(1);

  static final Instant START = Instant.parse("2026-12-01T12:00:07Z");
  static final String VECTOR = """
      {"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"destination_cluster":"mgmt-cluster","namespace":"bookinfo","service":"reviews","instance":"10.0.0.7:15020"},"value":[%1$s,"0.25"]},
        {"metric":{"destination_cluster":"mgmt-cluster","namespace":"bookinfo","service":"reviews","instance":"10.0.0.8:15020"},"value":[%1$s,"0"]},
        {"metric":{"destination_cluster":"mgmt-cluster","namespace":"bookinfo","service":"ratings","instance":"10.0.0.9:15020"},"value":[%1$s,"NaN"]},
        {"metric":{"destination_cluster":"mgmt-cluster","namespace":"bookinfo","instance":"10.0.0.10:15020"},"value":[%1$s,"1"]}
      ]}}""";

  final AtomicReference<Mode> mode = new AtomicReference<>(Mode.GOOD);
  final AtomicReference<String> lastQueryTime = new AtomicReference<>();
  final MutableClock clock = new MutableClock(START);
  LoopbackHttpServer prometheus;
  RealRegistry registry;
  PrometheusHealthSourceTask task;

  @BeforeEach
  void start() {
    prometheus = new LoopbackHttpServer(exchange -> {
      String query = exchange.getRequestURI().getQuery();
      String time = query.replaceAll(".*[?&]?time=([^&]+).*", "$1");
      lastQueryTime.set(time);
      switch (mode.get()) {
        case GOOD -> LoopbackHttpServer.respond(exchange, 200, "application/json",
            VECTOR.formatted(time));
        case GARBAGE -> LoopbackHttpServer.respond(exchange, 200, "text/html",
            "<html>\n<head><title>Login - Corporate SSO</title></head>" + "x".repeat(10_000));
        case WRONG_SHAPE -> LoopbackHttpServer.respond(exchange, 200, "application/json",
            "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}");
        case HTTP_500 -> LoopbackHttpServer.respond(exchange, 500, "text/plain",
            "internal error: " + "y".repeat(5_000));
        case HUGE -> LoopbackHttpServer.respond(exchange, 200, "application/json",
            "[" + "0,".repeat(600_000) + "0]");
        // Hangs until the test ends (or 30 s): the task's timeout, not the server, ends it.
        case HANG -> hangUntilTheEnd.await(30, TimeUnit.SECONDS);
      }
    });
    registry = new RealRegistry();
  }

  @AfterEach
  void stop() {
    hangUntilTheEnd.countDown();
    if (task != null) {
      task.stop();
    }
    prometheus.close();
  }

  Map<String, String> config(String prometheusUrl) {
    Map<String, String> props = new HashMap<>();
    props.put("prometheus.url", prometheusUrl);
    props.put("prometheus.query", "health_query_over_{{window}}");
    // Long enough for a good answer on a loaded machine (500 ms timed out at load 68); the
    // hanging case costs it once.
    props.put("prometheus.request.timeout.ms", "2000");
    props.put("prometheus.max.response.bytes", "1048576");
    props.put("label.cluster", "destination_cluster");
    props.put("endpoint.port", "9080");
    props.put("window.ms", "10000");
    props.put("evaluation.delay.ms", "2000");
    props.put("retry.backoff.ms", "1000");
    props.put("fail.after.ms", "60000");
    props.put("registry.url", RealRegistry.url());
    props.put("registry.auto.register", "true");
    return props;
  }

  PrometheusHealthSourceTask started(Map<String, String> props) {
    task = new PrometheusHealthSourceTask(clock);
    task.start(props);
    return task;
  }

  @Test
  void goodAnswerBecomesOneSignalPerEndpointKeyedAsAgentsKeyThem() throws Exception {
    List<SourceRecord> records = started(config(prometheus.url())).poll();

    // The newest window whose evaluation delay has passed: 12:00:07 - 2 s -> ends 12:00:00.
    assertThat(lastQueryTime.get()).isEqualTo("1796126400.000");
    assertThat(records).hasSize(2);
    SourceRecord first = records.get(0);
    assertThat(first.topic()).isEqualTo("meshfed.cluster.mgmt-cluster.events");
    assertThat(new String((byte[]) first.key(), StandardCharsets.UTF_8))
        .isEqualTo("mgmt-cluster/Health/bookinfo/reviews/10.0.0.7:9080");
    HealthSignal signal = decode(first);
    assertThat(signal.getOutcome()).isEqualTo(HealthOutcome.ERROR);
    assertThat(signal.getAddress()).isEqualTo("10.0.0.7");
    assertThat(signal.getPort()).isEqualTo(9080);
    assertThat(signal.getTime()).isEqualTo(Instant.parse("2026-12-01T12:00:00Z"));
    assertThat(decode(records.get(1)).getOutcome()).isEqualTo(HealthOutcome.SUCCESS);
    assertThat(first.sourceOffset()).isEqualTo(Map.of("window.end.ms",
        Instant.parse("2026-12-01T12:00:00Z").toEpochMilli()));

    // The same window is not evaluated twice; the next one when its delay has passed.
    assertThat(task.poll()).isNull();
    clock.set(Instant.parse("2026-12-01T12:00:12Z"));
    assertThat(task.poll()).hasSize(2);
    assertThat(lastQueryTime.get()).isEqualTo("1796126410.000");
  }

  @Test
  void successRatioAndThresholdDecideTheOutcome() throws Exception {
    Map<String, String> props = config(prometheus.url());
    props.put("prometheus.query.value", "SUCCESS_RATIO");
    props.put("error.ratio.threshold", "0.5");
    List<SourceRecord> records = started(props).poll();
    // Success 0.25 = errors 0.75 > 0.5: ERROR; success 0 = errors 1: ERROR.
    assertThat(records).extracting(r -> decode(r).getOutcome())
        .containsExactly(HealthOutcome.ERROR, HealthOutcome.ERROR);
  }

  @Test
  void eachPrometheusFaultEmitsNothingAndTheSameWindowIsEmittedWhenItIsBack() throws Exception {
    assertFaultThenRecovery(Mode.GARBAGE, "not its JSON API", "Login - Corporate SSO");
    assertFaultThenRecovery(Mode.WRONG_SHAPE, "not an instant vector", "prometheus.query");
    assertFaultThenRecovery(Mode.HTTP_500, "answered HTTP 500", "internal error");
    assertFaultThenRecovery(Mode.HANG, "did not answer within 2000 ms", "/api/v1/query");
    assertFaultThenRecovery(Mode.HUGE, "more than 1048576 bytes", "prometheus.max.response.bytes");
  }

  private void assertFaultThenRecovery(Mode fault, String... expected) throws Exception {
    clock.set(START);
    mode.set(fault);
    started(config(prometheus.url()));
    assertThatThrownBy(task::poll)
        .isInstanceOf(RetriableException.class)
        .hasMessageContaining("no health signals for the window ending 2026-12-01T12:00:00Z")
        .hasMessageContainingAll(expected)
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(450));
    // Within the backoff the task waits instead of hammering the server.
    mode.set(Mode.GOOD);
    assertThat(task.poll()).isNull();
    // Back, and later than the window's due time: the missed window, not a newer one.
    clock.set(START.plusMillis(1_500));
    assertThat(task.poll()).hasSize(2);
    assertThat(lastQueryTime.get()).isEqualTo("1796126400.000");
    task.stop();
  }

  @Test
  void unreachablePrometheusEmitsNothingAndTheTaskFailsVisiblyAfterFailAfter() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Map<String, String> props = config("http://127.0.0.1:" + closedPort);
    props.put("fail.after.ms", "30000");
    started(props);
    assertThatThrownBy(task::poll).isInstanceOf(RetriableException.class)
        .hasMessageContaining("is unreachable")
        .hasMessageContaining("127.0.0.1:" + closedPort);
    clock.set(START.plusSeconds(20));
    assertThatThrownBy(task::poll).isInstanceOf(RetriableException.class);
    clock.set(START.plusSeconds(31));
    assertThatThrownBy(task::poll)
        .isInstanceOf(ConnectException.class)
        .isNotInstanceOf(RetriableException.class)
        .hasMessageContaining("failing since 2026-12-01T12:00:07Z (longer than fail.after.ms)")
        .hasMessageContaining("is unreachable");
  }

  @Test
  void eachRegistryOutageEmitsNothingAndTheWindowIsEmittedWhenItIsBack() throws Exception {
    try (RegistryPath path = new RegistryPath()) {
      // The JDK client words a reset connection several ways; where it failed is what counts.
      assertRegistryOutageThenRecovery(path, Fault.DOWN, "schema registry at " + path.url(),
          "could not register schema");
      assertRegistryOutageThenRecovery(path, Fault.UNANSWERED, "timed out");
      assertRegistryOutageThenRecovery(path, Fault.BROKEN_PROXY, "HTTP 503",
          "upstream connect error");
    }
  }

  /** A new task each time: its registry client has cached no schema id yet. */
  private void assertRegistryOutageThenRecovery(RegistryPath path, Fault fault,
      String... expected) throws Exception {
    clock.set(START);
    Map<String, String> props = config(prometheus.url());
    props.put("registry.url", path.url());
    // What an unanswered request costs; as long as Prometheus' timeout here, for the same reason.
    props.put("registry.request.timeout.ms", "2000");
    path.fail(fault);
    started(props);
    assertThatThrownBy(task::poll).isInstanceOf(RetriableException.class)
        .hasMessageContaining("no health signals for the window ending 2026-12-01T12:00:00Z")
        .hasMessageContaining("HealthSignal")
        .hasMessageContainingAll(expected)
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(450));
    path.restore();
    List<SourceRecord> records = pollOnceTheRegistryAnswers(START.plusSeconds(2));
    assertThat(records).hasSize(2);
    assertThat(decode(records.get(0)).getTime()).isEqualTo(Instant.parse("2026-12-01T12:00:00Z"));
    task.stop();
  }

  /**
   * The next window's records, retried as Connect would if the real registry, on a loaded
   * machine, does not answer within the short timeout the partition case needs (at most five
   * times, one backoff apart); any other failure is the test's.
   */
  private List<SourceRecord> pollOnceTheRegistryAnswers(Instant from) throws Exception {
    RetriableException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      clock.set(from.plusSeconds(attempt));
      try {
        return task.poll();
      } catch (RetriableException e) {
        last = e;
      }
    }
    throw new AssertionError("the registry is back but no window was emitted", last);
  }

  @Test
  void aRestartedTaskResumesAfterTheCommittedWindowAndCatchesUpAtMostTheAllowance()
      throws Exception {
    Map<String, String> props = config(prometheus.url());
    props.put("max.catchup.windows", "3");
    task = new PrometheusHealthSourceTask(clock);
    // Last committed window ended 11:59:30; now the newest due ends 12:00:00: 3 windows missed.
    task.initialize(new CommittedOffsetContext(Map.of(
        PrometheusHealthSourceTask.OFFSET_WINDOW_END, Instant.parse("2026-12-01T11:59:30Z").toEpochMilli())));
    task.start(props);
    assertThat(task.poll()).hasSize(2);
    assertThat(lastQueryTime.get()).isEqualTo("1796126380.000");
    assertThat(task.poll()).hasSize(2);
    assertThat(task.poll()).hasSize(2);
    assertThat(lastQueryTime.get()).isEqualTo("1796126400.000");
    assertThat(task.poll()).isNull();

    // Further behind than the allowance: the oldest windows are skipped.
    task.stop();
    task = new PrometheusHealthSourceTask(clock);
    task.initialize(new CommittedOffsetContext(Map.of(
        PrometheusHealthSourceTask.OFFSET_WINDOW_END, Instant.parse("2026-12-01T11:00:00Z").toEpochMilli())));
    task.start(props);
    assertThat(task.poll()).hasSize(2);
    assertThat(lastQueryTime.get()).isEqualTo("1796126380.000");
  }

  /** Decoded with the real registry, whose id for HealthSignal the record must carry. */
  HealthSignal decode(SourceRecord record) {
    return (HealthSignal) registry.decode(record.topic(), (byte[]) record.value());
  }

  /** A clock the test moves. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void set(Instant instant) {
      now = instant;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

}
