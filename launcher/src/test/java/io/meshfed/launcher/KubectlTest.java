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
 * writes: get, apply (create and update), replace, edit and delete of the playground's kinds
 * and meshfed's.
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
    return kubectl(java.util.Map.of(), args);
  }

  private static CliRun kubectl(java.util.Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("kubectl", "--kubeconfig",
        kubeconfig.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(false);
    builder.environment().putAll(env);
    Process p = builder.start();
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
    // An update by replace (PUT).
    CliRun unready = kubectl("replace", "-f", examples.resolve(
        "playground/reviews-mgmt-unready.yaml").toString());
    assertThat(unready.exit()).as(unready.err()).isZero();
    assertThat(unready.out()).contains("endpointslice.discovery.k8s.io/reviews-slice replaced");
    assertThat(cluster.readyAddresses("bookinfo")).isEmpty();
    // apply of objects that exist: a strategic merge patch, from the file, the live objects
    // and the last applied configuration (replace kept the first apply's), so the endpoints
    // are ready again and the Service gets the label and the second port the file adds.
    Path changed = dir.resolve("reviews-changed.yaml");
    Files.writeString(changed, Files.readString(examples.resolve("playground/reviews-mgmt.yaml"))
        .replace("    app: reviews\n", "    app: reviews\n    tier: backend\n")
        .replace("    protocol: TCP\n", "    protocol: TCP\n  - name: grpc\n    port: 9090\n"
            + "    protocol: TCP\n"));
    CliRun reapplied = kubectl("apply", "-f", changed.toString());
    assertThat(reapplied.exit()).as(reapplied.err()).isZero();
    assertThat(reapplied.out()).contains("service/reviews configured")
        .contains("endpointslice.discovery.k8s.io/reviews-slice configured");
    assertThat(cluster.readyAddresses("bookinfo")).containsExactly("10.0.0.11", "10.0.0.12");
    var service = cluster.client().services().inNamespace("bookinfo").withName("reviews").get();
    assertThat(service.getMetadata().getLabels()).containsEntry("app", "reviews")
        .containsEntry("tier", "backend");
    assertThat(service.getSpec().getPorts()).extracting(p -> p.getName() + ":" + p.getPort())
        .containsExactly("http:9080", "grpc:9090");
    // And back: the port the file no longer has is removed ($patch: delete in the list).
    CliRun reverted = kubectl("apply", "-f", examples.resolve("playground/reviews-mgmt.yaml")
        .toString());
    assertThat(reverted.exit()).as(reverted.err()).isZero();
    assertThat(cluster.client().services().inNamespace("bookinfo").withName("reviews").get()
        .getSpec().getPorts()).extracting(p -> p.getName() + ":" + p.getPort())
        .containsExactly("http:9080");
    // edit: the editor is any command that changes the file kubectl hands it (kubectl runs it
    // with a shell when it has spaces).
    CliRun edited = kubectl(java.util.Map.of("KUBE_EDITOR",
        "sed -i -e 's/ready: true/ready: false/'"), "edit", "endpointslice",
        "reviews-slice", "-n", "bookinfo");
    assertThat(edited.exit()).as(edited.err()).isZero();
    assertThat(edited.out()).contains("endpointslice.discovery.k8s.io/reviews-slice edited");
    assertThat(cluster.readyAddresses("bookinfo")).isEmpty();
    CliRun fs = kubectl("apply", "-f", examples.resolve("walkthrough/failover-service.yaml")
        .toString());
    assertThat(fs.exit()).as(fs.err()).isZero();
    // A custom resource that exists: kubectl sends a JSON merge patch, which the mock server
    // applies itself.
    Path fsChanged = Files.writeString(dir.resolve("fs-changed.yaml"), Files.readString(
        examples.resolve("walkthrough/failover-service.yaml")).replace(
            "hostname: reviews-failover.bookinfo.global", "hostname: reviews.example.global"));
    CliRun fsApplied = kubectl("apply", "-f", fsChanged.toString());
    assertThat(fsApplied.exit()).as(fsApplied.err()).isZero();
    assertThat(fsApplied.out()).contains("reviews-failover configured");
    assertThat(kubectl("get", "failoverservices", "-n", "service-mesh-hub", "reviews-failover",
        "-o", "jsonpath={.spec.hostname}").out()).isEqualTo("reviews.example.global");
    CliRun listed = kubectl("get", "failoverservices", "-A");
    assertThat(listed.exit()).as(listed.err()).isZero();
    assertThat(listed.out()).contains("reviews-failover");
    CliRun deleted = kubectl("delete", "-f", examples.resolve("playground/reviews-mgmt.yaml")
        .toString());
    assertThat(deleted.exit()).as(deleted.err()).isZero();
    assertThat(kubectl("get", "svc", "-n", "bookinfo").out()).doesNotContain("reviews");
  }
}
