package io.meshfed.bench.chaos;

import static org.awaitility.Awaitility.await;

import io.meshfed.agent.ClusterAgent;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.bench.chaos.ChaosSuite.Env;
import io.meshfed.testing.OffLoopCloseCrudDispatcher;
import io.meshfed.testing.TcpProxy;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyMain;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Fault class {@code agent-restart}: mgmt-cluster's agent restarted while Kafka is unreachable
 * from it. A broker process whose AGENT listener is advertised at a {@link TcpProxy}, so every
 * byte of the agent (its producer and its config consumer) crosses the proxy; the topology, the
 * harness's flips and heartbeats and the observer use the direct listener, so the control
 * plane goes on deciding while the agent is cut off. The agent runs on the mock API server
 * ({@link MockCluster}, the {@link OffLoopCloseCrudDispatcher}).
 *
 * <p>Each restart: the agent has applied mgmt-cluster's latest config (its last-known-good,
 * kept where it is served: the objects in the API server); the agent is closed, its path to
 * Kafka made unreachable — refused (connections reset) and partitioned (bytes dropped
 * silently) in turn — and a new agent started. While Kafka is away, flips are decided by the
 * topology that the agent cannot see, and for the whole time the agent must serve exactly the
 * last-known-good config (the objects its applier makes of it, none rewritten: the same
 * resourceVersions) and report degraded ({@code /readyz} 503 with {@code "kafka":"degraded"}
 * and {@code "configCaughtUp":false}). Then the path heals and the agent must catch up to the
 * oracle: ready, its objects those of mgmt-cluster's latest config; that time is the restart's
 * recovery. At the end the common oracle: each client's config, epochs 1..n, two decisions per
 * flip.
 */
final class AgentRestart {

  static final String RESTARTS_PROPERTY = "meshfed.chaos.agentRestarts";
  static final String AWAY_PROPERTY = "meshfed.chaos.agentAwaySeconds";
  static final int FLIPS_AWAY = 2;
  static final int FULL_RESTARTS = 6;
  static final int FULL_AWAY_SECONDS = 60;
  /** The agent's send timeout: an outage shows on /readyz within seconds, as KafkaAwayTest's. */
  static final String SEND_TIMEOUT_MS = "3000";

  private final Env base;
  private final ChaosSuite.Sizes sizes;

  AgentRestart(Env base, ChaosSuite.Sizes sizes) {
    this.base = base;
    this.sizes = sizes;
  }

  /** Restarts ({@code --agent-restarts N}): 6 (3 refused, 3 partitioned); 2 in quick. */
  int restarts() {
    return Integer.getInteger(RESTARTS_PROPERTY, sizes.quick() ? 2 : FULL_RESTARTS);
  }

  /** How long Kafka stays away after each restart ({@code --agent-away S}): 60 s; 15 in quick. */
  int awaySeconds() {
    return Integer.getInteger(AWAY_PROPERTY, sizes.quick() ? 15 : FULL_AWAY_SECONDS);
  }

  FaultResult run() throws Exception {
    FaultResult r = new FaultResult("agent-restart");
    r.recoveryMeasure = "Kafka back to the agent ready with the oracle's config applied";
    try (TcpProxy agentPath = new TcpProxy(0, 64);
        BrokerProcess broker = new BrokerProcess(Files.createTempDirectory(base.work,
            "agent-restart"), agentPath.port(), 0)) {
      agentPath.forwardTo(broker.agentPort);
      broker.start(Duration.ofMinutes(10));
      // Everything but the real agent on the direct listener.
      try (Env env = Env.over(base, broker.internal(), broker.internal(), broker.internal())) {
        run(r, env, agentPath, "127.0.0.1:" + agentPath.port());
      }
    }
    return r;
  }

