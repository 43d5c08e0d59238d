package io.meshfed.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The README's what-if and dashboard sections, run by {@link PlaygroundTest} on the playground's
 * stack (a stack of their own would cost the suite another minute): the dashboard, in headless
 * Chromium, opened before the playground's failover, shows both clusters, then the failover's
 * new active tier and decision within 2 s of the query API having them; after the playground,
 * {@code meshfed whatif} replays its failover and failback.
 */
final class RehearseAndSee {

  static final String WHATIF_BEGIN = "<!-- whatif: begin -->";
  static final String WHATIF_END = "<!-- whatif: end -->";
  static final String DASHBOARD_BEGIN = "<!-- dashboard: begin -->";
  static final String DASHBOARD_END = "<!-- dashboard: end -->";
  static final String DESTINATION = "FailoverService/service-mesh-hub/reviews-failover";
  /** Where the browser check's script and its npm dependency (playwright-core) are. */
  static final Path BROWSER = Path.of("src", "test", "browser");

  interface Cli {
    CliRun run(List<String> args) throws Exception;
  }

  private RehearseAndSee() {}

  static void whatIf(Path workDir, Cli cli) throws Exception {
    copyExamples(workDir);
    List<PlaygroundTest.Step> steps = PlaygroundTest.steps(WHATIF_BEGIN, WHATIF_END);
    assertThat(steps).as("README what-if section").hasSize(2);
    CliRun table = cli.run(steps.get(0).args());
    System.out.println(steps.get(0).line() + "\n" + table.out());
    assertThat(table.exit()).as("%s: %s", steps.get(0).line(), table.err()).isZero();
    assertThat(table.out()).containsPattern("DESTINATION +CLIENT +MADE: MOVES +MADE FLAPS"
        + " +PROPOSED: MOVES +PROPOSED FLAPS");
    CliRun json = cli.run(steps.get(1).args());
    assertThat(json.exit()).as("%s: %s", steps.get(1).line(), json.err()).isZero();
    JsonNode report = QueryClient.JSON.readTree(json.out());
    JsonNode mgmt = null;
    for (JsonNode item : report.get("items")) {
      if (item.get("destination").asText().equals(DESTINATION)
          && item.get("clientCluster").asText().equals("mgmt-cluster")) {
        mgmt = item;
      }
    }
    assertThat(mgmt).as("the playground's destination in %s", json.out()).isNotNull();
    // The playground failed over (its failback waits out the 30 s damping, after this):
    // made, and made again by the replay of the stack's own events (the proposal selects no
    // FailoverService).
    assertThat(mgmt.at("/made/moves").asInt()).isGreaterThanOrEqualTo(1);
    assertThat(mgmt.at("/proposed/moves").asInt()).isGreaterThanOrEqualTo(1);
    List<String> reasons = new java.util.ArrayList<>();
    mgmt.at("/proposed/changes").forEach(c -> reasons.add(c.get("reasonCode").asText()));
    assertThat(reasons).contains("TIER_UNHEALTHY");
  }

  /** The playground step that fails reviews over, which the dashboard must show. */
  static final List<String> FAILOVER =
      List.of("scenario", "unready", "reviews", "--cluster", "mgmt-cluster");

  /** The README's dashboard in headless Chromium, driven by dashboard-check.mjs. */
  static final class Dashboard {
    private final Process node;
    private final BlockingQueue<String> lines;
    private final Path screenshot;
    private final long before;

    private Dashboard(Process node, BlockingQueue<String> lines, Path screenshot, long before) {
      this.node = node;
      this.lines = lines;
      this.screenshot = screenshot;
      this.before = before;
    }

