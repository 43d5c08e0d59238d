package io.meshfed.launcher;

import io.meshfed.agent.AgentMain;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code meshfed} command. Exit codes: 0 ok, 1 failed/not found, 2 usage, 3 unreachable.
 * The scope INHERIT gives every subcommand, nested ones included, {@code --help} and
 * {@code --version} without each having to remember them.
 */
@Command(name = "meshfed", mixinStandardHelpOptions = true, version = "meshfed 0.1.0",
    scope = CommandLine.ScopeType.INHERIT,
    description = "Multi-cluster service federation on Kafka.",
    exitCodeListHeading = "%nExit codes (every command):%n",
    exitCodeList = {"0:ok", "1:failed, or not found", "2:usage: a bad option, argument or file",
        "3:the stack (or the server named) is unreachable"},
    subcommands = {Main.DemoCommand.class, Main.UpCommand.class, Main.ApplyCommand.class,
        Main.DeleteCommand.class, GetCommand.class, DescribeCommand.class,
        WatchCommand.class, Main.TopologyCommand.class, Main.AgentCommand.class,
        ScenarioCommand.class, AdminCommand.class, BenchCommand.class, ChaosCommand.class,
        WhatIfCommand.class, DashboardCommand.class})
public final class Main implements Runnable {

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  public static void main(String[] args) {
    int exit;
    try {
      exit = commandLine().execute(args);
    } catch (Error broken) {
      // Picocli hands on an Error (a NoClassDefFoundError from a jar missing on the classpath,
      // say); ending main without exiting left `meshfed up` running its broker's threads, a
      // stack that never came up and never ended. The trace names the missing piece.
      System.err.println("meshfed: " + broken);
      broken.printStackTrace();
      exit = 1;
    }
    System.exit(exit);
  }

