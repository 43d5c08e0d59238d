package io.meshfed.launcher;

import static io.meshfed.launcher.CliRun.meshfed;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault suite's bad resources through the CLI: 10,000 generated bad files — every way the
 * file, the YAML, the envelope and the numbers of meshfed's four kinds can be wrong, with
 * hostile values (megabyte names, control characters, alias bombs, deep nesting) — each
 * refused by {@code meshfed apply -f}'s reading of the file with one bounded sentence that
 * names the file, and never with another exception (which the CLI would print as a stack
 * trace). A sample of them goes through the real command: exit 2, one line, nothing applied.
 */
class GeneratedBadFilesTest {

  static final int COUNT = 10_000;
  /** The longest sentence allowed: the file name, where, what, and a quoted excerpt or two. */
  static final int MAX_MESSAGE = 600;

  private static final String FAILOVER = """
      apiVersion: meshfed.io/v1alpha1
      kind: FailoverService
      metadata:
        name: reviews-failover
        namespace: service-mesh-hub
      spec:
        hostname: reviews-failover.bookinfo.global
        port:
          number: 9080
          protocol: http
        backingServices:
        - kubeService: {name: reviews, namespace: bookinfo, clusterName: mgmt-cluster}
      """;
  private static final String VIRTUAL = """
      apiVersion: meshfed.io/v1alpha1
      kind: VirtualDestination
      metadata: {name: reviews-global, namespace: service-mesh-hub}
      spec:
        hostname: reviews.global
        ports: [{number: 9080, protocol: http}]
        backingDestinations:
        - kubeService: {name: reviews, namespace: bookinfo, clusterName: mgmt-cluster}
      """;
  private static final String POLICY = """
      apiVersion: meshfed.io/v1alpha1
      kind: FailoverPolicy
      metadata: {name: p, namespace: service-mesh-hub}
      spec:
        weights: {mgmt-cluster: 90, remote-cluster: 10}
      """;
  private static final String OUTLIER = """
      apiVersion: meshfed.io/v1alpha1
      kind: OutlierDetectionPolicy
      metadata: {name: o, namespace: service-mesh-hub}
      spec:
        outlierDetection: {consecutiveErrors: 5}
      """;
  private static final List<String> GOOD = List.of(FAILOVER, VIRTUAL, POLICY, OUTLIER);

  /** One way to break a good document; {@code r} picks the details. */
  private static final List<Map.Entry<String, Function<Random, byte[]>>> BREAKERS = List.of(
      breaker("empty", r -> new byte[0]),
      breaker("only-comments", r -> bytes("# " + "x".repeat(r.nextInt(100)) + "\n---\n")),
      breaker("binary", r -> {
        byte[] b = new byte[1 + r.nextInt(200)];
        r.nextBytes(b);
        b[r.nextInt(b.length)] = 0;
        return b;
      }),
      breaker("not-utf8", r -> {
        byte[] b = bytes(good(r));
        b[r.nextInt(b.length)] = (byte) 0xC3;
        b[b.length - 1] = (byte) 0xFF;
        return b;
      }),
      breaker("malformed", r -> bytes(good(r).replaceFirst("\n", "\n  : [" + "{".repeat(
          1 + r.nextInt(5)) + "\n"))),
      breaker("tab-indent", r -> bytes(good(r).replace("\n  ", "\n\t"))),
      breaker("duplicate-key", r -> bytes(good(r).replaceFirst("kind:", "kind: X\nkind:"))),
      breaker("no-kind", r -> bytes(good(r).replaceFirst("kind: \\w+\n", ""))),
      breaker("kind-not-string", r -> bytes(good(r).replaceFirst("kind: \\w+",
          "kind: {a: [1, 2, " + "3, ".repeat(big(r)) + "4]}"))),
      breaker("no-api-version", r -> bytes(good(r).replaceFirst("apiVersion: \\S+\n", ""))),
      breaker("wrong-api-version", r -> bytes(good(r).replaceFirst("meshfed.io/v1alpha1",
          "meshfed.io/v" + r.nextInt(99) + "\u202e" + "z".repeat(big(r))))),
      breaker("unknown-kind", r -> bytes(good(r).replaceFirst("kind: \\w+", "kind: K"
          + "\u0007".repeat(r.nextInt(3)) + "x".repeat(big(r))))),
      breaker("no-name", r -> bytes(good(r).replaceFirst("name: [a-z-]+", "name: ''"))),
      breaker("huge-name", r -> bytes(good(r).replaceFirst("name: [a-z-]+", "name: "
          + "N".repeat(254 + big(r))))),
      breaker("bad-name", r -> bytes(good(r).replaceFirst("name: [a-z-]+",
          java.util.regex.Matcher.quoteReplacement("name: \"" + List.of("Upper",
              "under_score", "-lead", "trail-", "sp ace", "new\\nline", "../../etc",
              "\\u0000nul").get(r.nextInt(8)) + "\"")))),
      breaker("bad-namespace", r -> bytes(good(r).replaceFirst("namespace: [a-z-]+",
          "namespace: \"" + "Ns_".repeat(1 + big(r)) + "\""))),
      breaker("scalar-document", r -> bytes("'" + "s".repeat(big(r)) + "'\n")),
      breaker("list-document", r -> bytes("- a\n- b\n")),
      breaker("alias-bomb", r -> bytes("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n"
          + "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
          + "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
          + "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
          + "kind: FailoverService\n")),
      breaker("deep-nesting", r -> bytes("kind: " + "[".repeat(100 + big(r))
          + "\n")),
      breaker("port-text", r -> bytes(FAILOVER.replace("number: 9080", "number: \""
          + "abc".repeat(1 + big(r)) + "\""))),
      breaker("port-overflow", r -> bytes(FAILOVER.replace("number: 9080", "number: "
          + "9".repeat(20 + big(r))))),
      breaker("port-not-scalar", r -> bytes(FAILOVER.replace("number: 9080", "number: "
          + List.of("{}", "[9080]", "{a: 1}").get(r.nextInt(3))))),
      breaker("port-fraction", r -> bytes(FAILOVER.replace("number: 9080", "number: "
          + r.nextInt(1000) + "." + (1 + r.nextInt(9))))),
      breaker("weights-bad", r -> {
        StringBuilder w = new StringBuilder("  weights:\n");
        int n = 1 + Math.min(20_000, big(r));
        for (int i = 0; i < n; i++) {
          w.append("    c").append(i).append(": ").append(r.nextBoolean() ? "4294967396" : "x")
              .append('\n');
        }
        return bytes(POLICY.replace("  weights: {mgmt-cluster: 90, remote-cluster: 10}\n",
            w.toString()));
      }),
      breaker("outlier-bad", r -> bytes(OUTLIER.replace("consecutiveErrors: 5",
          "consecutiveErrors: " + List.of("1e999", "abc", "4294967396", "1.5", "true", ".nan",
              "[1]").get(r.nextInt(7))))),
      breaker("second-document-bad", r -> bytes(good(r) + "---\n" + good(r)
          .replaceFirst("kind: \\w+\n", ""))));

