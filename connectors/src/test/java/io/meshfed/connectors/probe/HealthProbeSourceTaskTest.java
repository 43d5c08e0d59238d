package io.meshfed.connectors.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.HealthOutcome;
import io.meshfed.avro.HealthSignal;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.connectors.testing.CommittedOffsetContext;
import io.meshfed.connectors.testing.LoopbackHttpServer;
import io.meshfed.connectors.testing.RealRegistry;
import io.meshfed.connectors.testing.RegistryPath;
import io.meshfed.connectors.testing.RegistryPath.Fault;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Probes of real loopback servers (healthy, failing, hanging, wrong body, nothing listening),
 * written with the real registry; its outages through a {@link RegistryPath}.
 */
class HealthProbeSourceTaskTest {

  final AtomicBoolean vmOneFailing = new AtomicBoolean();
  LoopbackHttpServer vmOne;
  LoopbackHttpServer vmTwo;
  LoopbackHttpServer hanging;
  LoopbackHttpServer wrongBody;
  ServerSocket tcpListening;
  int closedPort;
  RealRegistry registry;
  HealthProbeSourceTask task;
  private final CountDownLatch hangUntilTheEnd = new CountDownLatch(1);

  @BeforeEach
  void start() throws Exception {
    vmOne = new LoopbackHttpServer(exchange -> LoopbackHttpServer.respond(exchange,
        vmOneFailing.get() ? 500 : 200, "text/plain", vmOneFailing.get() ? "down" : "ok"));
    vmTwo = new LoopbackHttpServer(exchange ->
        LoopbackHttpServer.respond(exchange, 200, "text/plain", "ok"));
    // Hangs until the test ends (or 30 s): the probe's timeout, not the server, ends it.
    hanging = new LoopbackHttpServer(exchange -> hangUntilTheEnd.await(30, TimeUnit.SECONDS));
    wrongBody = new LoopbackHttpServer(exchange ->
        LoopbackHttpServer.respond(exchange, 200, "text/plain", "maintenance"));
    tcpListening = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    registry = new RealRegistry();
  }

  @AfterEach
  void stop() throws Exception {
    hangUntilTheEnd.countDown();
    if (task != null) {
      task.stop();
    }
    for (LoopbackHttpServer server : List.of(vmOne, vmTwo, hanging, wrongBody)) {
      server.close();
    }
    tcpListening.close();
  }

  Map<String, String> config(String protocol, String... targets) {
    Map<String, String> props = new HashMap<>();
    props.put("meshfed.cluster", "mgmt-cluster");
    props.put("probe.targets", String.join(",", targets));
    props.put("probe.protocol", protocol);
    props.put("probe.http.path", "/healthz");
    props.put("probe.http.expected.body", "ok");
    props.put("probe.interval.ms", "200");
    props.put("probe.jitter.ms", "50");
    props.put("probe.timeout.ms", "500");
    props.put("retry.backoff.ms", "100");
    props.put("registry.url", RealRegistry.url());
    props.put("registry.auto.register", "true");
    return props;
  }

  String target(String service, int port) {
    return "bookinfo/" + service + "/127.0.0.1:" + port;
  }

  Map<String, HealthOutcome> round() throws Exception {
    List<SourceRecord> records = null;
    for (int i = 0; i < 20 && records == null; i++) {
      records = task.poll();
    }
    Map<String, HealthOutcome> outcomes = new LinkedHashMap<>();
    for (SourceRecord record : records) {
      HealthSignal signal = (HealthSignal) registry.decode(record.topic(),
          (byte[]) record.value());
      assertThat(record.topic()).isEqualTo("meshfed.cluster.mgmt-cluster.events");
      assertThat(new String((byte[]) record.key(), StandardCharsets.UTF_8)).isEqualTo(
          "mgmt-cluster/Health/bookinfo/" + signal.getService() + "/127.0.0.1:"
              + signal.getPort());
      outcomes.put(signal.getService(), signal.getOutcome());
    }
    return outcomes;
  }

  @Test
  void httpProbesReportEachTargetAndAHangingOneIsATimeoutWithinTheRound() throws Exception {
    task = new HealthProbeSourceTask();
    task.start(config("HTTP", target("vm-one", vmOne.port()), target("vm-two", vmTwo.port()),
        target("vm-hanging", hanging.port()), target("vm-maintenance", wrongBody.port()),
        target("vm-gone", closedPort)));
    long started = System.nanoTime();
    assertThat(round()).containsExactly(
        Map.entry("vm-one", HealthOutcome.SUCCESS),
        Map.entry("vm-two", HealthOutcome.SUCCESS),
        Map.entry("vm-hanging", HealthOutcome.TIMEOUT),
        Map.entry("vm-maintenance", HealthOutcome.ERROR),
        Map.entry("vm-gone", HealthOutcome.ERROR));
    assertThat((System.nanoTime() - started) / 1_000_000).as("one round, probes concurrent")
        .isLessThan(2_000);

    vmOneFailing.set(true);
    assertThat(round()).containsEntry("vm-one", HealthOutcome.ERROR)
        .containsEntry("vm-two", HealthOutcome.SUCCESS);
  }