  /**
   * The command line as users get it: a failure nobody anticipated is one line naming what
   * failed (exit 1), never a stack trace; {@code MESHFED_DEBUG=1} prints the trace as well.
   */
  public static CommandLine commandLine() {
    return new CommandLine(new Main()).setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("meshfed " + cmd.getCommandName() + ": " + describe(e));
      if (System.getenv("MESHFED_DEBUG") != null) {
        e.printStackTrace(cmd.getErr());
      }
      return 1;
    });
  }

  private static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = firstLine(e.getMessage());
    String rootMessage = firstLine(root.getMessage());
    if (message.isEmpty()) {
      message = e.getClass().getSimpleName();
    }
    return root == e || rootMessage.isEmpty() || message.contains(rootMessage) ? message
        : message + ": " + rootMessage;
  }

  @Command(name = "demo", description = "Run the Service Mesh Hub failover walkthrough on an"
      + " embedded stack (Kafka, registry, topology, two simulated clusters with agents).")
  static final class DemoCommand implements Callable<Integer> {
    @Option(names = "--dir", description = "work directory (default: a new temporary one)")
    Path dir;

    @Option(names = "--damping", defaultValue = "5s", converter = DurationConverter.class,
        description = "failback damping, e.g. 5s (default ${DEFAULT-VALUE})")
    Duration damping;

    @Option(names = "--insecure", description = "run an open stack: no Kafka authentication"
        + " or ACLs, no query API tokens (default: secured, credentials generated into the"
        + " directory)")
    boolean insecure;

    @Option(names = "--verbose", description = "print the stack's logs (Kafka's, the agents')"
        + " here too, not only to meshfed.log in the work directory")
    boolean verbose;

    @Option(names = "--outlier", description = "then the walkthrough again, driven by request"
        + " errors: reviews answer 503, Prometheus scrapes them, the request-health connector"
        + " (in a Kafka Connect worker the stack starts) reports them, outlier detection"
        + " ejects. Needs /usr/bin/prometheus or $PROMETHEUS_BIN (skipped without)")
    boolean outlier;

    @Option(names = "--connect-port", defaultValue = "0", description = "with --outlier: the"
        + " Connect worker's REST port on 127.0.0.1 (default: a free one)")
    int connectPort;

    @Override
    public Integer call() throws Exception {
      if (connectPort < 0 || connectPort > 65535) {
        System.err.println("meshfed demo: --connect-port " + connectPort + " is not a port");
        return 2;
      }
      if (dir != null && java.nio.file.Files.exists(dir.resolve("kafka"))) {
        // The walkthrough creates bookinfo from scratch; on a used stack it would collide.
        System.err.println("meshfed demo: " + dir + " holds a stack; the demo needs a new"
            + " directory (or none, for a temporary one)");
        return 2;
      }
      Path work = dir != null ? dir : java.nio.file.Files.createTempDirectory("meshfed-demo");
      // A temporary directory goes when the demo ends, Ctrl-C included; a failed run keeps it
      // for its log.
      java.util.concurrent.atomic.AtomicBoolean keep = new java.util.concurrent.atomic
          .AtomicBoolean(dir != null);
      Thread cleanup = new Thread(() -> {
        if (!keep.get()) {
          io.meshfed.testing.Directories.deleteRecursively(work);
        }
      }, "meshfed-demo-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup);
      Path log = Logs.toFile(work, verbose);
      BrokerExits.install("demo", log, System.err);
      Demo.Result result = Demo.run(new EmbeddedStack.Settings(work,
          List.of(Demo.MGMT, Demo.REMOTE), damping, Duration.ofSeconds(10))
          .withSecured(!insecure), System.out,
          outlier ? new OutlierWalkthrough.Options(connectPort) : null);
      if (result.succeeded()) {
        System.out.println("meshfed demo: failover and failback converged in every cluster");
        return 0;
      }
      keep.set(true);
      System.out.println("meshfed demo: step '" + result.failedStep() + "' did not converge"
          + (log == null ? "" : "; the stack's log is " + log));
      return 1;
    }
  }

  @Command(name = "up", description = "Start the embedded stack (Kafka, registry, topology with"
      + " its query API, simulated clusters with agents) and keep it running until Ctrl-C.")
  static final class UpCommand implements Callable<Integer> {
    @Option(names = "--clusters", defaultValue = "mgmt-cluster,remote-cluster", split = ",",
        description = "simulated clusters; the first is the policy source")
    List<String> clusters;

    @Option(names = "--http-port", description = "query API port (default 8080, or a free"
        + " one when 8080 is taken); 0 = a free port")
    Integer httpPort;

    @Option(names = "--grpc-port", description = "Destination API (Linkerd proxy Destination"
        + " gRPC) port (default 8090, or a free one when 8090 is taken); 0 = a free port,"
        + " -1 turns it off")
    Integer grpcPort;

    @Option(names = "--registry-port", defaultValue = "0",
        description = "schema registry port; 0 (default) = a free port")
    int registryPort;

    @Option(names = "--kafka-port", defaultValue = "0",
        description = "Kafka broker port; 0 (default) = a free port")
    int kafkaPort;

    @Option(names = "--dir", defaultValue = "${env:" + StackOptions.DIR_ENV + ":-.meshfed}",
        description = "where the stack keeps its data and writes its endpoints and kubeconfigs"
            + " (default: $" + StackOptions.DIR_ENV + ", else .meshfed)")
    Path dir;

    @Option(names = "--damping", defaultValue = "30s", converter = DurationConverter.class,
        description = "failback damping, e.g. 500ms, 30s, 2m (default ${DEFAULT-VALUE})")
    Duration damping;

    @Option(names = "--insecure", description = "a new stack runs open: no Kafka authentication"
        + " or ACLs, no query API tokens (default: secured, credentials generated into --dir;"
        + " a resumed stack keeps the mode it was created with)")
    boolean insecure;

    @Option(names = "--verbose", description = "print the stack's logs (Kafka's, the agents')"
        + " here too, not only to meshfed.log in --dir")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
      boolean resuming = EmbeddedStack.isResumable(dir);
      if (!resuming && java.nio.file.Files.exists(dir.resolve("kafka"))) {
        System.err.println("meshfed up: " + dir + " holds a stack that never finished starting;"
            + " remove it or pass another --dir");
        return 2;
      }
      String bad = badPort("--http-port", httpPort, false);
      bad = bad != null ? bad : badPort("--grpc-port", grpcPort, true);
      bad = bad != null ? bad : badPort("--registry-port", registryPort, false);
      bad = bad != null ? bad : badPort("--kafka-port", kafkaPort, false);
      if (bad != null) {
        System.err.println("meshfed up: " + bad);
        return 2;
      }
      // Every server listens on 127.0.0.1. A port the user chose that is taken is an error; a
      // default one that is taken (by another stack, say) gives way to a free one.
      int http = httpPort != null ? httpPort : 8080;
      int grpc = grpcPort != null ? grpcPort : 8090;
      Path log = Logs.toFile(dir, verbose);
      BrokerExits.install("up", log, System.err);
      long startedAt = System.nanoTime();
      EmbeddedStack started;
      while (true) {
        try {
          started = EmbeddedStack.start(new EmbeddedStack.Settings(dir, clusters,
              damping, Duration.ofSeconds(30), http,
              grpc, registryPort, kafkaPort, !insecure));
          break;
        } catch (EmbeddedStack.PortInUse e) {
          // Nothing had started yet: the stack holds its ports first.
          if (e.port() == http && httpPort == null) {
            http = 0;
          } else if (e.port() == grpc && grpcPort == null) {
            grpc = 0;
          } else {
            System.err.println("meshfed up: " + e.getMessage() + "; choose another port, or 0"
                + " for a free one");
            return 2;
          }
        } catch (Exception e) {
          // The why is in the log now that it is not on the terminal: say where.
          System.err.println("meshfed up: the stack did not start: " + describe(e)
              + (log == null ? "" : "; see " + log));
          return 1;
        }
      }
      EmbeddedStack stack = started;
      java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        stack.close();
        stopped.countDown();
      }, "meshfed-up-shutdown"));
      System.out.printf("meshfed is up (%s %s, ready in %.1f s):%n",
          resuming ? "resumed" : "new stack in", dir, (System.nanoTime() - startedAt) / 1e9);
      System.out.println("  kafka bootstrap servers  " + stack.bootstrapServers());
      System.out.println("  schema registry          " + stack.registryUrl());
      System.out.println("  query API                " + stack.queryUrl());
      System.out.println("  destination API (gRPC)   " + stack.destinationApi());
      if (stack.secured()) {
        System.out.println("  kafka client config      " + dir.resolve(
            EmbeddedStack.CLIENT_CONFIG_FILE) + "  (SASL SCRAM, the stack's admin)");
        System.out.println("  query API tokens         " + dir.resolve(
            EmbeddedStack.QUERY_TOKENS_FILE));
      } else {
        System.out.println("  security                 none (--insecure): Kafka and the query"
            + " API are open to anyone on this machine");
      }
      for (String cluster : clusters) {
        SimulatedCluster simulated = stack.cluster(cluster);
        // Said, so that objects from a snapshot are never mistaken for what happened since.
        String restored = simulated.savedAt() == null ? ""
            : String.format("  (%d objects restored, as saved at %s)", simulated.restored(),
                java.time.format.DateTimeFormatter.ISO_LOCAL_TIME.format(simulated.savedAt()
                    .atZone(java.time.ZoneId.systemDefault()).toLocalTime().withNano(0)));
        System.out.printf("  cluster %-16s kubeconfig %s%s%n", cluster,
            stack.kubeconfig(cluster).toAbsolutePath(), restored);
      }
      if (log != null) {
        System.out.println("  logs                     " + log);
      }
      System.out.println("Ctrl-C stops everything.");
      stopped.await();
      return 0;
    }

    /** Why {@code port} is not a port, or null. */
    private static String badPort(String option, Integer port, boolean canBeOff) {
      return port == null || (port >= (canBeOff ? -1 : 0) && port <= 65535) ? null
          : option + " " + port + " is not a port (1-65535, 0 for a free one"
              + (canBeOff ? ", -1 for off)" : ")");
    }
  }

  /**
   * What apply and delete share: a file of resources and a cluster of a running stack. The whole
   * file is read and checked before the first request, so a bad file changes nothing (exit 2).
   */
  abstract static class ResourceFileCommand implements Callable<Integer> {
    @Option(names = "-f", required = true, description = "YAML file of resources: meshfed's"
        + " (FailoverService, VirtualDestination, FailoverPolicy, OutlierDetectionPolicy,"
        + " ExternalService, ExternalWorkload) and Namespace, Service, EndpointSlice, Pod")
    Path file;

    @Option(names = "--cluster", required = true, description = "a simulated cluster of the"
        + " stack, e.g. mgmt-cluster")
    String cluster;

    @CommandLine.Mixin
    StackOptions stack = new StackOptions();

    abstract String verb();

    abstract String pastTense();

    abstract void run(io.fabric8.kubernetes.client.KubernetesClient client,
        List<ResourceFile.Resource> resources, java.util.function.Consumer<String> done);

    @Override
    public Integer call() throws Exception {
      ClusterClient cluster;
      try {
        cluster = ClusterClient.open(stack, this.cluster);
      } catch (ClusterClient.Unavailable e) {
        System.err.println("meshfed " + verb() + ": " + e.getMessage() + "; nothing was "
            + pastTense());
        return e.exit;
      }
      try (var client = cluster.client) {
        List<ResourceFile.Resource> resources;
        try {
          resources = ResourceFile.read(file);
        } catch (ResourceFile.BadFile e) {
          System.err.println("meshfed " + verb() + ": " + e.getMessage() + "; nothing was "
              + pastTense());
          return 2;
        }
        run(client, resources, done -> System.out.println(done + " " + pastTense()));
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        System.err.println("meshfed " + verb() + ": " + cluster.describe(e));
        return e.getCode() == 0 ? 3 : 1;
      }
      return 0;
    }
  }

  @Command(name = "apply", description = "Apply resources to a cluster of a running"
      + " 'meshfed up'.")
  static final class ApplyCommand extends ResourceFileCommand {
    @Override
    String verb() {
      return "apply";
    }

    @Override
    String pastTense() {
      return "applied";
    }

    @Override
    void run(io.fabric8.kubernetes.client.KubernetesClient client,
        List<ResourceFile.Resource> resources, java.util.function.Consumer<String> done) {
      EmbeddedStack.apply(client, resources, done);
    }
  }

  @Command(name = "delete", description = "Delete resources from a cluster of a running"
      + " 'meshfed up'.")
  static final class DeleteCommand extends ResourceFileCommand {
    @Override
    String verb() {
      return "delete";
    }

    @Override
    String pastTense() {
      return "deleted";
    }

    @Override
    void run(io.fabric8.kubernetes.client.KubernetesClient client,
        List<ResourceFile.Resource> resources, java.util.function.Consumer<String> done) {
      EmbeddedStack.delete(client, resources, done);
    }
  }

  /** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}: durations as Istio writes them. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final java.util.regex.Pattern FORM =
        java.util.regex.Pattern.compile("(\\d{1,9})(ms|s|m|h)");

    @Override
    public Duration convert(String value) {
      var m = FORM.matcher(value.trim());
      if (!m.matches()) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a duration such"
            + " as 500ms, 30s or 2m");
      }
      long amount = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        default -> Duration.ofHours(amount);
      };
    }
  }

  static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  @Command(name = "agent", description = "Run a cluster agent against a Kubernetes API"
      + " server until stopped.")
  static final class AgentCommand implements Callable<Integer> {
    @Option(names = "--cluster", required = true, description = "this cluster's name, as the"
        + " topology knows it (DNS-1123 label)")
    String cluster;

    @Option(names = "--kubeconfig", description = "the cluster's kubeconfig (default: the"
        + " in-cluster service account)")
    Path kubeconfig;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "agent"
        + " properties (keys in README); repeatable, a later file's keys override an earlier"
        + " one's")
    List<Path> configFiles;

    @Override
    public Integer call() throws Exception {
      AgentMain.run(cluster, kubeconfig, configFiles);
      return 0;
    }
  }

  @Command(name = "topology", description = "Run one topology instance against your Kafka and"
      + " registry: the Kafka Streams topology, the query API on meshfed.application.server,"
      + " and the Destination gRPC API on --grpc-port.")
  static final class TopologyCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", description = "topology.properties (keys in README;"
        + " MESHFED_* environment variables override)")
    Path config;

    @Option(names = "--grpc-port", defaultValue = "-1",
        description = "Destination API port; -1 (default) leaves it off")
    int grpcPort;

    @Option(names = "--http-bind-address", defaultValue = io.meshfed.query.QueryServer.LOOPBACK,
        description = "address the query API listens on (default ${DEFAULT-VALUE}); instances on"
            + " several machines need one the others reach, as meshfed.application.server names")
    String httpBindAddress;

    @Option(names = "--grpc-bind-address",
        defaultValue = io.meshfed.destination.DestinationServer.Settings.DEFAULT_BIND_ADDRESS,
        description = "address the Destination API listens on (default: ${DEFAULT-VALUE}; in a"
            + " pod, every interface (the wildcard address) so that proxies can reach it)")
    String grpcBindAddress;

    @Option(names = "--default-client-cluster",
        description = "client cluster for Destination lookups whose context token names none")
    String defaultClientCluster;

    @Option(names = "--grpc-tls-cert", description = "Destination API over TLS: the server's"
        + " certificate chain (PEM); plaintext is then refused")
    Path grpcTlsCert;

    @Option(names = "--grpc-tls-key", description = "the private key of --grpc-tls-cert (PEM,"
        + " PKCS#8)")
    Path grpcTlsKey;

    @Option(names = "--grpc-tls-client-ca", description = "require client certificates signed"
        + " by these CAs (PEM)")
    Path grpcTlsClientCa;

    @Option(names = "--http-tokens", description = "query API bearer tokens, one 'read TOKEN'"
        + " or 'admin TOKEN' per line; the same file on every instance")
    Path httpTokens;

    @Option(names = "--http-anonymous", description = "let callers without a token in with this"
        + " role (read or admin) instead of --http-tokens")
    String httpAnonymous;

    @Override
    public Integer call() throws Exception {
      var settings = io.meshfed.topology.config.TopologyConfig.load(config, System.getenv());
      if ((grpcTlsCert == null) != (grpcTlsKey == null)
          || (grpcTlsClientCa != null && grpcTlsCert == null)) {
        System.err.println("meshfed topology: --grpc-tls-cert and --grpc-tls-key go together,"
            + " and --grpc-tls-client-ca needs them");
        return 2;
      }
      io.meshfed.query.QueryAccess access = null;
      if (settings.applicationServer() != null) {
        if ((httpTokens == null) == (httpAnonymous == null)) {
          System.err.println("meshfed topology: the query API needs --http-tokens FILE or"
              + " --http-anonymous read|admin (one of them)");
          return 2;
        }
        access = httpTokens != null ? io.meshfed.query.QueryAccess.load(httpTokens)
            : switch (httpAnonymous) {
              case "read" -> io.meshfed.query.QueryAccess.anonymous(
                  io.meshfed.query.QueryAccess.Role.READ);
              case "admin" -> io.meshfed.query.QueryAccess.anonymous(
                  io.meshfed.query.QueryAccess.Role.ADMIN);
              default -> null;
            };
        if (access == null) {
          System.err.println("meshfed topology: --http-anonymous must be read or admin");
          return 2;
        }
      }
      org.apache.kafka.streams.KafkaStreams streams =
          io.meshfed.topology.TopologyMain.start(settings);
      List<AutoCloseable> running = new java.util.ArrayList<>();
      running.add(() -> streams.close(org.apache.kafka.streams.CloseOptions
          .groupMembershipOperation(org.apache.kafka.streams.CloseOptions
              .GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(30))));
      if (settings.applicationServer() != null) {
        String[] hostPort = settings.applicationServer().split(":");
        running.add(new io.meshfed.query.QueryServer(streams,
            new org.apache.kafka.streams.state.HostInfo(hostPort[0],
                Integer.parseInt(hostPort[1])), httpBindAddress, settings.heartbeatTtl(),
            access).withWhatIf(new io.meshfed.whatif.WhatIf(settings)).start());
      }
      if (grpcPort >= 0) {
        var api = io.meshfed.destination.DestinationServer.start(
            new io.meshfed.destination.DestinationServer.Settings(settings.bootstrapServers(),
                settings.registry(), grpcPort, defaultClientCluster, grpcBindAddress,
                grpcTlsCert == null ? null : new io.meshfed.destination.DestinationServer.Tls(
                    grpcTlsCert, grpcTlsKey, grpcTlsClientCa), settings.kafkaClient()),
            Duration.ofMinutes(2));
        running.add(api);
        System.out.println("meshfed topology: Destination API on port " + api.port());
      }
      java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        java.util.Collections.reverse(running);
        for (AutoCloseable c : running) {
          try {
            c.close();
          } catch (Exception e) {
            System.err.println("meshfed topology: while stopping: " + e);
          }
        }
        stopped.countDown();
      }, "meshfed-topology-shutdown"));
      stopped.await();
      return 0;
    }
  }
}
