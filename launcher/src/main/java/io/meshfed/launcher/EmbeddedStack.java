package io.meshfed.launcher;

import io.meshfed.testing.FreePorts;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.meshfed.agent.ClusterAgent;
import io.meshfed.agent.config.AgentConfig;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.testing.EmbeddedKafka;
import io.meshfed.testing.EmbeddedSchemaRegistry;
import io.meshfed.topology.TopologyMain;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.TopologyConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Everything meshfed needs on one machine: a real Kafka broker (KRaft, in-process, data under
 * the work directory), Apicurio Registry (child process), the topology, and one simulated
 * Kubernetes cluster per name with its own agent. The first cluster is the policy source and
 * applies Istio objects; the others apply Kubernetes Services and EndpointSlices.
 */
public final class EmbeddedStack implements AutoCloseable {

  /**
   * How the stack is laid out. Ports: 0 takes a free one, -1 (query and Destination APIs) turns
   * the server off. Every server of the stack listens on 127.0.0.1 only. {@code secured}: the
   * broker authenticates (SASL SCRAM) and authorizes (ACLs) every client and the query API
   * wants a token, with credentials generated into {@code dir} (see {@link #start}); a
   * directory that already holds a stack keeps the mode it was created with.
   */
  public record Settings(Path dir, List<String> clusters, Duration damping, Duration ttl,
      int httpPort, int grpcPort, int registryPort, int kafkaPort, boolean secured) {

    /** Secured, as {@code meshfed up} and {@code demo} run by default. */
    public Settings(Path dir, List<String> clusters, Duration damping, Duration ttl,
        int httpPort, int grpcPort, int registryPort, int kafkaPort) {
      this(dir, clusters, damping, ttl, httpPort, grpcPort, registryPort, kafkaPort, true);
    }

    /** With the registry and the broker on free ports. */
    public Settings(Path dir, List<String> clusters, Duration damping, Duration ttl,
        int httpPort, int grpcPort) {
      this(dir, clusters, damping, ttl, httpPort, grpcPort, 0, 0);
    }

    /** Without the query and Destination APIs (the demo does not need them). */
    public Settings(Path dir, List<String> clusters, Duration damping, Duration ttl) {
      this(dir, clusters, damping, ttl, -1, -1);
    }

    /** With the query API only. */
    public Settings(Path dir, List<String> clusters, Duration damping, Duration ttl,
        int httpPort) {
      this(dir, clusters, damping, ttl, httpPort, -1);
    }

    public Settings withSecured(boolean on) {
      return new Settings(dir, clusters, damping, ttl, httpPort, grpcPort, registryPort,
          kafkaPort, on);
    }
  }

  /** Where a running stack writes its endpoints, for other commands to find them. */
  public static final String ENDPOINTS_FILE = "endpoints.properties";
  /**
   * A secured stack's Kafka client settings for its admin (a super user): what the CLI's own
   * Kafka clients use, and what Kafka's CLI tools take ({@code --consumer.config}).
   */
  public static final String CLIENT_CONFIG_FILE = "client.properties";
  /** A secured stack's query API tokens, one {@code ROLE TOKEN} a line ({@code QueryAccess}). */
  public static final String QUERY_TOKENS_FILE = "query-tokens";
  /** The other principals' generated settings, as each component's config file takes them. */
  public static final String CREDENTIALS_DIR = "credentials";
  /** The broker's super user, kept beside its data: formatted into its metadata log. */
  private static final String ADMIN_FILE = "admin.credentials";

  private final Settings settings;
  private final List<AutoCloseable> running = new ArrayList<>();
  private final Map<String, SimulatedCluster> clusters = new LinkedHashMap<>();
  private EmbeddedKafka kafka;
  /** The simulated clusters while they start, until {@link #boot} takes them. */
  private java.util.concurrent.CompletableFuture<Map<String, SimulatedCluster>>
      clustersStarting;
  private EmbeddedSchemaRegistry registry;
  private KafkaStreams topology;
  private io.meshfed.query.QueryServer query;
  private io.meshfed.destination.DestinationServer destinationApi;
  /** The admin's Kafka client security settings; empty on an open stack. */
  private Map<String, Object> adminClient = Map.of();
  /** Each cluster agent's Kafka client security settings; empty maps on an open stack. */
  private final Map<String, Map<String, String>> agentClients = new LinkedHashMap<>();
  private EmbeddedConnect connect;
  /** Set by {@link #close}, under {@code running}'s lock. */
  private boolean closed;
  private io.meshfed.query.QueryAccess queryAccess =
      io.meshfed.query.QueryAccess.anonymous(io.meshfed.query.QueryAccess.Role.ADMIN);

