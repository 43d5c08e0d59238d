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
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import java.io.OutputStream;
import java.io.PrintStream;
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
 * listeners on 127.0.0.1 only: open to any client, or secured — SASL SCRAM and an authorizer
 * that denies whatever no ACL allows (see {@link Security}).
 *
 * <p>This is the only place that touches Kafka's server internals ({@code KafkaRaftServer},
 * {@code Formatter}), so a change of that internal API is mended here and nowhere else. Kafka's
 * own test kit ({@code KafkaClusterTestKit}) is not used: it pre-binds its listeners on every
 * interface, whatever the listener's host says.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final String BROKER = "PLAINTEXT";
  /** The broker listener's name when secured: a listener named PLAINTEXT would mislead. */
  private static final String SECURED_BROKER = "SASL";
  private static final String CONTROLLER = "CONTROLLER";

  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private final Path temporaryDir;
  private final Security security;

  private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers, Path temporaryDir,
      Security security) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
    this.temporaryDir = temporaryDir;
    this.security = security;
  }

  /**
   * Authentication and authorization for the broker: clients authenticate with SASL
   * SCRAM-SHA-512 over SASL_PLAINTEXT (loopback only, so no TLS), every request is checked by
   * KRaft's {@code StandardAuthorizer} with {@code allow.everyone.if.no.acl.found=false}, and
   * {@code adminUser} is the one super user: the broker itself (inter-broker and controller
   * traffic) and whoever provisions topics, credentials and ACLs. The admin's SCRAM credential
   * is written into the metadata log when the directory is formatted, so a directory resumed
   * later needs the same password.
   */
  public record Security(String adminUser, String adminPassword) {
    public Security {
      // Both go into a JAAS line and the formatter's SCRAM argument, which have no escaping.
      if (!adminUser.matches("[A-Za-z0-9._-]{1,64}")
          || !adminPassword.matches("[A-Za-z0-9._~-]{8,128}")) {
        throw new IllegalArgumentException("admin user must be 1-64 of [A-Za-z0-9._-] and its"
            + " password 8-128 of [A-Za-z0-9._~-]");
      }
    }

    /** A super user with a new random password. */
    public static Security generated() {
      byte[] secret = new byte[24];
      new java.security.SecureRandom().nextBytes(secret);
      return new Security("meshfed-admin",
          java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
    }

    /** The client settings of {@code user} on this broker: SASL SCRAM-SHA-512, no TLS. */
    public static Map<String, Object> clientSettings(String user, String password) {
      return Map.of("security.protocol", "SASL_PLAINTEXT",
          "sasl.mechanism", SCRAM_MECHANISM,
          "sasl.jaas.config", jaas("org.apache.kafka.common.security.scram.ScramLoginModule",
              user, password, ""));
    }

    /** The admin's client settings. */
    public Map<String, Object> adminClientSettings() {
      return clientSettings(adminUser, adminPassword);
    }

    @Override
    public String toString() {
      return "Security[adminUser=" + adminUser + "]";
    }
  }

  private static final String SCRAM_MECHANISM = "SCRAM-SHA-512";

  private static String jaas(String module, String user, String password, String extra) {
    return module + " required username=\"" + user + "\" password=\"" + password + "\""
        + extra + ";";
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
    return start(dataDir, port, null);
  }

  /**
   * As {@link #start(Path, int)}; with {@code security} set the broker authenticates and
   * authorizes every client (see {@link Security}), with null it is open to anyone on loopback.
   */
  public static EmbeddedKafka start(Path dataDir, int port, Security security) {
    Path temporary = null;
    try {
      if (dataDir == null) {
        temporary = Files.createTempDirectory("meshfed-kafka");
      }
      Path dir = dataDir != null ? dataDir : temporary;
      Files.createDirectories(dir);
      String clusterId = readClusterId(dir);
      boolean resumed = clusterId != null;
      if (clusterId != null && !Files.exists(dir.resolve("logs").resolve("meta.properties"))) {
        throw new IllegalStateException(dir + " holds a broker of an older meshfed (laid out by"
            + " Kafka's test kit), which this one cannot resume; remove it or use another"
            + " directory");
      }
      if (clusterId == null) {
        clusterId = Uuid.randomUuid().toString();
        format(dir, clusterId, security);
        Files.writeString(dir.resolve(CLUSTER_ID_FILE), clusterId + "\n");
      }
      // A free port is probed, then bound by the broker: another process may take it in
      // between, rarely; then the start is tried again on new ports.
      for (int attempt = 1; ; attempt++) {
        int[] free = port > 0 ? FreePorts.distinct(1, port) : FreePorts.distinct(2);
        int brokerPort = port > 0 ? port : free[1];
        int controllerPort = free[0];
        KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(
            config(dir, brokerPort, controllerPort, security), false), Time.SYSTEM);
        // A resumed broker may have been killed: its registration would hold the new one
        // back for a whole broker session (see StaleSessionExpiry).
        StaleSessionExpiry expiry = resumed
            ? StaleSessionExpiry.watch(server, 0, STARTUP_WITHIN) : null;
        try {
          server.startup();
          return new EmbeddedKafka(server, "127.0.0.1:" + brokerPort, temporary, security);
        } catch (RuntimeException e) {
          server.shutdown();
          server.awaitShutdown();
          if (attempt == 3 || !portTaken(e) || port > 0) {
            throw e;
          }
        } finally {
          if (expiry != null) {
            expiry.close();
          }
        }
      }
    } catch (Exception e) {
      if (temporary != null) {
        Directories.deleteRecursively(temporary);
      }
      throw new IllegalStateException("embedded Kafka broker failed to start: " + e.getMessage(),
          e);
    }
  }

  /** The broker's {@code group.min.session.timeout.ms}: the least session a group may ask. */
  public static final int MIN_SESSION_TIMEOUT_MS = 1_000;

  /** How long a start may take (Kafka's {@code server.max.startup.time.ms}). */
  private static final Duration STARTUP_WITHIN = Duration.ofMinutes(2);

  private static Map<String, Object> config(Path dir, int brokerPort, int controllerPort,
      Security security) {
    Map<String, Object> p = new HashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "0");
    p.put("controller.quorum.voters", "0@127.0.0.1:" + controllerPort);
    String broker = security == null ? BROKER : SECURED_BROKER;
    p.put("listeners", broker + "://127.0.0.1:" + brokerPort + "," + CONTROLLER
        + "://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", broker + "://127.0.0.1:" + brokerPort);
    String protocol = security == null ? "PLAINTEXT" : "SASL_PLAINTEXT";
    p.put("listener.security.protocol.map", broker + ":" + protocol + "," + CONTROLLER + ":"
        + protocol);
    p.put("inter.broker.listener.name", broker);
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
    // meshfed's topology asks for a 3 s session so that a kill -9 of one instance stops
    // decisions for under 5 s; a stock broker refuses any session under 6 s. The floor is
    // meshfed's own (CrashDetection.MIN_SESSION): see topology/DESIGN.md, "Crash recovery".
    p.put("group.min.session.timeout.ms", String.valueOf(MIN_SESSION_TIMEOUT_MS));
    // A topology instance killed inside a transaction leaves it open; read_committed readers of
    // what it wrote (the instance taking over its tasks) wait until the coordinator aborts it,
    // at transaction.timeout.ms — but the coordinator looks for such transactions only every
    // 10 s by default, up to 10 s more. Every second here (a scan of a few transactional ids).
    p.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
    p.put("auto.create.topics.enable", "false");
    p.put("server.max.startup.time.ms", String.valueOf(STARTUP_WITHIN.toMillis()));
    // Kafka's 9 s broker session stays: a 3 s session (to shorten the wait a kill -9 caused)
    // fenced the broker under load (NOT_LEADER_OR_FOLLOWER for every client) and failed
    // ResumeTest. That wait — the restarted controller refusing the new incarnation
    // (DUPLICATE_BROKER_REGISTRATION) until the killed one's session expires — is ended
    // instead by StaleSessionExpiry, for the dead incarnation only (issue #20).
    if (security != null) {
      secure(p, security);
    }
    // -Dmeshfed.kafka.broker.X=V lays a broker property over these (for profiling: thread
    // counts, log settings); nothing sets one by default.
    System.getProperties().stringPropertyNames().stream()
        .filter(k -> k.startsWith(BROKER_OVERRIDE))
        .forEach(k -> p.put(k.substring(BROKER_OVERRIDE.length()), System.getProperty(k)));
    return p;
  }

  private static final String BROKER_OVERRIDE = "meshfed.kafka.broker.";

  /**
   * Clients and the broker itself use SCRAM on the broker listener. The controller listener
   * uses SASL PLAIN with a static user list instead: KRaft controllers cannot authenticate with
   * SCRAM, whose credentials live in the metadata log the controller serves.
   */
  private static void secure(Map<String, Object> p, Security security) {
    String broker = "listener.name." + SECURED_BROKER.toLowerCase(java.util.Locale.ROOT) + ".";
    p.put(broker + "sasl.enabled.mechanisms", SCRAM_MECHANISM);
    p.put(broker + SCRAM_MECHANISM.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config",
        jaas("org.apache.kafka.common.security.scram.ScramLoginModule", security.adminUser(),
            security.adminPassword(), ""));
    p.put("sasl.mechanism.inter.broker.protocol", SCRAM_MECHANISM);
    String controller = "listener.name." + CONTROLLER.toLowerCase(java.util.Locale.ROOT) + ".";
    p.put(controller + "sasl.enabled.mechanisms", "PLAIN");
    p.put(controller + "plain.sasl.jaas.config",
        jaas("org.apache.kafka.common.security.plain.PlainLoginModule", security.adminUser(),
            security.adminPassword(), " user_" + security.adminUser() + "=\""
                + security.adminPassword() + "\""));
    p.put("sasl.mechanism.controller.protocol", "PLAIN");
    p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    p.put("allow.everyone.if.no.acl.found", "false");
    p.put("super.users", "User:" + security.adminUser());
  }

  private static void format(Path dir, String clusterId, Security security) throws Exception {
    Formatter formatter = new Formatter();
    if (security != null) {
      // The admin's SCRAM credential must exist before the broker's first inter-broker request.
      formatter.setScramArguments(List.of(SCRAM_MECHANISM + "=[name=" + security.adminUser()
          + ",password=" + security.adminPassword() + "]"));
    }
    formatter
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

  /** The security this broker runs with, or null when it is open. */
  public Security security() {
    return security;
  }

  /**
   * What a client needs to reach this broker with the super user's rights: the bootstrap
   * servers, and on a secured broker the admin's SASL settings.
   */
  public Map<String, Object> adminClientSettings() {
    Map<String, Object> settings = new HashMap<>();
    settings.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    if (security != null) {
      settings.putAll(security.adminClientSettings());
    }
    return settings;
  }

  /** A new admin client (the super user's on a secured broker); the caller closes it. */
  public Admin admin() {
    return Admin.create(adminClientSettings());
  }

  /** Creates topics that do not exist yet, with one replica each. */
  public void createTopics(int partitions, String... names) {
    createTopics(List.of(names).stream().map(n -> new NewTopic(n, partitions, (short) 1)).toList());
  }

  /**
   * Creates topics that do not exist yet and returns once this broker leads every partition of
   * them (see {@link #awaitLeaders}), so a producer may send to them at once.
   */
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
      awaitLeaders(admin, topics.stream().map(NewTopic::name).toList());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** How long {@link #awaitLeaders} waits; minutes only on a machine at a load of 10 or more. */
  static final Duration LEADERS_TIMEOUT = Duration.ofSeconds(120);

  /**
   * Until every partition of the topics answers ListOffsets from its leader. KRaft answers
   * CreateTopics once the controller has committed the topics, before this broker has applied
   * them: a producer that sent at once got NOT_LEADER_OR_FOLLOWER for its first batch, and the
   * idempotent producer's retries of that batch were then refused with
   * OUT_OF_ORDER_SEQUENCE_NUMBER once a second until its delivery.timeout.ms (two minutes)
   * ran out — the end-to-end benchmark's floor section took 134 s instead of 5 s in a CI run.
   * A ListOffsets needs the partition's leader, as a produce does.
   */
  private static void awaitLeaders(Admin admin, List<String> names) throws InterruptedException {
    long deadline = System.nanoTime() + LEADERS_TIMEOUT.toNanos();
    while (true) {
      try {
        Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
        admin.describeTopics(names).allTopicNames().get().forEach((name, topic) ->
            topic.partitions().forEach(p ->
                partitions.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
        admin.listOffsets(partitions).all().get();
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
          throw new IllegalStateException("topics " + names + ": not every partition has a"
              + " leader serving it after " + LEADERS_TIMEOUT.toSeconds() + " s", e.getCause());
        }
        Thread.sleep(20);
      }
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
        Directories.deleteRecursively(temporaryDir);
      }
    }
  }
}
