package io.meshfed.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's playground, command by command, as a person types it: every {@code ./meshfed}
 * line between the playground markers runs in a JVM of its own, in one working directory
 * (so {@code meshfed up}'s default {@code .meshfed} is how the others find the stack), and its
 * output is checked against the lines the README shows under it. The commands come from the
 * README itself, so the README and this test cannot drift apart.
 */
@EnabledOnOs(OS.LINUX)
class PlaygroundTest {

  private static final Path README = Path.of("..", "README.md");
  private static final String BEGIN = "<!-- playground: begin -->";
  private static final String END = "<!-- playground: end -->";

  @TempDir
  Path workDir;

  private Process up;

  /** One README command and the output lines the README shows under it. */
  record Step(List<String> args, List<String> expected) {
    String line() {
      return "./meshfed " + String.join(" ", args);
    }
  }

  /** The commands of the README's playground section, in order. */
  static List<Step> steps() throws IOException {
    return steps(BEGIN, END);
  }

  /** The commands between two markers of the README, with the lines shown under each. */
  static List<Step> steps(String beginMarker, String endMarker) throws IOException {
    String readme = Files.readString(README);
    int begin = readme.indexOf(beginMarker);
    int end = readme.indexOf(endMarker);
    assertThat(begin).as("README has the playground markers").isPositive().isLessThan(end);
    List<Step> steps = new ArrayList<>();
    boolean inBlock = false;
    for (String line : readme.substring(begin, end).lines().toList()) {
      if (line.startsWith("```")) {
        inBlock = !inBlock;
      } else if (inBlock && line.startsWith("./meshfed ")) {
        String command = line.replaceFirst("\\s+#.*$", "").substring("./meshfed ".length());
        steps.add(new Step(Arrays.asList(command.trim().split("\\s+")), new ArrayList<>()));
      } else if (inBlock) {
        steps.get(steps.size() - 1).expected().add(line);
      }
    }
    return steps;
  }

  @AfterEach
  void stopTheStack() throws Exception {
    if (up != null) {
      List<ProcessHandle> tree = new ArrayList<>(up.descendants().toList());
      up.destroy();
      if (!up.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
        up.destroyForcibly();
      }
      tree.forEach(ProcessHandle::destroyForcibly);
    }
  }

  private List<String> java(List<String> args) {
    return MeshfedJvm.command("512m", args);
  }

  private ProcessBuilder meshfed(List<String> args) {
    ProcessBuilder builder = new ProcessBuilder(java(args)).directory(workDir.toFile());
    // The README's commands find the stack through the working directory alone.
    builder.environment().remove(StackOptions.DIR_ENV);
    builder.environment().remove(StackOptions.QueryOptions.SERVER_ENV);
    return builder;
  }

  private CliRun run(List<String> args) throws Exception {
    Process p = meshfed(args).start();
    var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    String out = read(p.getInputStream());
    return new CliRun(p.waitFor(), out, err.get());
  }

  private static String read(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void theReadmesPlaygroundFailsOverAndRestores() throws Exception {
    List<Step> steps = steps();
    assertThat(steps).as("README playground").isNotEmpty();
    assertThat(steps.get(0).args()).as("the playground starts a stack").containsExactly("up");
    Path upOutput = workDir.resolve("up.out");
    up = meshfed(steps.get(0).args()).redirectErrorStream(true)
        .redirectOutput(upOutput.toFile()).start();
    // Generous: on a loaded 2-core machine a new secured stack has taken 280 s to come up.
    await().atMost(Duration.ofSeconds(480)).pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          assertThat(up.isAlive()).as("meshfed up exited:%n%s", Files.readString(upOutput))
              .isTrue();
          assertThat(Files.readString(upOutput)).contains("Ctrl-C stops everything.");
        });
    // Quiet by default: the terminal has meshfed's own lines, Kafka's warnings are in the log.
    String banner = Files.readString(upOutput);
    Path log = workDir.resolve(".meshfed").resolve(Logs.FILE).toAbsolutePath();
    assertThat(banner.lines().filter(l -> l.matches(".*\\b(WARN|ERROR)\\b.*"))).as(banner)
        .isEmpty();
    assertThat(banner).startsWith("meshfed is up (new stack in .meshfed").contains("  logs  ")
        .contains(log.toString());
    assertThat(Files.readString(log)).contains(" WARN ").contains("o.a.k.");
    assertSecured();
    RehearseAndSee.Dashboard dashboard = null;
    for (Step step : steps.subList(1, steps.size())) {
      // The README's dashboard is opened before the playground's failover and must show it.
      boolean failover = step.args().equals(RehearseAndSee.FAILOVER);
      if (failover) {
        dashboard = RehearseAndSee.Dashboard.open(workDir, this::run);
      }
      if (step.args().get(0).equals("get")) {
        // Decisions are made asynchronously: the table is awaited, as a person re-runs get.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
            .untilAsserted(() -> {
              // A stack that died says so at once, with its output, rather than as a timeout.
              assertThat(up.isAlive()).as("meshfed up exited:%n%s", Files.readString(upOutput)
                  + tail(log)).isTrue();
              assertTable(step, run(step.args()));
            });
      } else if (step.args().get(0).equals("watch")) {
        // Kafka through the stack's client config (SASL SCRAM): the decisions as shown, but
        // with this run's times.
        CliRun result = run(step.args());
        System.out.println(step.line() + "\n" + result.out());
        assertThat(result.exit()).as("%s: %s", step.line(), result.err()).isZero();
        assertThat(watched(result.out().lines().toList())).as(step.line())
            .containsExactlyInAnyOrderElementsOf(watched(step.expected()));
      } else {
        CliRun result = run(step.args());
        System.out.println(step.line() + "\n" + result.out());
        assertThat(result.exit()).as("%s: %s", step.line(), result.err()).isZero();
        assertThat(result.out().lines().toList()).as(step.line())
            .isEqualTo(step.expected());
      }
      if (failover && dashboard != null) {
        dashboard.showsTheFailover(workDir);
      }
    }
    // The README's what-if section replays what the playground did, on its stack.
    RehearseAndSee.whatIf(workDir, this::run);
  }

  /** The end of the stack's log, for a failure message. */
  private static String tail(Path log) throws IOException {
    if (!Files.exists(log)) {
      return "";
    }
    List<String> lines = Files.readAllLines(log);
    return "\n--- end of " + log + " ---\n"
        + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  /** Destination, client and reason code of each {@code watch decisions} line. */
  private static List<String> watched(List<String> lines) {
    return lines.stream().map(line -> line.split("\\s{2,}"))
        .map(f -> f[1] + " " + f[2] + " " + f[4]).toList();
  }

  /**
   * The stack {@code up} started is secured by default: the query API refuses a caller
   * without the token the CLI took from {@code .meshfed/query-tokens}, and the broker refuses
   * a login with the client config's user and another password.
   */
  private void assertSecured() throws Exception {
    Path dir = workDir.resolve(".meshfed");
    java.util.Properties endpoints = new java.util.Properties();
    try (var in = Files.newInputStream(dir.resolve(EmbeddedStack.ENDPOINTS_FILE))) {
      endpoints.load(in);
    }
    var http = java.net.http.HttpClient.newHttpClient();
    var anonymous = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
            endpoints.getProperty("query.url") + "/v1/clusters")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).as(anonymous.body()).isEqualTo(401);
    java.util.Properties client = new java.util.Properties();
    try (var in = Files.newInputStream(dir.resolve(EmbeddedStack.CLIENT_CONFIG_FILE))) {
      client.load(in);
    }
    assertThat(client.getProperty("security.protocol")).isEqualTo("SASL_PLAINTEXT");
    client.setProperty("sasl.jaas.config", client.getProperty("sasl.jaas.config")
        .replaceFirst("password=\"[^\"]*\"", "password=\"not-the-password\""));
    client.setProperty("bootstrap.servers", endpoints.getProperty("bootstrap.servers"));
    client.setProperty("default.api.timeout.ms", "60000");
    try (var admin = org.apache.kafka.clients.admin.Admin.create(client)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> admin.listTopics().names().get())
          .hasCauseInstanceOf(org.apache.kafka.common.errors.SaslAuthenticationException.class);
    }
  }

  /**
   * A decision table as the README shows it: the same header, and for each row shown a row
   * with the same client, reason and active tier (epochs, times and details differ per run).
   */
  private static void assertTable(Step step, CliRun result) {
    System.out.println(step.line() + "\n" + result.out() + result.err());
    assertThat(result.exit()).as("%s: %s", step.line(), result.err()).isZero();
    List<String> lines = result.out().lines().toList();
    assertThat(lines).as(step.line()).isNotEmpty();
    assertThat(lines.get(0).split("\\s{2,}")).as(step.line())
        .containsExactly("EPOCH", "CLIENT", "TIME", "REASON", "ACTIVE TIER", "DETAIL");
    if (step.expected().isEmpty()) {
      return;
    }
    assertThat(columns(lines.subList(1, lines.size()))).as(step.line())
        .containsExactlyInAnyOrderElementsOf(columns(step.expected().subList(1,
            step.expected().size())));
  }

  /** Client, reason and active tier of each row. */
  private static List<String> columns(List<String> rows) {
    return rows.stream().map(row -> row.split("\\s+")).map(f -> f[1] + " " + f[3] + " " + f[4])
        .toList();
  }
}
