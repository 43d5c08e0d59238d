package io.meshfed.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code meshfed chaos}: the fault suite. Like {@code meshfed bench} it runs in a JVM of its
 * own from the benchmarks module's jar; this command checks the options (so {@code --help} and
 * a typo start nothing) and hands them over.
 */
@Command(name = "chaos", description = "Run the fault suite: bad input, kill -9 of topology"
    + " instances, broker restarts, network faults, bad resources, Kubernetes API faults and"
    + " an agent restarted while Kafka is away, each judged by the rules' oracle (a real broker and registry on this"
    + " machine; writes faults.md and faults.json, where a run of some classes replaces only"
    + " theirs).")
final class ChaosCommand implements Callable<Integer> {

  static final List<String> CLASSES = List.of("bad-input", "topology-kill", "broker-restart",
      "network", "bad-resources", "api-faults", "agent-restart");

  @Option(names = "--quick", description = "small sizes (what mvn verify runs)")
  boolean quick;

  @Option(names = "--out", paramLabel = "DIR", description = "results directory (default:"
      + " bench/results, or bench/results/quick with --quick)")
  Path out;

  @Option(names = "--only", split = ",", paramLabel = "CLASS", description = "only these fault"
      + " classes: ${COMPLETION-CANDIDATES}", completionCandidates = Classes.class)
  List<String> only;

  @Option(names = "--bad-records", paramLabel = "N", description = "bad records to inject"
      + " (default 100000, 1000 with --quick)")
  Integer badRecords;

  @Option(names = "--kills", paramLabel = "N", description = "kill -9 of topology instances"
      + " (default 20, 1 with --quick)")
  Integer kills;

  @Option(names = "--instances", paramLabel = "N", description = "topology JVMs (default 3,"
      + " 2 with --quick)")
  Integer instances;

  @Option(names = "--scale-cycles", paramLabel = "N", description = "an extra topology"
      + " instance started and stopped with SIGTERM, after the kills (default 10, none with"
      + " --quick)")
  Integer scaleCycles;

  @Option(names = "--broker-restarts", paramLabel = "N", description = "restarts of the broker"
      + " process, clean and kill -9 alternately (default 10)")
  Integer brokerRestarts;

  @Option(names = "--partitions", split = ",", paramLabel = "SECONDS", description = "agent"
      + " partitions to inject, in seconds (default 30,300)")
  List<Integer> partitions;

  @Option(names = "--broker-down", paramLabel = "SECONDS", description = "keep each stopped"
      + " broker down at least this long (default 0; over 60 outlasts the producers'"
      + " max.block.ms)")
  Integer brokerDown;

  @Option(names = "--bad-resources", paramLabel = "N", description = "bad resources created"
      + " on the agent's API server (default 10000, 72 with --quick)")
  Integer badResources;

  @Option(names = "--cli-files", paramLabel = "N", description = "bad files given to meshfed"
      + " apply, a JVM each (default 60, 4 with --quick)")
  Integer cliFiles;

  @Option(names = "--api-faults", paramLabel = "N", description = "each Kubernetes API fault"
      + " (409, 429, 500, no answer, 410) at least this often (default 50, 5 with --quick)")
  Integer apiFaults;

  @Option(names = "--agent-restarts", paramLabel = "N", description = "agent restarts while"
      + " Kafka is unreachable (default 6, 2 with --quick)")
  Integer agentRestarts;

  @Option(names = "--agent-away", paramLabel = "SECONDS", description = "how long Kafka stays"
      + " away after each agent restart (default 60, 15 with --quick)")
  Integer agentAway;

  /** picocli lists the classes in the help from this. */
  static final class Classes extends ArrayList<String> {
    Classes() {
      super(CLASSES);
    }
  }

  @Override
  public Integer call() throws Exception {
    List<String> unknown = only == null ? List.of()
        : only.stream().filter(s -> !CLASSES.contains(s)).toList();
    if ((badRecords != null && badRecords < 1) || (kills != null && kills < 1)
        || (brokerRestarts != null && brokerRestarts < 1)
        || (partitions != null && partitions.stream().anyMatch(p -> p < 1 || p > 3600))
        || (instances != null && (instances < 2 || instances > 5))
        || (brokerDown != null && (brokerDown < 0 || brokerDown > 3600))
        || (badResources != null && badResources < 1) || (cliFiles != null && cliFiles < 0)
        || (scaleCycles != null && scaleCycles < 0) || (apiFaults != null && apiFaults < 1)
        || (agentRestarts != null && agentRestarts < 1)
        || (agentAway != null && (agentAway < 1 || agentAway > 3600))) {
      System.err.println("meshfed chaos: --bad-records, --kills, --broker-restarts,"
          + " --bad-resources, --api-faults and --agent-restarts want at least 1, --cli-files"
          + " and --scale-cycles at least 0, --instances 2 to 5, --partitions 1 to 3600"
          + " seconds each, --broker-down 0 to 3600 seconds, --agent-away 1 to 3600 seconds");
      return 2;
    }
    if (!unknown.isEmpty()) {
      System.err.println("meshfed chaos: unknown fault class(es) " + unknown + "; classes: "
          + CLASSES);
      return 2;
    }
    Path jar = Path.of(System.getProperty(BenchCommand.HOME_PROPERTY, "."), "benchmarks",
        "target", "benchmarks.jar");
    if (!Files.exists(jar)) {
      System.err.println("meshfed chaos: no " + jar + "; run it as ./meshfed chaos (which"
          + " builds it) or build with mvn -B -DskipTests package");
      return 1;
    }
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-XX:+UseG1GC",
        "-D" + BenchCommand.HOME_PROPERTY + "=" + System.getProperty(BenchCommand.HOME_PROPERTY,
            "."),
        "-cp", jar.toString(), "io.meshfed.bench.chaos.ChaosSuite"));
    if (quick) {
      command.add("--quick");
    }
    if (out != null) {
      command.addAll(List.of("--out", out.toString()));
    }
    java.util.Map<String, Integer> sizes = new java.util.LinkedHashMap<>();
    sizes.put("--bad-records", badRecords);
    sizes.put("--kills", kills);
    sizes.put("--instances", instances);
    sizes.put("--broker-restarts", brokerRestarts);
    sizes.put("--broker-down", brokerDown);
    sizes.put("--bad-resources", badResources);
    sizes.put("--cli-files", cliFiles);
    sizes.put("--scale-cycles", scaleCycles);
    sizes.put("--api-faults", apiFaults);
    sizes.put("--agent-restarts", agentRestarts);
    sizes.put("--agent-away", agentAway);
    for (var size : sizes.entrySet()) {
      java.util.Optional.ofNullable(size.getValue()).ifPresent(
          n -> command.addAll(List.of(size.getKey(), n.toString())));
    }
    if (partitions != null) {
      command.addAll(List.of("--partitions", String.join(",",
          partitions.stream().map(String::valueOf).toList())));
    }
    if (only != null) {
      command.addAll(List.of("--only", String.join(",", only)));
    }
    Process chaos = new ProcessBuilder(command).inheritIO().start();
    // Ctrl-C reaches the suite on its own (same process group); a SIGTERM to this JVM only
    // reaches it through this hook. The suite's own children die with it (ExitWithParent).
    Runtime.getRuntime().addShutdownHook(new Thread(chaos::destroy, "meshfed-chaos-stop"));
    return chaos.waitFor();
  }
}
