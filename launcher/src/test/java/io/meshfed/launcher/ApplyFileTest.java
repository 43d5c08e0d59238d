package io.meshfed.launcher;

import static io.meshfed.launcher.CliRun.meshfed;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code meshfed apply} and {@code delete} with files as people get them wrong, against a real
 * simulated cluster (the fabric8 mock API server a {@code meshfed up} runs): every bad file is
 * one sentence naming the file (and the document and field), exit 2, no stack trace, and
 * nothing applied, not even the good documents before the bad one. And the core kinds a
 * playground workload is made of (Namespace, Service, EndpointSlice, Pod) apply and delete.
 */
class ApplyFileTest {

  private static final String GOOD = """
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

  @AfterEach
  void empty() {
    for (HasMetadata object : cluster.objects()) {
      cluster.client().resource(object).delete();
    }
  }

  private static CliRun apply(Path file) {
    return meshfed("apply", "-f", file.toString(), "--cluster", "sim", "--dir", dir.toString());
  }

  /** A bad file: its name, what it holds (null: do not create it), and what the error says. */
  static Stream<Arguments> badFiles() {
    byte[] tooLarge = new byte[(int) ResourceFile.MAX_BYTES + 1];
    java.util.Arrays.fill(tooLarge, (byte) '#');
    return Stream.of(
        Arguments.of("empty.yaml", new byte[0], "empty.yaml is empty"),
        Arguments.of("comments.yaml", "# nothing here\n---\n".getBytes(StandardCharsets.UTF_8),
            "comments.yaml holds no resources"),
        Arguments.of("binary.yaml", new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13, 'I'},
            "binary.yaml is not a YAML text file: it holds binary data"),
        Arguments.of("latin1.yaml", "kind: Caf\u00e9".getBytes(StandardCharsets.ISO_8859_1),
            "latin1.yaml is not a YAML text file: it is not UTF-8 text"),
        Arguments.of("malformed.yaml", bytes("apiVersion: v1\nkind: Service\nmetadata:\n"
            + "  name: [reviews\n"), "malformed.yaml: document 1 is not valid YAML:"),
        Arguments.of("duplicate.yaml", bytes("apiVersion: v1\nkind: Service\nkind: Pod\n"
            + "metadata: {name: a}\n"), "duplicate.yaml: document 1 is not valid YAML:"),
        Arguments.of("no-kind.yaml", bytes("apiVersion: v1\nmetadata: {name: a}\n"),
            "no-kind.yaml: document 1 (line 1) has no kind"),
        Arguments.of("no-api-version.yaml", bytes("kind: FailoverService\nmetadata: {name: a}\n"),
            "no-api-version.yaml: document 1 (line 1) has no apiVersion"),
        Arguments.of("no-name.yaml", bytes(GOOD.replace("  name: reviews-failover\n", "")),
            "no-name.yaml: document 1 (line 1): FailoverService has no metadata.name"),
        Arguments.of("bad-name.yaml", bytes(GOOD.replace("name: reviews-failover",
            "name: Reviews_Failover")), "metadata.name 'Reviews_Failover' is not a valid name"),
        Arguments.of("unknown-kind.yaml", bytes("apiVersion: apps/v1\nkind: Deployment\n"
            + "metadata: {name: a}\n"), "unknown-kind.yaml: document 1 (line 1): kind Deployment"
            + " is not one apply and delete know (FailoverService, VirtualDestination,"
            + " FailoverPolicy, OutlierDetectionPolicy, ExternalService, ExternalWorkload,"
            + " Namespace, Service, EndpointSlice, Pod)"),
        Arguments.of("vm-without-endpoints.yaml", bytes("apiVersion: meshfed.io/v1alpha1\n"
            + "kind: ExternalService\nmetadata: {name: vms, namespace: bookinfo}\n"
            + "spec: {ports: [{name: http, number: 99999}], endpoints: []}\n"),
            "vm-without-endpoints.yaml: document 1 (line 1): ExternalService vms:"
            + " spec.ports[0].number: 99999 is not a port number (1 to 65535);"
            + " spec.endpoints: at least one endpoint is required"),
        Arguments.of("wrong-api-version.yaml", bytes(GOOD.replace("meshfed.io/v1alpha1", "v1")),
            "FailoverService is apiVersion meshfed.io/v1alpha1, not v1"),
        Arguments.of("list.yaml", bytes("- a\n- b\n"), "list.yaml: document 1 (line 1) is a list,"
            + " not a resource"),
        Arguments.of("huge.yaml", tooLarge, "huge.yaml is 3.0 MB; files larger than 3 MB are"
            + " refused"),
        Arguments.of("missing.yaml", null, "missing.yaml does not exist"),
        // The first document is good: it must not be applied when the second is bad.
        Arguments.of("second-bad.yaml", bytes(GOOD + "---\napiVersion: meshfed.io/v1alpha1\n"
            + "metadata: {name: b, namespace: service-mesh-hub}\n"),
            "second-bad.yaml: document 2 (line 14) has no kind"),
        Arguments.of("port-abc.yaml", bytes(GOOD.replace("number: 9080", "number: abc")),
            "port-abc.yaml: document 1 (line 1): FailoverService reviews-failover:"
                + " spec.port.number: \"abc\" is not an integer"),
        Arguments.of("port-overflow.yaml", bytes(GOOD.replace("number: 9080",
            "number: 99999999999999999999")), "spec.port.number: 99999999999999999999 is out of"
            + " range"),
        Arguments.of("port-fraction.yaml", bytes(GOOD.replace("number: 9080", "number: 80.5")),
            "spec.port.number: 80.5 is not an integer"),
        Arguments.of("weight-overflow.yaml", bytes("apiVersion: meshfed.io/v1alpha1\n"
            + "kind: FailoverPolicy\nmetadata: {name: p, namespace: service-mesh-hub}\n"
            + "spec:\n  weights: {mgmt-cluster: 4294967396}\n"),
            "spec.weights.mgmt-cluster: 4294967396 is out of range"));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFiles")
  void aBadFileIsOneSentenceExit2AndNothingApplied(String name, byte[] content, String says)
      throws Exception {
    Path file = dir.resolve(name);
    if (content != null) {
      Files.write(file, content);
    }
    CliRun run = apply(file);
    assertThat(run.exit()).as(run.err()).isEqualTo(2);
    assertThat(run.err()).contains(file.toString()).contains(says)
        .endsWith("; nothing was applied" + System.lineSeparator())
        .doesNotContain("Exception").doesNotContain("at io.").doesNotContain("\tat ");
    assertThat(run.err().lines()).hasSize(1);
    assertThat(run.out()).isEmpty();
    assertThat(cluster.objects()).isEmpty();
  }

  @Test
  void deleteChecksTheWholeFileFirstToo() throws Exception {
    Path good = dir.resolve("good.yaml");
    Files.writeString(good, GOOD);
    assertThat(apply(good).exit()).isZero();
    Path file = dir.resolve("delete-second-bad.yaml");
    Files.writeString(file, GOOD + "---\nkind: FailoverService\n");
    CliRun run = meshfed("delete", "-f", file.toString(), "--cluster", "sim", "--dir",
        dir.toString());
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).isEqualTo("meshfed delete: " + file + ": document 2 (line 14) has no"
        + " apiVersion; nothing was deleted" + System.lineSeparator());
    assertThat(cluster.objects()).extracting(o -> o.getMetadata().getName())
        .containsExactly("reviews-failover");
  }

  @Test
  void aGoodMultiDocumentFileIsAppliedInOrderAndEmptyDocumentsAreSkipped() throws Exception {
    Path file = dir.resolve("two.yaml");
    Files.writeString(file, "---\n" + GOOD + "---\n---\n" + GOOD.replace("reviews-failover",
        "ratings-failover"));
    CliRun run = apply(file);
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo(String.join(System.lineSeparator(),
        "FailoverService/service-mesh-hub/reviews-failover applied",
        "FailoverService/service-mesh-hub/ratings-failover applied", ""));
  }

  /** The playground's workload files: what {@code meshfed up}'s users apply to break reviews. */
  @Test
  void coreKindsOfAWorkloadApplyAndDelete() {
    Path playground = Path.of("..", "examples", "playground");
    CliRun run = apply(playground.resolve("reviews-mgmt.yaml"));
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("Namespace/bookinfo applied",
        "Service/bookinfo/reviews applied", "EndpointSlice/bookinfo/reviews-slice applied");
    assertThat(cluster.client().namespaces().withName("bookinfo").get()).isNotNull();
    assertThat(cluster.client().services().inNamespace("bookinfo").withName("reviews").get()
        .getSpec().getPorts().get(0).getPort()).isEqualTo(9080);
    assertThat(cluster.readyAddresses("bookinfo")).containsExactly("10.0.0.11", "10.0.0.12");

    run = apply(playground.resolve("reviews-mgmt-unready.yaml"));
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(cluster.readyAddresses("bookinfo")).isEmpty();

    Path pod = dir.resolve("pod.yaml");
    run = meshfed("apply", "-f", write(pod, """
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v1, namespace: bookinfo, labels: {app: reviews}}
        spec:
          containers: [{name: reviews, image: docker.io/istio/examples-bookinfo-reviews-v1}]
        """).toString(), "--cluster", "sim", "--dir", dir.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(cluster.client().pods().inNamespace("bookinfo").withName("reviews-v1").get())
        .isNotNull();

    run = meshfed("delete", "-f", playground.resolve("reviews-mgmt.yaml").toString(),
        "--cluster", "sim", "--dir", dir.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("Service/bookinfo/reviews deleted");
    assertThat(cluster.client().services().inNamespace("bookinfo").withName("reviews").get())
        .isNull();
    assertThat(cluster.client().discovery().v1().endpointSlices().inNamespace("bookinfo")
        .list().getItems()).isEmpty();
  }

  @Test
  void theSnapshotKeepsNamespacesAndPods() throws Exception {
    Path snapshot = dir.resolve("snapshot").resolve("c.yaml");
    try (SimulatedCluster first = new SimulatedCluster(snapshot)) {
      Files.writeString(dir.resolve("c.kubeconfig"), first.kubeconfig("c"));
      CliRun run = meshfed("apply", "-f", Path.of("..", "examples", "playground",
          "reviews-remote.yaml").toString(), "--cluster", "c", "--dir", dir.toString());
      assertThat(run.exit()).as(run.err()).isZero();
    }
    try (SimulatedCluster second = new SimulatedCluster(snapshot)) {
      assertThat(second.restored()).isEqualTo(3);
      assertThat(second.client().namespaces().withName("bookinfo").get()).isNotNull();
      assertThat(second.readyAddresses("bookinfo")).containsExactly("10.1.0.21");
    }
  }

  private static Path write(Path file, String text) {
    try {
      return Files.writeString(file, text);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
