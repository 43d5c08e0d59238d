package io.meshfed.launcher;

import static io.meshfed.launcher.CliRun.meshfed;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How commands find the stack ({@link StackOptions}): {@code --server}, then
 * {@code MESHFED_SERVER}, then the endpoints of the stack in {@code --dir} (default
 * {@code MESHFED_DIR}, then {@code .meshfed}); and when nothing answers there, one line naming
 * the address, where it came from, and the cause, exit 3.
 */
class StackOptionsTest {

  @TempDir
  static Path dir;
  /** A stack directory whose servers have all gone: every port in it is closed. */
  private static Path stopped;
  private static int closedPort;

  @BeforeAll
  static void aStoppedStack() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    stopped = Files.createDirectories(dir.resolve("stopped"));
    Files.writeString(stopped.resolve(EmbeddedStack.ENDPOINTS_FILE), "bootstrap.servers="
        + "127.0.0.1:" + closedPort + "\nregistry.url=http://127.0.0.1:" + closedPort
        + "/apis/ccompat/v7\nquery.url=http://127.0.0.1:" + closedPort + "\n");
    Files.writeString(stopped.resolve("sim.kubeconfig"), new SimulatedClusterKubeconfig(
        "http://127.0.0.1:" + closedPort + "/").text());
  }

  private static void assertUnreachable(CliRun run, String says) {
    assertThat(run.exit()).as(run.err()).isEqualTo(3);
    assertThat(run.err().lines().toList()).as(run.err()).hasSize(1);
    assertThat(run.err()).contains(says).doesNotContain("null").doesNotContain("\tat ");
  }

  @Test
  void aClosedPortIsNamedWithWhereItCameFromAndTheCause() throws Exception {
    String url = "http://127.0.0.1:" + closedPort;
    assertUnreachable(meshfed("get", "clusters", "--server", url),
        "meshfed get: cannot reach the query API at " + url + " (--server): connection refused");
    assertUnreachable(meshfed("describe", "fs", "ns/name", "--dir", stopped.toString()),
        "meshfed describe: cannot reach the query API at " + url + " (from "
            + stopped.resolve("endpoints.properties") + "): connection refused");
    assertUnreachable(meshfed("watch", "decisions", "--dir", stopped.toString()),
        "meshfed watch: cannot reach Kafka at 127.0.0.1:" + closedPort + " (from "
            + stopped.resolve("endpoints.properties") + "): connection refused");
    Path file = dir.resolve("ns.yaml");
    CliRun apply = meshfed("apply", "-f", writeNamespace(file).toString(), "--cluster", "sim",
        "--dir", stopped.toString());
    assertUnreachable(apply, "meshfed apply: cannot reach cluster sim's API server at " + url
        + "/ (from " + stopped.resolve("sim.kubeconfig") + "): connection refused; nothing was"
        + " applied");
  }

  @Test
  void aDirectoryWithoutAStackSaysSoAndHowToStartOne() {
    Path empty = dir.resolve("empty");
    assertUnreachable(meshfed("get", "clusters", "--dir", empty.toString()),
        "meshfed get: no stack in " + empty + " (no " + empty.resolve("endpoints.properties")
            + "); start one with 'meshfed up --dir " + empty + "'");
  }

  @Test
  void theFlagWinsOverTheEnvironmentWhichWinsOverTheDirectory() throws Exception {
    StackOptions options = new StackOptions();
    options.dir = stopped;
    String fromDir = "http://127.0.0.1:" + closedPort;
    assertThat(options.queryApi(null, Map.of())).isEqualTo(new StackOptions.Endpoint(fromDir,
        "from " + stopped.resolve("endpoints.properties")));
    assertThat(options.queryApi(null, Map.of("MESHFED_SERVER", "http://env:1")))
        .isEqualTo(new StackOptions.Endpoint("http://env:1", "MESHFED_SERVER"));
    assertThat(options.queryApi("http://flag:2", Map.of("MESHFED_SERVER", "http://env:1")))
        .isEqualTo(new StackOptions.Endpoint("http://flag:2", "--server"));
  }

  /** The environment as a shell gives it: a child JVM running {@code meshfed}. */
  @Test
  void meshfedServerAndMeshfedDirAreReadFromTheEnvironment() throws Exception {
    String url = "http://127.0.0.1:" + closedPort;
    CliRun server = child(Map.of("MESHFED_SERVER", url), "get", "clusters");
    assertUnreachable(server, "meshfed get: cannot reach the query API at " + url
        + " (MESHFED_SERVER): connection refused");
    CliRun dirFromEnv = child(Map.of("MESHFED_DIR", stopped.toString()), "get", "clusters");
    assertUnreachable(dirFromEnv, "(from " + stopped.resolve("endpoints.properties") + ")");
  }

  private static CliRun child(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"), "-cp",
        MeshfedJvm.classpath(), Main.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
    builder.environment().remove("MESHFED_SERVER");
    builder.environment().remove("MESHFED_DIR");
    builder.environment().putAll(env);
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes());
    String err = new String(process.getErrorStream().readAllBytes());
    return new CliRun(process.waitFor(), out, err);
  }

  private static Path writeNamespace(Path file) throws Exception {
    return Files.writeString(file, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n");
  }

  /** The kubeconfig a simulated cluster writes, for an API server that is not running. */
  private record SimulatedClusterKubeconfig(String url) {
    String text() {
      return "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: "
          + url + "\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n    user: sim\n"
          + "current-context: sim\nusers:\n- name: sim\n  user:\n    token: simulated\n";
    }
  }
}