  private static Map.Entry<String, Function<Random, byte[]>> breaker(String name,
      Function<Random, byte[]> make) {
    return Map.entry(name, make);
  }

  /** A size: mostly small, one in fifty up to a megabyte (the file limit cuts at 3 MB). */
  private static int big(Random r) {
    return r.nextInt(50) == 0 ? 100_000 + r.nextInt(1_000_000) : r.nextInt(200);
  }

  private static String good(Random r) {
    return GOOD.get(r.nextInt(GOOD.size()));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @TempDir
  static Path dir;
  private static SimulatedCluster cluster;

  @BeforeAll
  static void cluster() throws Exception {
    cluster = new SimulatedCluster();
    Files.writeString(dir.resolve("sim.kubeconfig"), cluster.kubeconfig("sim"));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void tenThousandGeneratedBadFilesAreEachOneBoundedSentence() throws Exception {
    Random random = new Random(21);
    Map<String, Integer> perKind = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    List<Path> sample = new ArrayList<>();
    for (int i = 0; i < COUNT; i++) {
      var breaker = BREAKERS.get(i % BREAKERS.size());
      byte[] content = breaker.getValue().apply(random);
      if (content.length > ResourceFile.MAX_BYTES) {
        content = java.util.Arrays.copyOf(content, (int) ResourceFile.MAX_BYTES);
      }
      String file = "bad-" + i + "-" + breaker.getKey() + ".yaml";
      perKind.merge(breaker.getKey(), 1, Integer::sum);
      try {
        var read = ResourceFile.parse(file, content);
        problems.add(file + ": accepted (" + read.size() + " resources)");
      } catch (ResourceFile.BadFile e) {
        String message = e.getMessage();
        if (!message.startsWith(file) || message.length() > MAX_MESSAGE
            || message.contains("\n") || message.contains("Exception")) {
          problems.add(file + ": " + message.length() + " characters: "
              + message.substring(0, Math.min(300, message.length())));
        }
      } catch (Throwable t) {
        // The CLI prints whatever else escapes as a stack trace: each one is a defect.
        problems.add(file + ": " + t);
      }
      if (i % 2_000 == 0) { // five through the real command: each run costs a CLI start
        Path path = dir.resolve(file);
        Files.write(path, content);
        sample.add(path);
      }
      if (problems.size() > 20) {
        break;
      }
    }
    assertThat(problems).as("per kind " + perKind).isEmpty();
    assertThat(perKind.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(COUNT);

    // A sample through the real command: one sentence on stderr, exit 2, nothing on stdout.
    for (Path path : sample) {
      CliRun run = meshfed("apply", "-f", path.toString(), "--cluster", "sim", "--dir",
          dir.toString());
      assertThat(run.exit()).as(run.err()).isEqualTo(2);
      assertThat(run.err().lines()).as(run.err()).hasSize(1);
      assertThat(run.err()).contains(path.getFileName().toString())
          .doesNotContain("\tat ").hasSizeLessThan(MAX_MESSAGE + 200);
      assertThat(run.out()).isEmpty();
    }
    assertThat(cluster.objects()).isEmpty();
  }
}