  private EmbeddedStack(Settings settings) {
    this.settings = settings;
  }

  public static EmbeddedStack start(Settings settings) throws Exception {
    EmbeddedStack stack = new EmbeddedStack(settings);
    try {
      stack.boot();
      return stack;
    } catch (Exception | Error e) {
      stack.close();
      throw e;
    }
  }

  /** A port of {@link Settings} that another process holds. */
  public static final class PortInUse extends IllegalStateException {
    private final int port;

    PortInUse(int port) {
      super("port " + port + " is in use on 127.0.0.1");
      this.port = port;
    }

    public int port() {
      return port;
    }
  }

  /**
   * Binds {@code port} on 127.0.0.1 and keeps it until its server takes it over, so two stacks
   * starting at once cannot both choose it: the second fails here, at once, with
   * {@link PortInUse}. Null for 0 (a free port) and -1 (off).
   */
  private java.net.ServerSocket hold(int port) throws IOException {
    if (port <= 0) {
      return null;
    }
    java.net.ServerSocket socket = new java.net.ServerSocket();
    socket.setReuseAddress(true);
    try {
      socket.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(),
          port), 1);
    } catch (IOException e) {
      socket.close();
      throw new PortInUse(port);
    }
    running.add(socket);
    return socket;
  }

  private void boot() throws Exception {
    Files.createDirectories(settings.dir());
    boolean resuming = isResumable(settings.dir());
    java.net.ServerSocket httpHeld = hold(settings.httpPort());
    java.net.ServerSocket grpcHeld = hold(settings.grpcPort());
    // The registry (a Quarkus JVM) is the longest part of a start: everything that does not
    // need it — the broker, the topics, the consumer group's cleanup, the simulated clusters
    // and their restored objects — is done while it boots, not after.
    registry = EmbeddedSchemaRegistry.launch(settings.dir().resolve("registry"),
        settings.registryPort(), 0);
    running.add(registry);
    // The simulated clusters need nothing else of the stack: they start (and restore their
    // objects) on their own thread while the broker starts, which spends much of its time
    // waiting (the metadata quorum, its registration). 7.7 s of a restart at load 28 was
    // this, after the broker (issue #20).
    clustersStarting = java.util.concurrent.CompletableFuture.supplyAsync(this::startClusters,
        command -> new Thread(command, "stack-clusters-start").start());
    EmbeddedKafka.Security security = brokerSecurity();
    kafka = EmbeddedKafka.start(settings.dir().resolve("kafka"), settings.kafkaPort(), security);
    running.add(kafka);
    log("broker started");
    // The stack's own registry, a C1-only child JVM: a registration under a new subject (the
    // topology's internal schemas are registered on first write) has taken over the 10 s
    // default on a quiet 2-core machine (DemoTest, clean-clone CI 2026-12-03): 60 s, as above.
    TopologyConfig config = TopologyConfig.defaults(kafka.bootstrapServers(),
            RegistryConfig.of(registry.confluentApiUrl()).withAutoRegister(true)
                .withRequestTimeout(Duration.ofSeconds(60)),
            Set.of(settings.clusters().get(0)))
        .withStateDir(settings.dir().resolve("streams"))
        .withTimers(settings.ttl(), settings.damping(), Duration.ofMillis(200));
    config = config.withPartitions(topologyPartitions(resuming, config.partitions()));
    Map<String, Map<String, String>> agentClient = new LinkedHashMap<>();
    Map<String, String> destinationClient = Map.of();
    if (security == null) {
      for (String cluster : settings.clusters()) {
        TopicProvisioner.addCluster(kafka.bootstrapServers(), cluster, (short) 1);
        agentClient.put(cluster, Map.of());
      }
    } else {
      adminClient = security.adminClientSettings();
      Path credentials = settings.dir().resolve(CREDENTIALS_DIR);
      Files.createDirectories(credentials);
      writeSecret(settings.dir().resolve(CLIENT_CONFIG_FILE), "# the stack's Kafka admin (a"
          + " super user): for meshfed's CLI and Kafka's tools (--command-config,"
          + " --consumer.config)\n" + properties(adminClient));
      // Every principal but the admin gets a new password on every start: nothing else has to
      // survive a restart, and the stack's own processes are the only holders.
      try (var admin = org.apache.kafka.clients.admin.Admin.create(adminSettings())) {
        var access = new io.meshfed.admin.AccessAdmin(admin,
            io.meshfed.admin.AccessPlan.DEFAULT_TOPOLOGY_USER);
        for (String cluster : settings.clusters()) {
          var added = access.addCluster(cluster, (short) 1);
          writeSecret(credentials.resolve("agent-" + cluster + ".properties"),
              io.meshfed.admin.ClientConfig.agent(added.agent(), "SASL_PLAINTEXT"));
          agentClient.put(cluster, scram(added.agent()));
        }
        var topologyUser = access.grantTopology(config.applicationId());
        writeSecret(credentials.resolve("topology.properties"),
            io.meshfed.admin.ClientConfig.kafkaClient(topologyUser, "SASL_PLAINTEXT").lines()
                .map(l -> TopologyConfig.KAFKA_PREFIX + l + "\n")
                .collect(java.util.stream.Collectors.joining()));
        config = config.withKafkaClient(scram(topologyUser));
        if (settings.grpcPort() >= 0) {
          var reader = access.grantDestinationApi(
              io.meshfed.admin.AccessPlan.DEFAULT_DESTINATION_API_USER, settings.clusters());
          writeSecret(credentials.resolve("destination-api.properties"),
              io.meshfed.admin.ClientConfig.kafkaClient(reader, "SASL_PLAINTEXT"));
          destinationClient = scram(reader);
        }
      }
      queryAccess = io.meshfed.query.QueryAccess.load(queryTokens());
    }
    if (settings.httpPort() >= 0) {
      int port = settings.httpPort() == 0 ? FreePorts.one() : settings.httpPort();
      config = config.withApplicationServer("127.0.0.1:" + port);
    }
    agentClients.putAll(agentClient);
    log("topics" + (security == null ? "" : ", credentials and ACLs"));
    if (resuming) {
      removeStaleMembers(config.applicationId());
      abortHangingTransactions();
    }
    clusters.putAll(join(clustersStarting));
    clustersStarting = null;
    for (Map.Entry<String, SimulatedCluster> cluster : clusters.entrySet()) {
      running.add(cluster.getValue());
      Files.writeString(settings.dir().resolve(cluster.getKey() + ".kubeconfig"),
          cluster.getValue().kubeconfig(cluster.getKey()));
    }
    log("simulated clusters");
    registry.awaitReady();
    log("registry ready");
    // Governance as a production registry has it: each subject's compatibility rule
    // (FULL_TRANSITIVE for what agents write, FORWARD_TRANSITIVE for what the topology writes)
    // is set before its first schema, so an incompatible schema is refused from the start.
    // Apicurio's ccompat API turns PUT /config/{subject} into its own compatibility rule.
    // Registered here, by the stack as the admin path, so that agents never register schemas;
    // on a resume too (idempotent): a newer meshfed may bring a new subject.
    // A generous request timeout: the registry's first requests after it reports ready are
    // slow on a loaded 2-core machine (its JIT is cold), and one timing out stopped a start.
    // Registered before anything else writes, so every subject has its rule before its first
    // schema (on a resume, a newer meshfed may add one). Starting a resumed stack's topology
    // meanwhile was tried (issue #20) and is undone below.
    java.util.concurrent.CompletableFuture<Void> schemas =
        java.util.concurrent.CompletableFuture.runAsync(() -> {
          io.meshfed.schema.SchemaCatalog.registerAll(new io.meshfed.registry.SchemaRegistryClient(
              RegistryConfig.of(registry.confluentApiUrl())
                  .withRequestTimeout(Duration.ofSeconds(60))));
          log("schemas registered");
        }, command -> new Thread(command, "stack-schemas").start());
    // Joined before the topology starts, on a resume too: a resumed stack that registered
    // while its topology started had a registration request time out after 60 s in a
    // clean-clone CI run (StackProcessTest), and the stack did not start (issue #20).
    join(schemas);
    // The agents need the broker, the registry and the schemas only: they start alongside the
    // topology and its servers rather than after them.
    java.util.concurrent.CompletableFuture<List<ClusterAgent>> agents =
        new java.util.concurrent.CompletableFuture<>();
    new Thread(() -> {
      try {
        join(schemas);
        agents.complete(startAgents(agentClient));
      } catch (Throwable t) {
        agents.completeExceptionally(t);
      }
    }, "stack-agents-start").start();
    try {
      startTopology(config, httpHeld, grpcHeld, security, destinationClient);
    } catch (Exception | Error failed) {
      try {
        running.addAll(join(agents)); // closed with the rest of the stack
      } catch (Exception also) {
        failed.addSuppressed(also);
      }
      throw failed;
    }
    // Added last, so closed first: the agents stop before the topology and the clusters.
    running.addAll(join(agents));
    log("topology and agents started");
    if (query != null) {
      awaitQueryable(QUERYABLE_WITHIN);
      log("stores queryable");
    }
  }

  private void startTopology(TopologyConfig config, java.net.ServerSocket httpHeld,
      java.net.ServerSocket grpcHeld, EmbeddedKafka.Security security,
      Map<String, String> destinationClient) throws Exception {
    topology = TopologyMain.start(config);
    // Leave the group on close: a resumed stack's new member then gets the partitions at once
    // rather than after the old member's session times out (45 s).
    running.add(() -> topology.close(org.apache.kafka.streams.CloseOptions
        .groupMembershipOperation(org.apache.kafka.streams.CloseOptions.GroupMembershipOperation
            .LEAVE_GROUP).withTimeout(Duration.ofSeconds(30))));
    if (config.applicationServer() != null) {
      String[] hostPort = config.applicationServer().split(":");
      if (httpHeld != null) {
        httpHeld.close();
      }
      // Secured: tokens from QUERY_TOKENS_FILE. Open: anyone on 127.0.0.1 is admin.
      query = new io.meshfed.query.QueryServer(topology, new org.apache.kafka.streams.state
          .HostInfo(hostPort[0], Integer.parseInt(hostPort[1])), config.heartbeatTtl(),
          queryAccess).withWhatIf(new io.meshfed.whatif.WhatIf(config)).start();
      running.add(query);
    }
    if (settings.grpcPort() >= 0) {
      if (grpcHeld != null) {
        grpcHeld.close();
      }
      destinationApi = io.meshfed.destination.DestinationServer.start(
          new io.meshfed.destination.DestinationServer.Settings(kafka.bootstrapServers(),
              config.registry(), settings.grpcPort(), null,
              io.meshfed.destination.DestinationServer.Settings.DEFAULT_BIND_ADDRESS, null,
              destinationClient), Duration.ofSeconds(60));
      running.add(destinationApi);
    }
    Files.writeString(settings.dir().resolve(ENDPOINTS_FILE), "bootstrap.servers="
        + kafka.bootstrapServers() + "\nregistry.url=" + registry.confluentApiUrl() + "\n"
        + "clusters=" + String.join(",", settings.clusters()) + "\n"
        + (query == null ? "" : "query.url=http://127.0.0.1:" + query.port() + "\n")
        + (destinationApi == null ? "" : "destination.api=127.0.0.1:" + destinationApi.port()
            + "\n")
        + (security == null ? "" : "kafka.client.config=" + CLIENT_CONFIG_FILE + "\n"
            + "query.tokens=" + QUERY_TOKENS_FILE + "\n"));
  }

  /** One simulated cluster per name, restored from its snapshot; on a failure, none runs. */
  private Map<String, SimulatedCluster> startClusters() {
    Map<String, SimulatedCluster> started = new LinkedHashMap<>();
    try {
      for (String name : settings.clusters()) {
        started.put(name, new SimulatedCluster(
            settings.dir().resolve("clusters").resolve(name + ".yaml")));
      }
      return started;
    } catch (IOException e) {
      started.values().forEach(SimulatedCluster::close);
      throw new java.io.UncheckedIOException(e);
    } catch (RuntimeException | Error e) {
      started.values().forEach(SimulatedCluster::close);
      throw e;
    }
  }

  /** One agent per simulated cluster; on a failure, the ones started are closed. */
  private List<ClusterAgent> startAgents(Map<String, Map<String, String>> agentClient)
      throws Exception {
    List<ClusterAgent> started = new ArrayList<>();
    try {
      String[][] localities = {{"us-east-1", "us-east-1a"}, {"eu-west-1", "eu-west-1a"},
          {"ap-south-1", "ap-south-1a"}};
      for (int i = 0; i < settings.clusters().size(); i++) {
        String name = settings.clusters().get(i);
        SimulatedCluster cluster = clusters.get(name);
        String[] locality = localities[i % localities.length];
        Properties p = new Properties();
        p.setProperty("meshfed.bootstrap.servers", kafka.bootstrapServers());
        p.setProperty("meshfed.registry.url", registry.confluentApiUrl());
        // Agents never register schemas: the stack registered them all, as an admin does.
        p.setProperty("meshfed.registry.auto.register", "false");
        agentClient.get(name).forEach((k, v) -> p.setProperty("meshfed.kafka." + k, v));
        p.setProperty("meshfed.agent.applier", i == 0 ? "istio" : "kubernetes");
        p.setProperty("meshfed.agent.policy.source", String.valueOf(i == 0));
        p.setProperty("meshfed.agent.region", locality[0]);
        p.setProperty("meshfed.agent.zones", locality[1]);
        p.setProperty("meshfed.agent.heartbeat.interval.ms", "1000");
        p.setProperty("meshfed.agent.health.port", "0");
        p.setProperty("meshfed.agent.health.address", "127.0.0.1");
        ClusterAgent agent = new ClusterAgent(AgentConfig.fromProperties(name, p),
            cluster.client()).start();
        started.add(agent);
      }
      return started;
    } catch (Exception | Error e) {
      for (ClusterAgent agent : started) {
        agent.close();
      }
      throw e;
    }
  }

  private static <T> T join(java.util.concurrent.CompletableFuture<T> started)
      throws Exception {
    try {
      return started.get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  /**
   * The broker's super user: read from the broker's directory when it holds a secured broker
   * (the password is in its metadata log), generated for a new secured stack, none for an open
   * one — whatever {@code settings.secured()} says, a directory keeps the mode it was created
   * with (an open broker's metadata has no credentials; a secured one's ACLs mean nothing
   * without its authorizer).
   */
  private EmbeddedKafka.Security brokerSecurity() throws IOException {
    Path kafkaDir = settings.dir().resolve("kafka");
    Path file = kafkaDir.resolve(ADMIN_FILE);
    if (EmbeddedKafka.isResumable(kafkaDir)) {
      if (!Files.exists(file)) {
        return null;
      }
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      }
      return new EmbeddedKafka.Security(p.getProperty("user"), p.getProperty("password"));
    }
    if (!settings.secured()) {
      return null;
    }
    EmbeddedKafka.Security security = EmbeddedKafka.Security.generated();
    Files.createDirectories(kafkaDir);
    writeSecret(file, "user=" + security.adminUser() + "\npassword=" + security.adminPassword()
        + "\n");
    return security;
  }

  /** The query API's tokens: the ones in {@code dir} when resuming, else new ones. */
  private Path queryTokens() throws IOException {
    Path file = settings.dir().resolve(QUERY_TOKENS_FILE);
    if (!Files.exists(file)) {
      writeSecret(file, "# query API bearer tokens (Authorization: Bearer TOKEN); the CLI"
          + " sends the read one\nread " + io.meshfed.admin.AccessAdmin.randomToken() + "\n"
          + "admin " + io.meshfed.admin.AccessAdmin.randomToken() + "\n");
    }
    return file;
  }

  private static Map<String, String> scram(io.meshfed.admin.AccessAdmin.Credentials who) {
    Map<String, String> out = new LinkedHashMap<>();
    EmbeddedKafka.Security.clientSettings(who.user(), who.password())
        .forEach((k, v) -> out.put(k, String.valueOf(v)));
    return out;
  }

  private static String properties(Map<String, ?> settings) {
    StringBuilder out = new StringBuilder();
    new java.util.TreeMap<>(settings).forEach((k, v) -> out.append(k).append('=')
        .append(v).append('\n'));
    return out.toString();
  }

  /** Written readable by its owner only (where the file system has POSIX permissions). */
  static void writeSecret(Path file, String content) throws IOException {
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(temporary);
    try {
      Files.createFile(temporary, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
          java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(temporary);
    }
    Files.writeString(temporary, content);
    Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Admin client settings for this stack's broker (with the admin's credentials if secured). */
  public Map<String, Object> adminSettings() {
    Map<String, Object> out = new java.util.HashMap<>(adminClient);
    out.put("bootstrap.servers", kafka.bootstrapServers());
    return out;
  }

  /**
   * Cluster {@code name}'s agent's Kafka client security settings (its principal: Write on its
   * cluster's events topic); empty when the stack is open. A connector speaking for that
   * cluster writes as this principal.
   */
  public Map<String, String> agentSecurity(String name) {
    return agentClients.getOrDefault(name, Map.of());
  }

  /**
   * Starts the stack's Kafka Connect worker (a child JVM, {@link EmbeddedConnect}) with its REST
   * API on 127.0.0.1:{@code port} (0 = a free one), or returns the running one. Only when asked:
   * a plain stack does not pay its start. It runs as the admin; it stops first on close.
   */
  public synchronized EmbeddedConnect connect(int port) throws IOException {
    if (connect == null) {
      EmbeddedConnect started = EmbeddedConnect.start(settings.dir().resolve("connect"),
          kafka.bootstrapServers(), adminClient, port, Duration.ofSeconds(180));
      synchronized (running) {
        if (closed) { // closed while the worker started: it must not outlive the stack
          started.close();
          throw new IllegalStateException("the stack stopped while its Connect worker started");
        }
        running.add(started);
      }
      connect = started;
      log("Connect worker started");
    }
    return connect;
  }

  /** The admin's Kafka client security settings; empty when the stack is open. */
  public Map<String, Object> clientSecurity() {
    return adminClient;
  }

  public boolean secured() {
    return !adminClient.isEmpty();
  }

  /** A token of {@code role} for the query API; null when the API is open. */
  public String queryToken(io.meshfed.query.QueryAccess.Role role) throws IOException {
    Path file = settings.dir().resolve(QUERY_TOKENS_FILE);
    if (!secured() || !Files.exists(file)) {
      return null;
    }
    return readToken(file, role.name().toLowerCase(java.util.Locale.ROOT));
  }

  /** The token of {@code role} ({@code read} or {@code admin}) in a tokens file, or null. */
  static String readToken(Path file, String role) throws IOException {
    for (String line : Files.readAllLines(file)) {
      String[] fields = line.strip().split("\\s+");
      if (fields.length == 2 && fields[0].equals(role)) {
        return fields[1];
      }
    }
    return null;
  }

  /** Where a stack keeps the partition count of its topology's own topics. */
  static final String PARTITIONS_FILE = "topology.partitions";

  /**
   * Partitions of the topology's repartition topics (and so of its changelogs and tasks) in a
   * new stack. One machine runs one stream thread, so more partitions buy no parallelism here;
   * each costs a task per sub-topology, a RocksDB store per state store, and logs the broker
   * recovers after a kill -9. The default of 6 made 132 of the broker's 152 logs and most of
   * a restart's time (issue #20).
   */
  static final int NEW_STACK_PARTITIONS = 1;

  /**
   * The count this stack's topics were created with: kept in {@link #PARTITIONS_FILE}, because
   * it cannot change once the topics exist (DestinationPartitioner routes by it). A stack made
   * before the file existed used the topology's default ({@code defaultCount}, 6).
   */
  private int topologyPartitions(boolean resuming, int defaultCount) throws IOException {
    Path file = settings.dir().resolve(PARTITIONS_FILE);
    if (Files.exists(file)) {
      return Integer.parseInt(Files.readString(file).trim());
    }
    int partitions = resuming ? defaultCount : NEW_STACK_PARTITIONS;
    Files.writeString(file, partitions + "\n");
    return partitions;
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(
      EmbeddedStack.class);
  private final long bootStarted = System.nanoTime();

  /** Where a start spends its time, in the stack's log: a slow start says which part was. */
  private void log(String phase) {
    LOG.info("stack in {}: {} after {} ms", settings.dir(), phase,
        (System.nanoTime() - bootStarted) / 1_000_000);
  }

  /**
   * A stack killed with kill -9 leaves its topology's member in the consumer group until the
   * session times out, and the new member's first rebalance waits for it. The broker is this
   * stack's own, so no member of the group can be alive now: they are removed at once.
   */
  private void removeStaleMembers(String group) {
    try (var admin = org.apache.kafka.clients.admin.Admin.create(adminSettings())) {
      var members = admin.describeConsumerGroups(List.of(group)).all()
          .get(10, java.util.concurrent.TimeUnit.SECONDS).get(group).members();
      if (!members.isEmpty()) {
        admin.removeMembersFromConsumerGroup(group,
            new org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions())
            .all().get(10, java.util.concurrent.TimeUnit.SECONDS);
        LOG.info("removed {} member(s) of {} left by a stack that did not stop cleanly",
            members.size(), group);
      }
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
        | RuntimeException e) {
      // No group yet (a new stack), or the broker would not: the session timeout does it.
      LOG.info("no stale members of {} removed: {}", group, Causes.of(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Ends the transactions a killed stack left open on partitions whose coordinator no longer
   * holds them open ({@link HangingTransactions}): one on {@code __consumer_offsets} kept a
   * restarted topology waiting for its committed offsets indefinitely (issue #21). Nothing of
   * this stack produces yet, so every such transaction is a dead one's.
   */
  private void abortHangingTransactions() {
    try (var admin = org.apache.kafka.clients.admin.Admin.create(adminSettings())) {
      for (var spec : HangingTransactions.abortAll(admin, 10_000)) {
        LOG.info("aborted a transaction left hanging by a stack that did not stop cleanly:"
            + " producer {} epoch {} on {}", spec.producerId(), spec.producerEpoch(),
            spec.topicPartition());
      }
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
        | RuntimeException e) {
      // The broker would not (an ACL, an older broker): the topology may then wait, as before.
      LOG.warn("could not look for hanging transactions: {}", Causes.of(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** How long a start waits for the topology's stores to answer. */
  static final Duration QUERYABLE_WITHIN = Duration.ofMinutes(5);

  /**
   * Waits until the query API's {@code /readyz} answers 200: the topology RUNNING and its
   * stores queryable. A stack is up when {@code get} works, not when its threads have started
   * (a restart after kill -9 would otherwise say "up" and then answer 503 for a while).
   */
  private void awaitQueryable(Duration within) throws InterruptedException {
    var http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
        .build();
    var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(queryUrl()
        + "/readyz")).timeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + within.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        var response = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
        last = response.statusCode() + " " + Causes.bounded(response.body());
      } catch (IOException e) {
        last = Causes.of(e);
      }
      Thread.sleep(200); // a poll interval: nothing to be notified by across HTTP
    }
    throw new IllegalStateException("the topology's stores did not answer queries within "
        + within.toSeconds() + " s; " + queryUrl() + "/readyz: " + last);
  }

  /** True when {@code dir} holds a stack that {@link #start} resumes rather than creates. */
  public static boolean isResumable(Path dir) {
    return EmbeddedKafka.isResumable(dir.resolve("kafka"));
  }

  public boolean isRunning() {
    return topology.state() == KafkaStreams.State.RUNNING;
  }

  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /** The query API's base URL, or null when it was not started. */
  public String queryUrl() {
    return query == null ? null : "http://127.0.0.1:" + query.port();
  }

  /** host:port of the Destination gRPC API, or null when it was not started. */
  public String destinationApi() {
    return destinationApi == null ? null : "127.0.0.1:" + destinationApi.port();
  }

  public Path kubeconfig(String cluster) {
    return settings.dir().resolve(cluster + ".kubeconfig");
  }


  public String registryUrl() {
    return registry.confluentApiUrl();
  }

  public SimulatedCluster cluster(String name) {
    SimulatedCluster cluster = clusters.get(name);
    if (cluster == null) {
      throw new IllegalArgumentException("no simulated cluster '" + name + "'; clusters: "
          + clusters.keySet());
    }
    return cluster;
  }

  public Map<String, SimulatedCluster> clusters() {
    return Collections.unmodifiableMap(clusters);
  }

  /** Creates or replaces the resources of a YAML stream in a cluster (see {@link #apply(
   * io.fabric8.kubernetes.client.KubernetesClient, List, java.util.function.Consumer)}). */
  public static List<String> apply(SimulatedCluster cluster, InputStream yaml) throws IOException {
    List<String> applied = new ArrayList<>();
    apply(cluster.client(), parse(yaml), applied::add);
    return applied;
  }

  private static List<ResourceFile.Resource> parse(InputStream yaml) throws IOException {
    try {
      return ResourceFile.parse("stream", yaml.readAllBytes());
    } catch (ResourceFile.BadFile e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  /**
   * Creates or replaces {@code resources} through {@code client}, in order, telling
   * {@code applied} each one's {@code Kind/namespace/name} as it is done (so a failure part-way
   * leaves a record of what was applied before it).
   */
  static void apply(io.fabric8.kubernetes.client.KubernetesClient client,
      List<ResourceFile.Resource> resources, java.util.function.Consumer<String> applied) {
    for (ResourceFile.Resource resource : resources) {
      GenericKubernetesResource r = resource.object();
      var ops = operations(client, resource);
      // The agent writes statuses concurrently, and each write bumps resourceVersion: an update
      // that loses that race (409) is retried on the fresh version, as kubectl apply does.
      for (int attempt = 1; ; attempt++) {
        GenericKubernetesResource existing = ops.withName(r.getMetadata().getName()).get();
        try {
          if (existing == null) {
            r.getMetadata().setGeneration(1L);
            ops.resource(r).create();
          } else {
            r.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
            r.getMetadata().setGeneration(existing.getMetadata().getGeneration() == null ? 1L
                : existing.getMetadata().getGeneration() + 1);
            ops.resource(r).update();
          }
          break;
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
          if (e.getCode() != 409 || attempt == 5) {
            throw e;
          }
        }
      }
      applied.accept(resource.describe());
    }
  }

  /** Deletes {@code resources} through {@code client}, telling {@code deleted} each that was. */
  static void delete(io.fabric8.kubernetes.client.KubernetesClient client,
      List<ResourceFile.Resource> resources, java.util.function.Consumer<String> deleted) {
    for (ResourceFile.Resource resource : resources) {
      if (!operations(client, resource).withName(resource.object().getMetadata().getName())
          .delete().isEmpty()) {
        deleted.accept(resource.describe());
      }
    }
  }

  private static io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<
      GenericKubernetesResource, io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
      io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> operations(
      io.fabric8.kubernetes.client.KubernetesClient client, ResourceFile.Resource resource) {
    var ops = client.genericKubernetesResources(resource.type().context());
    return resource.namespace() == null ? ops : ops.inNamespace(resource.namespace());
  }

  @Override
  public void close() {
    if (clustersStarting != null) { // a start that failed before it took them
      try {
        join(clustersStarting).values().forEach(SimulatedCluster::close);
      } catch (Exception failedToo) {
        // nothing started, nothing to close
      }
      clustersStarting = null;
    }
    List<AutoCloseable> reverse;
    synchronized (running) {
      closed = true;
      reverse = new ArrayList<>(running);
    }
    Collections.reverse(reverse);
    for (AutoCloseable c : reverse) {
      try {
        c.close();
      } catch (Exception e) {
        System.err.println("meshfed: while stopping: " + e);
      }
    }
    running.clear();
  }
}
