package io.meshfed.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's {@code ./meshfed demo --outlier}, as a person runs it: the command comes from
 * the README (between the demo-outlier markers), runs in a JVM of its own with the CLI's logging,
 * and its timeline must show both walkthroughs converging — failover by readiness, then by
 * request errors (a real Prometheus, the connector in the stack's Connect worker, outlier
 * detection) — with the decisions' reasons. One stack serves both parts, so the second costs
 * only its own steps. {@code --dir} is added so the test can look at the stack's credentials
 * afterwards (without it the demo deletes its temporary directory). Timings are printed, not
 * asserted.
 */
@EnabledOnOs(OS.LINUX)
class DemoTest {

  static final String BEGIN = "<!-- demo-outlier: begin -->";
  static final String END = "<!-- demo-outlier: end -->";

  static final List<String> READINESS_STEPS = List.of(
      "stack up (broker, registry, topology, agents)",
      "status ACCEPTED",
      "traffic on mgmt-cluster (applied in both clusters)",
      "no decision moved traffic off tier 0 before the failure",
      "published by the mgmt-cluster agent",
      "decision: fail over",
      "applied in mgmt-cluster: all traffic to remote-cluster",
      "applied in remote-cluster: all traffic to remote-cluster",
      "decision: fail back",
      "applied in mgmt-cluster: traffic back on mgmt-cluster",
      "applied in remote-cluster: traffic back on mgmt-cluster");

  static final List<String> OUTLIER_STEPS = List.of(
      "Connect worker and Prometheus ready",
      "connector mgmt-cluster-request-health running",
      "HealthSignals for v1 and v2 from the connector",
      "decision: fail over (outlier detection ejected them)",
      "applied in mgmt-cluster: all traffic to remote-cluster",
      "applied in remote-cluster: all traffic to remote-cluster",
      "decision: fail back",
      "applied in mgmt-cluster: traffic back on mgmt-cluster",
      "applied in remote-cluster: traffic back on mgmt-cluster");

  @Test
  void theReadmesDemoFailsOverOnReadinessThenOnRequestErrors(@TempDir Path dir)
      throws Exception {
    List<PlaygroundTest.Step> commands = PlaygroundTest.steps(BEGIN, END);
    assertThat(commands).as("README demo --outlier block").hasSize(1);
    assertThat(commands.get(0).args()).containsExactly("demo", "--outlier");
    List<String> args = new ArrayList<>(commands.get(0).args());
    args.addAll(List.of("--dir", dir.resolve("demo").toString()));

    CliRun run = meshfed(args);
    String timeline = run.out();
    System.out.println(String.join(" ", args) + "\n" + timeline + run.err());
    // A failed step's why is in the stack's log, which goes with the test's directory.
    assertThat(run.exit()).as("%s%s%s", timeline, run.err(),
        run.exit() == 0 ? "" : StackLog.tail(dir.resolve("demo").resolve(Logs.FILE), 60)).isZero();
    assertThat(timeline).endsWith("meshfed demo: failover and failback converged in every"
        + " cluster\n");
    boolean prometheus = PrometheusChild.binary() != null;
    List<String> expected = new ArrayList<>(READINESS_STEPS);
    if (prometheus) {
      expected.addAll(OUTLIER_STEPS);
    } else {
      assertThat(timeline).contains("meshfed demo: " + OutlierWalkthrough.NO_PROMETHEUS);
    }
    assertThat(steps(timeline)).as(timeline).containsExactlyElementsOf(expected);

    // Secured by default: every component ran with its own credentials and only its ACLs.
    assertThat(timeline).contains("Kafka secured: SASL SCRAM and ACLs");
    Path stack = dir.resolve("demo");
    assertThat(stack.resolve(EmbeddedStack.CLIENT_CONFIG_FILE)).content()
        .contains("security.protocol=SASL_PLAINTEXT");
    assertThat(stack.resolve(EmbeddedStack.CREDENTIALS_DIR).resolve("agent-" + Demo.MGMT
        + ".properties")).content().contains("username=\"meshfed-agent-" + Demo.MGMT + "\"");
    List<String> reasons = timeline.lines().filter(l -> l.startsWith("    reason: ")).toList();
    assertThat(reasons.get(0)).startsWith("    reason: tier 0 mgmt-cluster/bookinfo/reviews"
        + " healthy 0/2 (< 71%): 100% to tier 1 remote-cluster/bookinfo/reviews");
    if (!prometheus) {
      return;
    }
    // The second failover names the ejection: one endpoint ejected is already under 71%, so
    // the decision may come at the first ejection or at both.
    assertThat(reasons).hasSize(4);
    assertThat(reasons.get(2)).matches(Pattern.quote("    reason: tier 0 mgmt-cluster/bookinfo/"
        + "reviews healthy ") + "[01]/2 \\([12] ejected by outlier detection, < 71%\\)"
        + Pattern.quote(": 100% to tier 1 remote-cluster/bookinfo/reviews"));
    assertThat(reasons.get(3)).startsWith("    reason: tier 0 mgmt-cluster/bookinfo/reviews"
        + " healthy 2/2 (>= 71%, held for ");
  }

  /** The step names of the timeline's {@code ok}/{@code FAIL} lines, in order. */
  private static List<String> steps(String timeline) {
    return timeline.lines().filter(l -> l.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  (ok  |FAIL) .*"))
        .map(l -> l.substring(19).replaceFirst("\\s+\\d+ ms.*$", "").trim()).toList();
  }

  /** {@code meshfed ARGS} in a JVM of its own, as ./meshfed runs it. */
  private static CliRun meshfed(List<String> args) throws Exception {
    List<String> command = MeshfedJvm.command("768m", args);
    Process p = new ProcessBuilder(command).start();
    try {
      p.getOutputStream().close();
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
      String out = read(p.getInputStream());
      return new CliRun(p.waitFor(), out, err.get());
    } finally {
      // Its children (registry, Connect worker, Prometheus) end with it; make sure it has ended.
      p.destroyForcibly();
    }
  }

  private static String read(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
