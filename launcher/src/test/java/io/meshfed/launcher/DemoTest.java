package io.meshfed.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walkthrough end to end, exactly as {@code ./meshfed demo} runs it: a real broker and
 * registry, the topology, two simulated clusters with their agents. Every step must converge
 * within its bound; the timeline is printed for the record, its timings are not asserted.
 */
class DemoTest {

  @Test
  void theFailoverWalkthroughConvergesInEveryCluster(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    Demo.Result result = Demo.run(new EmbeddedStack.Settings(dir,
        List.of(Demo.MGMT, Demo.REMOTE), Duration.ofSeconds(2), Duration.ofSeconds(10)), out);
    String timeline = buffer.toString(StandardCharsets.UTF_8);
    System.out.println(timeline);
    assertThat(result.failedStep()).as(timeline).isNull();
    assertThat(result.steps()).extracting(Demo.Step::name).containsExactly(
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
    // Secured by default: every component ran with its own credentials and only its ACLs.
    assertThat(timeline).contains("Kafka secured: SASL SCRAM and ACLs");
    assertThat(dir.resolve(EmbeddedStack.CLIENT_CONFIG_FILE)).content()
        .contains("security.protocol=SASL_PLAINTEXT");
    assertThat(dir.resolve(EmbeddedStack.CREDENTIALS_DIR).resolve("agent-" + Demo.MGMT
        + ".properties")).content().contains("username=\"meshfed-agent-" + Demo.MGMT + "\"");
    assertThat(timeline).contains("reason: tier 0 mgmt-cluster/bookinfo/reviews healthy 0/2"
        + " (< 71%): 100% to tier 1 remote-cluster/bookinfo/reviews");
  }
}
