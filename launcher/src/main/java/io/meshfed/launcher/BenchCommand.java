package io.meshfed.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code meshfed bench}: the end-to-end benchmark. It runs in a JVM of its own from the
 * benchmarks module's jar, so JMH, HdrHistogram and the plotting library never reach the
 * launcher's classpath; this command checks the options (so {@code --help} and a typo never
 * start a half-hour run) and hands them over.
 */
@Command(name = "bench", description = "Run the end-to-end benchmark (a real broker and"
    + " registry on this machine; ~25-30 minutes on 2 cores, --quick ~2 minutes).")
final class BenchCommand implements Callable<Integer> {

  /** Where {@code ./meshfed} says the repository is; the benchmarks jar is built there. */
  static final String HOME_PROPERTY = "meshfed.home";

  static final List<String> SECTIONS = List.of("latency", "floor", "security", "throughput",
      "scale",
      "zone-outage", "fleet-steady-state", "failover", "agent");

  @Option(names = "--quick", description = "the harness at small sizes")
  boolean quick;

  @Option(names = "--out", paramLabel = "DIR", description = "results directory (default:"
      + " bench/results, or bench/results/quick with --quick)")
  Path out;

  @Option(names = "--only", split = ",", paramLabel = "SECTION", description = "only these"
      + " sections (profiling one part; no summary is written): ${COMPLETION-CANDIDATES}",
      completionCandidates = Sections.class)
  List<String> only;

  @Option(names = "--scale", paramLabel = "CLUSTERSxSERVICESxENDPOINTS",
      description = "the scale section's size, e.g. 100x1000x10")
  String scale;

  /** picocli lists the sections in the help from this. */
  static final class Sections extends ArrayList<String> {
    Sections() {
      super(SECTIONS);
    }
  }

  @Override
  public Integer call() throws Exception {
    List<String> unknown = only == null ? List.of()
        : only.stream().filter(s -> !SECTIONS.contains(s)).toList();
    if (!unknown.isEmpty() || (scale != null && !scale.matches("\\d{1,7}x\\d{1,7}x\\d{1,7}"))) {
      System.err.println("meshfed bench: " + (unknown.isEmpty() ? "--scale wants"
          + " CLUSTERSxSERVICESxENDPOINTS, e.g. 100x1000x10, not '" + scale + "'"
          : "unknown section(s) " + unknown + "; sections: " + SECTIONS));
      return 2;
    }
    Path jar = Path.of(System.getProperty(HOME_PROPERTY, "."), "benchmarks", "target",
        "benchmarks.jar");
    if (!Files.exists(jar)) {
      System.err.println("meshfed bench: no " + jar + "; run it as ./meshfed bench (which"
          + " builds it) or build with mvn -B -DskipTests package");
      return 1;
    }
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx2g", "-XX:+UseG1GC", "-cp", jar.toString(), "io.meshfed.bench.e2e.E2eBench"));
    if (quick) {
      command.add("--quick");
    }
    if (out != null) {
      command.addAll(List.of("--out", out.toString()));
    }
    if (only != null) {
      command.addAll(List.of("--only", String.join(",", only)));
    }
    if (scale != null) {
      command.addAll(List.of("--scale", scale));
    }
    Process bench = new ProcessBuilder(command).inheritIO().start();
    // Ctrl-C reaches the benchmark on its own (same process group); a SIGTERM to this JVM only
    // reaches it through this hook.
    Runtime.getRuntime().addShutdownHook(new Thread(bench::destroy, "meshfed-bench-stop"));
    return bench.waitFor();
  }
}
