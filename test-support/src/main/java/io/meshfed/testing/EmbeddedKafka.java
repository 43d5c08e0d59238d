package io.meshfed.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real Kafka broker (KRaft, one combined controller+broker node) running in this JVM, its
 * listeners on 127.0.0.1 only.
 *
 * <p>This is the only place that touches Kafka's server internals ({@code KafkaRaftServer},
 * {@code Formatter}), so a change of that internal API is mended here and nowhere else. Kafka's
 * own test kit ({@code KafkaClusterTestKit}) is not used: it pre-binds its listeners on every
 * interface, whatever the listener's host says.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final String BROKER = "PLAINTEXT";
  private static final String CONTROLLER = "CONTROLLER";

  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private final Path temporaryDir;

  private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers, Path temporaryDir) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
    this.temporaryDir = temporaryDir;
  }

  /** Starts a one-node broker with its data in a temporary directory deleted on close. */
  public static EmbeddedKafka start() {
    return start(null);
  }

  /**
   * Starts a one-node broker. With {@code dataDir} set, the log directories live there and
   * survive {@link #close()}, so a later start on the same directory resumes its data: the
   * cluster id is kept in {@value #CLUSTER_ID_FILE} and a formatted directory is not formatted
   * again (formatting would give the logs a new cluster id and the broker would refuse them).
   * The ports are new free ones on every start.
   */
  public static EmbeddedKafka start(Path dataDir) {
    return start(dataDir, 0);
  }

  /** As {@link #start(Path)}, the broker listening on 127.0.0.1:{@code port} (0: a free one). */
  public static EmbeddedKafka start(Path dataDir, int port) {
    Path temporary = null;
    try {
      if (dataDir == null) {
        temporary = Files.createTempDirectory("meshfed-kafka");
      }
      Path dir = dataDir != null ? dataDir : temporary;
      Files.createDirectories(dir);
      String clusterId = readClusterId(dir);
      if (clusterId != null && !Files.exists(dir.resolve("logs").resolve("meta.properties"))) {
        throw new IllegalStateException(dir + " holds a broker of an older meshfed (laid out by"
            + " Kafka's test kit), which this one cannot resume; remove it or use another"
            + " directory");
      }
      if (clusterId == null) {
        clusterId = Uuid.randomUuid().toString();
        format(dir, clusterId);
        Files.writeString(dir.resolve(CLUSTER_ID_FILE), clusterId + "\n");
      }
      // A free port is probed, then bound by the broker: another process may take it in
      // between, rarely; then the start is tried again on new ports.
      for (int attempt = 1; ; attempt++) {
        int brokerPort = port > 0 ? port : freePort();
        int controllerPort = freePort();
        KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(
            config(dir, brokerPort, controllerPort), false), Time.SYSTEM);
        try {
          server.startup();
          return new EmbeddedKafka(server, "127.0.0.1:" + brokerPort, temporary);
        } catch (RuntimeException e) {
          server.shutdown();
          server.awaitShutdown();
          if (attempt == 3 || !portTaken(e) || port > 0) {
            throw e;
          }
        }
      }
    } catch (Exception e) {
      if (temporary != null) {
        deleteRecursively(temporary);
      }
      throw new IllegalStateException("embedded Kafka broker failed to start: " + e.getMessage(),
          e);
    }
  }

  private static Map<String, Object> config(Path dir, int brokerPort, int controllerPort) {
    Map<String, Object> p = new HashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "0");
    p.put("controller.quorum.voters", "0@127.0.0.1:" + controllerPort);
    p.put("listeners", BROKER + "://127.0.0.1:" + brokerPort + "," + CONTROLLER
        + "://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", BROKER + "://127.0.0.1:" + brokerPort);
    p.put("listener.security.protocol.map", BROKER + ":PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
    p.put("inter.broker.listener.name", BROKER);
    p.put("controller.listener.names", CONTROLLER);
    p.put("log.dirs", dir.resolve("logs").toAbsolutePath().toString());
    // Not defaulted for one node: consumer groups and transactions hang without them.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    p.put("server.max.startup.time.ms", String.valueOf(Duration.ofMinutes(2).toMillis()));
    return p;
  }

  private static void format(Path dir, String clusterId) throws Exception {
    new Formatter()
        .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
        .setNodeId(0)
        .setClusterId(clusterId)
        .setDirectories(List.of(dir.resolve("logs").toAbsolutePath().toString()))
        .setControllerListenerName(CONTROLLER)
        .setReleaseVersion(MetadataVersion.latestProduction())
        .setHasDynamicQuorum(false)
        .run();
  }

  private static boolean portTaken(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException
          || String.valueOf(t.getMessage()).contains("Address already in use")) {
        return true;
      }
    }
    return false;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void deleteRecursively(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // A temporary directory left behind is harmless.
    }
  }

  /** Marks a data directory that was formatted; holds the cluster id to resume with. */
  public static final String CLUSTER_ID_FILE = "meshfed-cluster.id";

  private static String readClusterId(Path dataDir) {
    Path file = dataDir.resolve(CLUSTER_ID_FILE);
    try {
      return Files.exists(file) ? Files.readString(file).trim() : null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** True when {@code dataDir} holds a broker that {@link #start(Path)} will resume. */
  public static boolean isResumable(Path dataDir) {
    return Files.exists(dataDir.resolve(CLUSTER_ID_FILE));
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** A new admin client; the caller closes it. */
  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
  }

  /** Creates topics that do not exist yet, with one replica each. */
  public void createTopics(int partitions, String... names) {
    createTopics(List.of(names).stream().map(n -> new NewTopic(n, partitions, (short) 1)).toList());
  }

  public void createTopics(Collection<NewTopic> topics) {
    try (Admin admin = admin()) {
      for (var entry : admin.createTopics(topics).values().entrySet()) {
        try {
          entry.getValue().get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("could not create topic " + entry.getKey(), e.getCause());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      throw new IllegalStateException("embedded Kafka broker failed to stop cleanly", e);
    } finally {
      if (temporaryDir != null) {
        deleteRecursively(temporaryDir);
      }
    }
  }
}