  @Test
  void tcpProbesSucceedWhenAConnectionIsAccepted() throws Exception {
    task = new HealthProbeSourceTask();
    task.start(config("TCP", target("db-vm", tcpListening.getLocalPort()),
        target("db-gone", closedPort)));
    assertThat(round()).containsExactly(Map.entry("db-vm", HealthOutcome.SUCCESS),
        Map.entry("db-gone", HealthOutcome.ERROR));
  }

  @Test
  void aRegistryOutageWritesNothingAndTheNextRoundIsWrittenWhenItIsBack() throws Exception {
    try (RegistryPath path = new RegistryPath()) {
      path.fail(Fault.DOWN);
      Map<String, String> props = config("HTTP", target("vm-one", vmOne.port()));
      props.put("registry.url", path.url());
      task = new HealthProbeSourceTask();
      task.start(props);
      assertThatThrownBy(task::poll).isInstanceOf(RetriableException.class)
          .hasMessageContaining("not written, no health signals")
          .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(450));
      path.restore();
      assertThat(round()).containsExactly(Map.entry("vm-one", HealthOutcome.SUCCESS));
    }
  }

  @Test
  void badTargetsAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> new HealthProbeSourceConfig(config("HTTP", "bookinfo/vm-one")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("probe.targets");
    Map<String, String> props = config("HTTP", target("vm-one", 80));
    props.put("probe.http.expected.status", "299-200");
    assertThatThrownBy(() -> new HealthProbeSourceConfig(props))
        .isInstanceOf(ConfigException.class).hasMessageContaining("probe.http.expected.status");
  }

  @Test
  void aRegistryOutageLongerThanFailAfterFailsTheTaskWithTheReason() throws Exception {
    try (RegistryPath path = new RegistryPath()) {
      path.fail(Fault.DOWN);
      Map<String, String> props = config("HTTP", target("vm-one", vmOne.port()));
      props.put("registry.url", path.url());
      props.put("fail.after.ms", "0");
      task = new HealthProbeSourceTask();
      task.start(props);
      // Not retriable: the worker marks the task FAILED and the status API's trace says why.
      assertThatThrownBy(task::poll).isInstanceOf(ConnectException.class)
          .isNotInstanceOf(RetriableException.class)
          .hasMessageContaining("fail.after.ms").hasMessageContaining("no health signals")
          .hasMessageContaining(path.url())
          .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(600));
    }
  }

  @Test
  void registryRequestTimeoutIsTypedValidatedAndEndsARoundTheRegistryLeavesUnanswered()
      throws Exception {
    Map<String, String> props = config("HTTP", target("vm-one", vmOne.port()));
    // Unset: the Prometheus source's default, 10 s.
    assertThat(new HealthProbeSourceConfig(props).registry().requestTimeout())
        .isEqualTo(Duration.ofSeconds(10));
    for (String bad : List.of("99", "300001", "ten", "")) {
      props.put("registry.request.timeout.ms", bad);
      assertThatThrownBy(() -> new HealthProbeSourceConfig(props)).as(bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("registry.request.timeout.ms");
    }
    try (RegistryPath path = new RegistryPath()) {
      path.fail(Fault.UNANSWERED);
      props.put("registry.url", path.url());
      props.put("registry.request.timeout.ms", "1000");
      assertThat(new HealthProbeSourceConfig(props).registry().requestTimeout())
          .isEqualTo(Duration.ofSeconds(1));
      task = new HealthProbeSourceTask();
      task.start(props);
      // Nothing answers: the request's own timeout, not a reset, ends the round.
      assertThatThrownBy(task::poll).isInstanceOf(RetriableException.class)
          .hasMessageContaining("not written, no health signals")
          .hasMessageContaining("timed out")
          .hasMessageContaining(path.url());
    }
  }

  @Test
  void membersArePublishedWithAHeartbeatEveryRoundAndDroppedServicesAreDeleted()
      throws Exception {
    Map<String, String> props = config("HTTP", target("vm-one", vmOne.port()),
        target("vm-two", vmTwo.port()));
    props.put("meshfed.cluster", "vm-datacenter");
    props.put("members.publish", "true");
    props.put("members.labels", "app=ratings,tier=vm");
    props.put("members.region", "on-prem");
    task = new HealthProbeSourceTask();
    // The last committed round listed bookinfo/vm-gone, which the config no longer declares.
    task.initialize(new CommittedOffsetContext(Map.of("round.time.ms", 1L,
        HealthProbeSourceTask.MEMBERS_OFFSET, "bookinfo/vm-gone,bookinfo/vm-one")));
    task.start(props);

    List<SourceRecord> first = poll();
    Map<String, Object> values = decodeAll(first);
    assertThat(values.keySet()).containsExactly(
        "vm-datacenter/Heartbeat",
        "vm-datacenter/Service/bookinfo/vm-gone", "vm-datacenter/Endpoints/bookinfo/vm-gone",
        "vm-datacenter/Service/bookinfo/vm-one", "vm-datacenter/Endpoints/bookinfo/vm-one",
        "vm-datacenter/Service/bookinfo/vm-two", "vm-datacenter/Endpoints/bookinfo/vm-two",
        "vm-datacenter/Health/bookinfo/vm-one/127.0.0.1:" + vmOne.port(),
        "vm-datacenter/Health/bookinfo/vm-two/127.0.0.1:" + vmTwo.port());
    assertThat(values.get("vm-datacenter/Service/bookinfo/vm-gone")).isNull();
    assertThat(values.get("vm-datacenter/Endpoints/bookinfo/vm-gone")).isNull();
    ClusterHeartbeat heartbeat = (ClusterHeartbeat) values.get("vm-datacenter/Heartbeat");
    assertThat(heartbeat.getRegion()).isEqualTo("on-prem");
    ServiceSnapshot service = (ServiceSnapshot) values.get(
        "vm-datacenter/Service/bookinfo/vm-one");
    assertThat(service.getLabels()).containsExactlyInAnyOrderEntriesOf(
        Map.of("app", "ratings", "tier", "vm"));
    assertThat(service.getPorts()).singleElement().satisfies(port -> {
      assertThat(port.getName()).isEqualTo("http");
      assertThat(port.getNumber()).isEqualTo(vmOne.port());
    });
    EndpointSnapshot endpoints = (EndpointSnapshot) values.get(
        "vm-datacenter/Endpoints/bookinfo/vm-one");
    assertThat(endpoints.getEndpoints()).singleElement().satisfies(e -> {
      assertThat(e.getAddresses()).containsExactly("127.0.0.1");
      assertThat(e.getReady()).isTrue();
    });
    // The offset names the services now published, for the next start's deletions.
    assertThat(first.get(first.size() - 1).sourceOffset().get("members"))
        .isEqualTo("bookinfo/vm-one,bookinfo/vm-two");

    // Later rounds: heartbeat and health only; the snapshots stay on the compacted topic.
    assertThat(decodeAll(poll()).keySet()).containsExactly("vm-datacenter/Heartbeat",
        "vm-datacenter/Health/bookinfo/vm-one/127.0.0.1:" + vmOne.port(),
        "vm-datacenter/Health/bookinfo/vm-two/127.0.0.1:" + vmTwo.port());
  }

  @Test
  void membersOfOneServiceMustShareAPort() {
    Map<String, String> props = config("HTTP", target("vm", 1000), target("vm", 1001));
    props.put("members.publish", "true");
    assertThatThrownBy(() -> new HealthProbeSourceConfig(props))
        .isInstanceOf(ConfigException.class).hasMessageContaining("same port");
    props.put("members.labels", "not a label");
    props.put("probe.targets", target("vm", 1000));
    assertThatThrownBy(() -> new HealthProbeSourceConfig(props))
        .isInstanceOf(ConfigException.class).hasMessageContaining("members.labels");
  }

  List<SourceRecord> poll() throws Exception {
    List<SourceRecord> records = null;
    for (int i = 0; i < 20 && records == null; i++) {
      records = task.poll();
    }
    return records;
  }

  /** Key to decoded value (null for a tombstone), in record order. */
  Map<String, Object> decodeAll(List<SourceRecord> records) {
    Map<String, Object> values = new LinkedHashMap<>();
    for (SourceRecord record : records) {
      assertThat(record.topic()).isEqualTo("meshfed.cluster.vm-datacenter.events");
      values.put(new String((byte[]) record.key(), StandardCharsets.UTF_8),
          record.value() == null ? null : registry.decode(record.topic(),
              (byte[]) record.value()));
    }
    return values;
  }

}