    /**
     * Runs the README's {@code meshfed dashboard}, opens the URL it prints and waits until the
     * page is live with both clusters and tier 0 active; null (saying so) without Chromium.
     */
    static Dashboard open(Path workDir, Cli cli) throws Exception {
      List<PlaygroundTest.Step> steps = PlaygroundTest.steps(DASHBOARD_BEGIN, DASHBOARD_END);
      assertThat(steps).as("README dashboard section").hasSize(1);
      CliRun url = cli.run(steps.get(0).args());
      assertThat(url.exit()).as(url.err()).isZero();
      assertThat(url.out().strip())
          .matches("http://127\\.0\\.0\\.1:\\d+/dashboard/#token=\\S+");
      // Same auth as the REST API: the page is public (it holds no data), its feed is not.
      String base = url.out().strip().substring(0, url.out().strip().indexOf("/dashboard/"));
      var http = java.net.http.HttpClient.newHttpClient();
      var page = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base
          + "/dashboard/")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("<script src=\"/dashboard/dashboard.js\">");
      var feed = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base
          + "/v1/live")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(feed.statusCode()).as(feed.body()).isEqualTo(401);
      Path chromium = Path.of(System.getenv().getOrDefault("MESHFED_CHROMIUM",
          "/usr/bin/chromium"));
      if (!Files.isExecutable(chromium)) {
        // The one case the check gives way: .ci/run installs Debian's chromium.
        System.out.println("SKIPPED the dashboard's browser check: no Chromium at " + chromium
            + " (apt-get install -y chromium, or set MESHFED_CHROMIUM)");
        return null;
      }
      npmCi();
      Path screenshot = Path.of(System.getProperty("meshfed.dashboard.screenshot",
          Path.of("target", "dashboard.png").toString())).toAbsolutePath();
      Process node = new ProcessBuilder("node", "dashboard-check.mjs", chromium.toString(),
          url.out().strip(), screenshot.toString()).directory(BROWSER.toFile())
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
            node.getInputStream(), StandardCharsets.UTF_8))) {
          in.lines().forEach(lines::add);
        } catch (IOException | java.io.UncheckedIOException ended) {
          // the process ended (or was destroyed after the check: lines() then reports the
          // closed stream unchecked, and Awaitility would rethrow it in a later wait); what it
          // said is in lines
        }
        lines.add("EOF");
      }, "dashboard-check-output");
      reader.setDaemon(true);
      reader.start();
      String ready = lines.poll(180, TimeUnit.SECONDS);
      if (!"READY".equals(ready)) {
        node.destroyForcibly();
      }
      assertThat(ready).as("the page loaded, with both clusters and tier 0 active")
          .isEqualTo("READY");
      return new Dashboard(node, lines, screenshot, latestEpoch(workDir));
    }

    /** Once the query API has the failover: the page must show it within 2 s. */
    void showsTheFailover(Path workDir) throws Exception {
      try {
        long[] epoch = {0};
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> {
              JsonNode latest = latest(workDir);
              if (latest != null && latest.get("epoch").asLong() > before
                  && latest.at("/after/activeTier").asInt() == 1) {
                epoch[0] = latest.get("epoch").asLong();
                return true;
              }
              return false;
            });
        PrintWriter toNode = new PrintWriter(node.getOutputStream(), true,
            StandardCharsets.UTF_8);
        toNode.println("EXPECT " + epoch[0]);
        String result = lines.poll(30, TimeUnit.SECONDS);
        System.out.println("dashboard check: " + result + " (screenshot " + screenshot + ")");
        assertThat(result).as("the page shows the failover within 2 s").startsWith("OK ");
      } finally {
        node.destroyForcibly();
      }
    }
  }

  /** playwright-core, as .ci/run installs it; once here for a machine where it did not run. */
  private static void npmCi() throws Exception {
    if (Files.isDirectory(BROWSER.resolve("node_modules").resolve("playwright-core"))) {
      return;
    }
    Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
        .directory(BROWSER.toFile()).inheritIO().start();
    assertThat(npm.waitFor(300, TimeUnit.SECONDS) && npm.exitValue() == 0)
        .as("npm ci in %s (playwright-core)", BROWSER).isTrue();
  }

  /** mgmt-cluster's latest decision for the playground's destination, via the query API. */
  private static JsonNode latest(Path workDir) throws Exception {
    java.util.Properties endpoints = new java.util.Properties();
    Path dir = workDir.resolve(".meshfed");
    try (var in = Files.newInputStream(dir.resolve(EmbeddedStack.ENDPOINTS_FILE))) {
      endpoints.load(in);
    }
    String token = EmbeddedStack.readToken(dir.resolve(EmbeddedStack.QUERY_TOKENS_FILE), "read");
    var response = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(endpoints.getProperty(
            "query.url") + "/v1/decisions?destination=" + DESTINATION + "&limit=4"))
            .header("Authorization", "Bearer " + token).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      return null;
    }
    for (JsonNode item : QueryClient.JSON.readTree(response.body()).get("items")) {
      if (item.get("clientCluster").asText().equals("mgmt-cluster")) {
        return item;
      }
    }
    return null;
  }

  private static long latestEpoch(Path workDir) throws Exception {
    JsonNode latest = latest(workDir);
    return latest == null ? 0 : latest.get("epoch").asLong();
  }

  /** The README's commands name examples/ from the repository's root. */
  private static void copyExamples(Path workDir) throws IOException {
    Path from = Path.of("..", "examples", "whatif");
    Path to = workDir.resolve("examples").resolve("whatif");
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }
}
