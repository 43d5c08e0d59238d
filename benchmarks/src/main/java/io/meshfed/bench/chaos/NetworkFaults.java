package io.meshfed.bench.chaos;

import static org.awaitility.Awaitility.await;

import io.meshfed.bench.chaos.ChaosSuite.Env;
import io.meshfed.testing.TcpProxy;
import io.meshfed.topology.TopologyMain;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Fault class d: the network. A broker process whose AGENT and TOPOLOGY listeners are advertised
 * at two {@link TcpProxy}s, so every byte between the agent's producer and the broker crosses
 * one, and every byte between the topology and the broker the other:
 *
 * <ol>
 *   <li>agent ↔ broker partitioned for each of the sizes' durations (30 s; 5 min in the full
 *       run), with a flip sent into the partition: nothing may be decided while it lasts, and
 *       the flip must be decided once after healing (the agent's producer resends what its
 *       delivery timeout gave up on, as an agent must);
 *   <li>topology ↔ broker with added latency (200 ms each way), flips decided one at a time;
 *   <li>topology ↔ broker with loss (2 % of chunks reset their connection), the same.
 * </ol>
 *
 * <p>Heartbeats take the direct listener, off the partitioned path: a partition longer than the
 * TTL correctly makes the topology declare the cluster stale (the topology's own tests cover
 * that), and here each decision must be one a flip explains. The oracle after healing, epochs
 * 1..n read_committed, and no lost or extra decision.
 */
final class NetworkFaults {

  static final Duration LATENCY = Duration.ofMillis(200);
  static final double LOSS = 0.02;
  static final int FLIPS_PER_PHASE = 4;

  private final Env base;
  private final ChaosSuite.Sizes sizes;

  NetworkFaults(Env base, ChaosSuite.Sizes sizes) {
    this.base = base;
    this.sizes = sizes;
  }

  FaultResult run() throws Exception {
    FaultResult r = new FaultResult("network");
    try (TcpProxy agentPath = new TcpProxy(0, 64); TcpProxy topologyPath = new TcpProxy(0, 64);
        BrokerProcess broker = new BrokerProcess(Files.createTempDirectory(base.work,
            "network"), agentPath.port(), topologyPath.port())) {
      agentPath.forwardTo(broker.agentPort);
      topologyPath.forwardTo(broker.topologyPort);
      broker.start(Duration.ofMinutes(10));
      try (Env env = Env.over(base, broker.internal(), "127.0.0.1:" + agentPath.port(),
          "127.0.0.1:" + topologyPath.port())) {
        env.heartbeatsDirect();
        run(r, env, agentPath, topologyPath);
      }
    }
    return r;
  }

  private void run(FaultResult r, Env env, TcpProxy agentPath, TcpProxy topologyPath)
      throws Exception {
    env.freshClusters();
    KafkaStreams streams = TopologyMain.start(env.topologyConfig("chaos-network",
        Files.createTempDirectory(env.work, "state-network")), new Properties());
    try (Observer observer = new Observer(env.bootstrap(), env.registryClient)) {
      await().atMost(Duration.ofSeconds(120))
          .until(() -> streams.state() == KafkaStreams.State.RUNNING);
      int[] expected = {env.startWorld(r, observer)};
      boolean[] ready = {true};
      double maxRecovery = 0;
      List<String> notes = new ArrayList<>();
      List<String> injected = new ArrayList<>();

      for (int seconds : sizes.partitionSeconds()) {
        flips(env, observer, ready, expected, 2);
        int before = observer.decisionCount();
        agentPath.partition();
        ready[0] = !ready[0];
        boolean flipTo = ready[0];
        AtomicInteger resends = new AtomicInteger();
        // The agent keeps trying: a send its producer gave up on is sent again.
        CompletableFuture<Void> flip = CompletableFuture.runAsync(
            () -> resends.set(env.flipResending(flipTo, 20)));
        Duration partition = Duration.ofSeconds(seconds);
        // Nothing can be decided while the flip is cut off: the wait is the partition itself.
        boolean quiet = true;
        try {
          await().during(partition).atMost(partition.plusSeconds(30))
              .pollInterval(Duration.ofMillis(200))
              .until(() -> observer.decisionCount() == before);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          quiet = false;
          r.findings.add("A decision appeared during the " + seconds + " s partition.");
        }
        long healedAt = System.nanoTime();
        agentPath.heal();
        flip.get(5, TimeUnit.MINUTES);
        expected[0] += 2;
        Env.awaitDecisions(observer, expected[0], Duration.ofSeconds(180));
        double recovery = (System.nanoTime() - healedAt) / 1e9;
        maxRecovery = Math.max(maxRecovery, recovery);
        injected.add(seconds + " s agent partition");
        notes.add(String.format(Locale.ROOT, "%d s partition: quiet during it %s, %d resend(s)"
            + " by the agent, decided %.1f s after healing", seconds, quiet, resends.get(),
            recovery));
      }

      topologyPath.delay(LATENCY);
      double worst = flips(env, observer, ready, expected, FLIPS_PER_PHASE);
      topologyPath.heal();
      maxRecovery = Math.max(maxRecovery, worst);
      injected.add(LATENCY.toMillis() + " ms topology latency");
      notes.add(String.format(Locale.ROOT, "%d ms latency each way between topology and"
          + " broker: slowest flip decided in %.1f s", LATENCY.toMillis(), worst));

      long resetsBefore = topologyPath.resets();
      topologyPath.drop(LOSS);
      worst = flips(env, observer, ready, expected, FLIPS_PER_PHASE);
      topologyPath.heal();
      maxRecovery = Math.max(maxRecovery, worst);
      injected.add(String.format(Locale.ROOT, "%.0f %% topology loss", LOSS * 100));
      notes.add(String.format(Locale.ROOT, "%.0f %% of chunks between topology and broker"
          + " reset their connection (%d resets): slowest flip decided in %.1f s", LOSS * 100,
          topologyPath.resets() - resetsBefore, worst));

      r.injectedCount = injected.size();
      r.injected = String.join(", ", injected) + "; " + ((expected[0] - 2) / 2) + " flips";
      boolean finalReady = ready[0];
      Env.awaitDecisions(observer, expected[0], Duration.ofSeconds(180));
      r.finalEqualsOracle = env.awaitOracle(observer, finalReady, Duration.ofSeconds(60));
      if (!r.finalEqualsOracle) {
        r.findings.add("Final state is not the oracle's: "
            + Env.oracleDiff(observer, finalReady));
      }
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(60))
          .until(() -> Env.matchesOracle(observer, finalReady));
      Env.judgeLog(r, observer, expected[0]);
      r.maxRecoverySeconds = maxRecovery;
      r.findings.add(String.join("; ", notes) + ".");
      Env.judgeThreads(r, streams);
    } finally {
      streams.close(Duration.ofSeconds(30));
    }
  }

  /** {@code count} flips, each decided before the next; the slowest one's seconds. */
  private static double flips(Env env, Observer observer, boolean[] ready, int[] expected,
      int count) throws Exception {
    double worst = 0;
    for (int f = 0; f < count; f++) {
      ready[0] = !ready[0];
      long t0 = System.nanoTime();
      env.flip(ready[0]);
      expected[0] += 2;
      Env.awaitDecisions(observer, expected[0], Duration.ofSeconds(120));
      worst = Math.max(worst, (System.nanoTime() - t0) / 1e9);
    }
    return worst;
  }
}