  private void run(FaultResult r, Env env, TcpProxy agentPath, String agentBootstrap)
      throws Exception {
    env.freshClusters();
    KafkaStreams streams = TopologyMain.start(env.topologyConfig("chaos-agent-restart",
        Files.createTempDirectory(env.work, "state-agent-restart")), new Properties());
    ClusterAgent agent = null;
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try (MockCluster cluster = new MockCluster(new OffLoopCloseCrudDispatcher());
        Observer observer = new Observer(env.bootstrap(), env.registryClient)) {
      var config = MockCluster.mgmtAgent(env, agentBootstrap,
          Map.of("meshfed.agent.send.timeout.ms", SEND_TIMEOUT_MS));
      agent = new ClusterAgent(config, cluster.agentClient(Duration.ofSeconds(10))).start();
      ClusterAgent first = agent;
      await().atMost(Duration.ofSeconds(120))
          .until(() -> streams.state() == KafkaStreams.State.RUNNING && first.isReady());
      int expected = env.startWorld(r, observer);
      boolean ready = true;
      boolean held = true;
      List<String> notes = new ArrayList<>();
      for (int i = 0; i < restarts(); i++) {
        // One flip the agent sees, so each restart starts from a config it applied itself.
        ready = !ready;
        env.flip(ready);
        expected += 2;
        Env.awaitDecisions(observer, expected, Duration.ofSeconds(120));
        String applied = ApiFaults.awaitApplied(cluster, observer, Duration.ofSeconds(120));
        FederatedDestination lastKnownGood = observer.latest.get(Bookinfo.MGMT);
        if (applied != null) {
          held = false;
          r.findings.add("Restart " + (i + 1) + ": before it, the agent never applied the"
              + " latest config: " + applied + ".");
        }
        Map<String, String> versions = cluster.ownedVersions();

        agent.close();
        boolean refused = i % 2 == 0;
        if (refused) {
          agentPath.refuse();
        } else {
          agentPath.partition();
        }
        agent = new ClusterAgent(config, cluster.agentClient(Duration.ofSeconds(10)))
            .start();
        ClusterAgent restarted = agent;
        HttpRequest readyz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + agent.healthPort() + "/readyz")).timeout(Duration.ofSeconds(5)).build();
        long awayFrom = System.nanoTime();
        // Degraded, and says so.
        String said = awaitDegraded(http, readyz);
        if (said != null) {
          held = false;
          r.findings.add("Restart " + (i + 1) + ": /readyz did not report degraded: " + said
              + ".");
        }
        // The control plane goes on without the agent: flips it cannot see.
        for (int f = 0; f < FLIPS_AWAY; f++) {
          ready = !ready;
          env.flip(ready);
          expected += 2;
          Env.awaitDecisions(observer, expected, Duration.ofSeconds(120));
        }
        // For the rest of the outage: the last-known-good config, untouched, and degraded.
        String[] why = {null};
        Duration left = Duration.ofSeconds(awaySeconds())
            .minusNanos(System.nanoTime() - awayFrom);
        try {
          await().during(left.isNegative() ? Duration.ZERO : left)
              .atMost(left.plusSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
                String diff = cluster.appliedDiff(lastKnownGood);
                Map<String, String> now = cluster.ownedVersions();
                why[0] = diff != null ? diff : !now.equals(versions)
                    ? "rewritten: " + versions + " -> " + now
                    : restarted.isReady() ? "ready while Kafka is away" : null;
                return why[0] == null;
              });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          held = false;
          r.findings.add("Restart " + (i + 1) + ": while Kafka was away the agent did not"
              + " keep serving its last-known-good config: " + why[0] + ".");
        }
        double away = (System.nanoTime() - awayFrom) / 1e9;
        long healed = System.nanoTime();
        agentPath.heal();
        boolean finalReady = ready;
        try {
          await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200))
              .until(() -> {
                why[0] = cluster.appliedDiff(observer.latest.get(Bookinfo.MGMT));
                return restarted.isReady() && why[0] == null
                    && Env.matchesOracle(observer, finalReady);
              });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          held = false;
          r.findings.add("Restart " + (i + 1) + ": five minutes after Kafka came back the"
              + " agent had not caught up: " + restarted.readiness() + "; " + why[0] + ".");
        }
        double recovery = (System.nanoTime() - healed) / 1e9;
        r.recoverySeconds.add(recovery);
        r.maxRecoverySeconds = Math.max(r.maxRecoverySeconds, recovery);
        notes.add(String.format(Locale.ROOT, "%s %.0f s, caught up %.1f s after",
            refused ? "refused" : "partitioned", away, recovery));
      }
      r.injectedCount = restarts();
      r.injected = String.format(Locale.ROOT, "%d agent restarts while Kafka was unreachable"
          + " (%d refused, %d partitioned; %d s each), %d flips decided meanwhile",
          restarts(), (restarts() + 1) / 2, restarts() / 2, awaySeconds(),
          FLIPS_AWAY * restarts());
      r.findings.add("Per restart: " + String.join("; ", notes) + ". Agent send timeout "
          + SEND_TIMEOUT_MS + " ms.");
      env.conclude(r, observer, ready, expected);
      r.classOracle = held;
      r.alive = agent.isReady();
      Env.judgeThreads(r, streams);
    } finally {
      if (agent != null) {
        agent.close();
      }
      streams.close(Duration.ofSeconds(30));
    }
  }

  /** Waits (60 s) until /readyz says 503, Kafka degraded, config not caught up; null then. */
  private static String awaitDegraded(HttpClient http, HttpRequest readyz) {
    String[] said = {"no answer"};
    try {
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .ignoreExceptions().until(() -> {
            HttpResponse<String> response = http.send(readyz,
                HttpResponse.BodyHandlers.ofString());
            said[0] = response.statusCode() + " " + response.body();
            return response.statusCode() == 503
                && response.body().contains("\"kafka\":\"degraded\"")
                && response.body().contains("\"configCaughtUp\":false");
          });
      return null;
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      return said[0];
    }
  }
}
