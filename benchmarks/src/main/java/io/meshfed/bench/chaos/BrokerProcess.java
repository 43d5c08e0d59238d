package io.meshfed.bench.chaos;

import io.meshfed.testing.FreePorts;
import static org.awaitility.Awaitility.await;

import io.meshfed.testing.ExitWithParent;
import io.meshfed.testing.TcpProxy;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A one-node KRaft broker as a process of its own: the standalone broker of the Kafka jars
 * ({@code kafka.Kafka} with a generated server.properties), so that a fault class can stop it
 * cleanly (SIGTERM: Kafka's shutdown hook) or kill it with SIGKILL and start it again on the
 * same log directory and the same ports, as an operator's restart would. It dies with this JVM
 * (ExitWithParent), listens on 127.0.0.1 only, and its ports are chosen once, at construction.
 *
 * <p>Three client listeners: INTERNAL (the broker's own inter-broker traffic — transaction
 * markers go there — and the suite's admin and observer), AGENT and TOPOLOGY. Each of the last
 * two may be advertised at another port, where a {@link TcpProxy} forwards to it: a client
 * that bootstraps through the proxy is told the proxy's address for every later connection, so
 * every byte of that client crosses the proxy, and only that client's.
 */
final class BrokerProcess implements AutoCloseable {

  private final Path dir;
  private final Path log;
  private final Path agentJar;
  final int internalPort;
  final int agentPort;
  final int topologyPort;
  private final int controllerPort;
  private Process process;

  /**
   * A broker on a new log directory under {@code dir}, formatted now; {@code agentAdvertised}
   * and {@code topologyAdvertised} are where clients of those listeners are told to connect
   * (0: the listener's own port).
   */
  BrokerProcess(Path dir, int agentAdvertised, int topologyAdvertised) throws Exception {
    this.dir = dir;
    this.log = dir.resolve("broker.log");
    Files.createDirectories(dir);
    this.agentJar = ExitWithParent.agentJar(dir);
    int[] ports = FreePorts.distinct(4);
    internalPort = ports[0];
    agentPort = ports[1];
    topologyPort = ports[2];
    controllerPort = ports[3];
    writeProperties(agentAdvertised > 0 ? agentAdvertised : agentPort,
        topologyAdvertised > 0 ? topologyAdvertised : topologyPort);
    new Formatter()
        .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
        .setNodeId(0)
        .setClusterId(Uuid.randomUuid().toString())
        .setDirectories(List.of(logDir().toString()))
        .setControllerListenerName("CONTROLLER")
        .setReleaseVersion(MetadataVersion.latestProduction())
        .setHasDynamicQuorum(false)
        .run();
  }

  private Path logDir() {
    return dir.resolve("logs").toAbsolutePath();
  }

  /** The never-faulted listener, for the suite's own clients. */
  String internal() {
    return "127.0.0.1:" + internalPort;
  }

  String agent() {
    return "127.0.0.1:" + agentPort;
  }

  String topology() {
    return "127.0.0.1:" + topologyPort;
  }

  private void writeProperties(int agentAdvertised, int topologyAdvertised) throws IOException {
    Properties p = new Properties();
    p.setProperty("process.roles", "broker,controller");
    p.setProperty("node.id", "0");
    p.setProperty("controller.quorum.voters", "0@127.0.0.1:" + controllerPort);
    p.setProperty("listeners", "INTERNAL://127.0.0.1:" + internalPort
        + ",AGENT://127.0.0.1:" + agentPort + ",TOPOLOGY://127.0.0.1:" + topologyPort
        + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.setProperty("advertised.listeners", "INTERNAL://127.0.0.1:" + internalPort
        + ",AGENT://127.0.0.1:" + agentAdvertised + ",TOPOLOGY://127.0.0.1:"
        + topologyAdvertised);
    p.setProperty("listener.security.protocol.map",
        "INTERNAL:PLAINTEXT,AGENT:PLAINTEXT,TOPOLOGY:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.setProperty("inter.broker.listener.name", "INTERNAL");
    p.setProperty("controller.listener.names", "CONTROLLER");
    p.setProperty("log.dirs", logDir().toString());
    // As EmbeddedKafka: one node needs these, or groups and transactions hang.
    p.setProperty("offsets.topic.replication.factor", "1");
    p.setProperty("offsets.topic.num.partitions", "4");
    p.setProperty("transaction.state.log.replication.factor", "1");
    p.setProperty("transaction.state.log.min.isr", "1");
    p.setProperty("transaction.state.log.num.partitions", "4");
    p.setProperty("share.coordinator.state.topic.replication.factor", "1");
    p.setProperty("share.coordinator.state.topic.min.isr", "1");
    p.setProperty("group.initial.rebalance.delay.ms", "0");
    // As EmbeddedKafka: the topology's 3 s session is under a stock broker's 6 s minimum.
    p.setProperty("group.min.session.timeout.ms",
        String.valueOf(io.meshfed.testing.EmbeddedKafka.MIN_SESSION_TIMEOUT_MS));
    p.setProperty("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
    p.setProperty("auto.create.topics.enable", "false");
    // A restart on a busy machine (load 100 on 2 cores) took over the two minutes EmbeddedKafka
    // allows, and the broker gave up ("Timed out while waiting for the controller metadata
    // publishers to be installed"): a fault of the machine, not one this class injects.
    p.setProperty("server.max.startup.time.ms", String.valueOf(Duration.ofMinutes(10).toMillis()));
    try (OutputStream out = Files.newOutputStream(dir.resolve("server.properties"))) {
      p.store(out, "meshfed chaos: a broker process restarted on the same log directory");
    }
  }

  /** Starts the process and waits (bounded) until it answers on the internal listener. */
  void start(Duration timeout) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-javaagent:" + agentJar,
        "-cp", System.getProperty("java.class.path"),
        "kafka.Kafka", dir.resolve("server.properties").toString()));
    // Standard input stays a pipe from this JVM: ExitWithParent ends the broker when it closes.
    process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    try (Admin admin = Admin.create(Map.<String, Object>of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, internal(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000))) {
      await().atMost(timeout).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
          .until(() -> {
            if (!process.isAlive()) {
              throw new IllegalStateException("broker process exited with "
                  + process.exitValue() + "; see " + log);
            }
            // The listeners accept requests only once the broker has started.
            return admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() == 1;
          });
    }
  }

  /**
   * Stops the broker: clean (SIGTERM; Kafka's shutdown hook flushes and closes the logs) or
   * hard (SIGKILL: nothing flushed, the next start recovers the logs). A clean stop that takes
   * longer than {@code timeout} is finished with SIGKILL; false then.
   */
  boolean stop(boolean clean, Duration timeout) throws InterruptedException {
    if (process == null) {
      return true;
    }
    if (clean) {
      process.destroy();
      if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process = null;
        return true;
      }
    }
    process.destroyForcibly();
    process.waitFor();
    process = null;
    return !clean;
  }

  Path log() {
    return log;
  }

  @Override
  public void close() throws InterruptedException {
    stop(false, Duration.ZERO);
  }

}
