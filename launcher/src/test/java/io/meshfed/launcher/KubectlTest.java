package io.meshfed.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kubectl, where installed, against a simulated cluster with the kubeconfig {@code meshfed up}
 * writes: get, apply (create), replace and delete of the playground's kinds and meshfed's.
 */
class KubectlTest {

  @TempDir
  static Path dir;
  private static SimulatedCluster cluster;
  private static Path kubeconfig;

  @BeforeAll
  static void cluster() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/kubectl")),
        "kubectl is not installed");
    cluster = new SimulatedCluster();
    kubeconfig = Files.writeString(dir.resolve("sim.kubeconfig"), cluster.kubeconfig("sim"));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static CliRun kubectl(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("kubectl", "--kubeconfig",
        kubeconfig.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
    var err = new java.util.concurrent.CompletableFuture<String>();
    new Thread(() -> {
      try {
        err.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        err.complete(e.toString());
      }
    }).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = p.waitFor();
    CliRun run = new CliRun(exit, out, err.join());
    System.out.println("kubectl " + String.join(" ", args) + " -> " + exit + "\n" + out
        + run.err());
    return run;
  }

  @Test
  void kubectlGetsAppliesAndDeletesWorkloadsAndMeshfedResources() throws Exception {
    Path examples = Path.of("..", "examples");
    CliRun applied = kubectl("apply", "-f", examples.resolve("playground/reviews-mgmt.yaml")
        .toString());
    assertThat(applied.exit()).as(applied.err()).isZero();
    assertThat(applied.out()).contains("service/reviews created")
        .contains("endpointslice.discovery.k8s.io/reviews-slice created");
    CliRun services = kubectl("get", "svc", "-n", "bookinfo");
    assertThat(services.exit()).as(services.err()).isZero();
    assertThat(services.out()).contains("reviews");
    // An update by replace (PUT); apply and edit send a strategic merge patch, which the mock
    // server cannot apply (README).
    CliRun unready = kubectl("replace", "-f", examples.resolve(
        "playground/reviews-mgmt-unready.yaml").toString());
    assertThat(unready.exit()).as(unready.err()).isZero();
    assertThat(unready.out()).contains("endpointslice.discovery.k8s.io/reviews-slice replaced");
    assertThat(cluster.readyAddresses("bookinfo")).isEmpty();
    CliRun fs = kubectl("apply", "-f", examples.resolve("walkthrough/failover-service.yaml")
        .toString());
    assertThat(fs.exit()).as(fs.err()).isZero();
    CliRun listed = kubectl("get", "failoverservices", "-A");
    assertThat(listed.exit()).as(listed.err()).isZero();
    assertThat(listed.out()).contains("reviews-failover");
    CliRun deleted = kubectl("delete", "-f", examples.resolve("playground/reviews-mgmt.yaml")
        .toString());
    assertThat(deleted.exit()).as(deleted.err()).isZero();
    assertThat(kubectl("get", "svc", "-n", "bookinfo").out()).doesNotContain("reviews");
  }
}
