package io.meshfed.bench.chaos;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.agent.publish.ClusterPublisher;
import io.meshfed.avro.ResourceKind;
import io.meshfed.bench.chaos.BadResourceGenerator.Bad;
import io.meshfed.topology.Bookinfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The bad-resources class's share through the CLI: bad files given to {@code meshfed apply}
 * (the launcher's {@code Main}, a JVM per file, as a user runs it) against the class's API
 * server. A file the CLI can tell is bad must be refused with exit 2 and one sentence on
 * stderr, and nothing of it may reach the API server (a good first document included); a file
 * that is well-formed but semantically bad (port 70000) is applied, as a real cluster would
 * take it, and must then end INVALID through the agent like the others.
 *
 * <p>Needs the launcher built ({@code launcher/target/classpath.txt} under
 * {@code meshfed.home}, which {@code ./meshfed chaos} has); without it the share is skipped and
 * says so. {@code GeneratedBadFilesTest} refuses 10,000 generated files in-process.
 */
final class CliShare {

  /** The longest refusal allowed: GeneratedBadFilesTest's 600 for the reason, plus the verb. */
  static final int MAX_REFUSAL = 700;

  record Outcome(int files, int refused, long refusedCleanly, List<Bad> applied,
      Map<String, Long> perCategory, List<String> findings) {}

  record File(String category, String name, String content, boolean refused,
      String kind, String fragment) {}

  private static final String FS = """
      apiVersion: meshfed.io/v1alpha1
      kind: FailoverService
      metadata: {name: NAME, namespace: bad-resources}
      spec:
        hostname: NAME.cli.bad.global
        port: {number: 9080, protocol: http}
        backingServices:
        - kubeService: {name: reviews, namespace: bookinfo, clusterName: mgmt-cluster}
      """;

  private final Path work;
  private final KubernetesClient client;
  private final int count;

  CliShare(Path work, KubernetesClient client, int count) {
    this.work = work;
    this.client = client;
    this.count = count;
  }

  /**
   * The i-th bad file: the twelve kinds in a stride of 5 (coprime with 12, so any twelve in a
   * row are all of them once), so that a few files — the quick mode's four — already mix
   * refusals, a multi-document file and a file that is applied.
   */
  static File file(int i) {
    String name = "cli-" + i;
    String good = FS.replace("NAME", name);
    List<File> kinds = List.of(
        new File("cli-malformed-yaml", name, good.replace("spec:\n", "spec: [\n{"), true,
            null, null),
        new File("cli-port-not-a-number", name, good.replace("number: 9080",
            "number: \"abc\""), true, null, null),
        new File("cli-port-overflow", name, good.replace("number: 9080",
            "number: 99999999999999999999"), true, null, null),
        new File("cli-no-kind", name, good.replace("kind: FailoverService\n", ""), true,
            null, null),
        new File("cli-unknown-kind", name, good.replace("kind: FailoverService",
            "kind: FailoverServic\u202e"), true, null, null),
        new File("cli-second-document-bad", name, good + "---\n"
            + good.replace(name, name + "-b").replace("apiVersion: meshfed.io/v1alpha1\n", ""),
            true, null, null),
        new File("cli-binary", name, "\u0000\u0001\u0002" + name, true, null, null),
        new File("cli-huge-name", name, good.replace("{name: " + name, "{name: "
            + "n".repeat(300_000)), true, null, null),
        new File("cli-port-out-of-range", name, good.replace("number: 9080", "number: 70000"),
            false, "FailoverService", "spec.port.number 70000"),
        new File("cli-protocol-unknown", name, good.replace("protocol: http",
            "protocol: \"sctp; rm -rf /\""), false, "FailoverService", "spec.port.protocol"),
        new File("cli-hostname-claimed", name, good.replace(name + ".cli.bad.global",
            BadResourceGenerator.GOOD_HOST), false, "FailoverService", "is already claimed"),
        new File("cli-hostname-uppercase", name, good.replace(name + ".cli.bad.global",
            "CLI-" + i + ".Bad.Global"), false, "FailoverService", "spec.hostname"));
    return kinds.get((i * 5) % kinds.size());
  }

  Outcome run() throws IOException, InterruptedException {
    Map<String, Long> perCategory = new TreeMap<>();
    List<String> findings = new ArrayList<>();
    List<Bad> applied = new ArrayList<>();
    if (count == 0) {
      return new Outcome(0, 0, 0, applied, perCategory, findings);
    }
    Path home = Path.of(System.getProperty("meshfed.home", "."));
    List<String> launcher = launcherJvm(home);
    if (launcher == null) {
      findings.add("The CLI share was skipped: no " + home.resolve(
          "launcher/target/classpath.txt") + " and no launcher on this JVM's classpath (build"
          + " the launcher, or run ./meshfed chaos).");
      return new Outcome(0, 0, 0, applied, perCategory, findings);
    }
    Path dir = Files.createTempDirectory(work, "cli");
    Files.writeString(dir.resolve(Bookinfo.MGMT + ".kubeconfig"), kubeconfig());
    int refused = 0;
    long clean = 0;
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      File f = file(i);
      perCategory.merge(f.category(), 1L, Long::sum);
      Path path = dir.resolve(f.name() + "-" + f.category() + ".yaml");
      Files.writeString(path, f.content(), StandardCharsets.UTF_8);
      Path stderr = dir.resolve(f.name() + ".err");
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"),
          "bin", "java").toString(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
          "-Dmeshfed.home=" + home));
      command.addAll(launcher);
      command.addAll(List.of("io.meshfed.launcher.Main", "apply", "-f", path.toString(),
          "--cluster", Bookinfo.MGMT, "--dir", dir.toString()));
      Process p = new ProcessBuilder(command)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(stderr.toFile()).start();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        problems.add(f.category() + ": meshfed apply did not end in 5 minutes");
        continue;
      }
      String err = Files.readString(stderr, StandardCharsets.UTF_8).strip();
      if (f.refused()) {
        refused++;
        String why = refusalProblem(p.exitValue(), err, f);
        if (why == null) {
          clean++;
        } else {
          problems.add(f.category() + ": " + why);
        }
      } else if (p.exitValue() != 0) {
        problems.add(f.category() + ": exit " + p.exitValue() + " for a file to apply: "
            + BadResources.abbreviate(err));
      } else {
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setMetadata(new ObjectMetaBuilder().withName(f.name())
            .withNamespace(BadResourceGenerator.NAMESPACE).build());
        applied.add(new Bad(f.category(), ClusterPublisher.crd(ResourceKind.valueOf(f.kind())),
            r, "INVALID", f.fragment()));
      }
    }
    if (!problems.isEmpty()) {
      findings.add("meshfed apply did not refuse or apply as it must (first few): "
          + problems.subList(0, Math.min(5, problems.size())) + ".");
    }
    return new Outcome(count, refused, clean, applied, perCategory, findings);
  }

  /**
   * The JVM options {@code meshfed apply} runs with: the launcher's classpath as
   * {@code ./meshfed} runs it (launcher/target/classpath.txt under {@code meshfed.home}), or,
   * in ChaosQuickTest, this JVM's own, which holds the launcher as a test dependency; null when
   * neither has it.
   */
  static List<String> launcherJvm(Path home) throws IOException {
    Path classpath = home.resolve("launcher/target/classpath.txt");
    if (Files.exists(classpath)) {
      return List.of("-cp", home.resolve("launcher/target/classes") + ":"
          + Files.readString(classpath).trim());
    }
    Class<?> main;
    try {
      main = Class.forName("io.meshfed.launcher.Main", false, CliShare.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      return null;
    }
    // The test classpath holds other logging configurations (a module's logback-test.xml);
    // the CLI logs as it does for a user, with its own (errors only, to stderr).
    String location = main.getProtectionDomain().getCodeSource().getLocation().toString();
    String logback = location.endsWith(".jar") ? "jar:" + location + "!/logback.xml"
        : location + "logback.xml";
    return List.of("-Dlogback.configurationFile=" + logback, "-cp",
        System.getProperty("java.class.path"));
  }

  /** Why a refusal is not exit 2 with one bounded sentence and nothing applied; null if it is. */
  private String refusalProblem(int exit, String err, File f) {
    if (exit != 2) {
      return "exit " + exit + ", not 2: " + BadResources.abbreviate(err);
    }
    if (err.isEmpty() || err.contains("\n") || err.length() > MAX_REFUSAL
        || err.contains("Exception") || !err.startsWith("meshfed apply:")) {
      return "not one bounded sentence (" + err.length() + " characters): "
          + BadResources.abbreviate(err);
    }
    for (String name : List.of(f.name(), f.name() + "-b")) {
      Boolean exists = exists(name);
      if (exists == null) {
        return "could not check whether " + name + " was applied (the API server did not"
            + " answer in 3 tries)";
      }
      if (exists) {
        return "refused, but " + name + " was applied";
      }
    }
    return null;
  }

  /**
   * Whether the API server holds FailoverService {@code name}; null when it did not answer in
   * 3 tries. The full run's mock API server, holding 10,000 resources and the agent's status
   * writes, once took over the client's 10 s to answer one GET on a machine at load ~40, and
   * that exception stopped the whole class.
   */
  private Boolean exists(String name) {
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        return client.genericKubernetesResources(
                ClusterPublisher.crd(ResourceKind.FailoverService))
            .inNamespace(BadResourceGenerator.NAMESPACE).withName(name).get() != null;
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        // a timeout: try again
      }
    }
    return null;
  }

  private String kubeconfig() {
    String url = client.getMasterUrl().toString();
    String name = Bookinfo.MGMT;
    return "apiVersion: v1\nkind: Config\nclusters:\n- name: " + name + "\n  cluster:\n"
        + "    server: " + url + "\n    insecure-skip-tls-verify: true\ncontexts:\n- name: "
        + name + "\n  context:\n    cluster: " + name + "\n    user: " + name + "\n"
        + "current-context: " + name + "\nusers:\n- name: " + name + "\n  user:\n"
        + "    token: simulated\n";
  }
}
