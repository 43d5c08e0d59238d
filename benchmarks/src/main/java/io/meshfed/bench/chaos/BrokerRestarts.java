package io.meshfed.bench.chaos;

import io.meshfed.bench.chaos.ChaosSuite.Env;
import io.meshfed.topology.TopologyMain;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Fault class c: the broker itself restarted — a broker process of the Kafka jars on its own
 * log directory, stopped cleanly (SIGTERM) or killed (SIGKILL), alternately, and started again
 * on the same directory and ports, while the topology (in this JVM) and an agent's producer stay
 * up and must reconnect by themselves. While the broker is down mgmt-cluster's readiness flips
 * (the agent's producer holds the record until the broker is back); a restart's recovery is the
 * time from the stop to that flip's decisions being visible. Every flip must be decided exactly
 * once per client (epochs 1..n, read_committed) and the end state must be the oracle's.
 */
final class BrokerRestarts {

  private final Env base;
  private final ChaosSuite.Sizes sizes;

  BrokerRestarts(Env base, ChaosSuite.Sizes sizes) {
    this.base = base;
    this.sizes = sizes;
  }

  FaultResult run() throws Exception {
    FaultResult r = new FaultResult("broker-restart");
    try (BrokerProcess broker = new BrokerProcess(
        Files.createTempDirectory(base.work, "broker-restart"), 0, 0)) {
      broker.start(Duration.ofMinutes(10));
      try (Env env = Env.over(base, broker.internal(), broker.agent(), broker.topology())) {
        run(r, env, broker);
      }
    }
    return r;
  }

  private void run(FaultResult r, Env env, BrokerProcess broker) throws Exception {
    env.freshClusters();
    KafkaStreams streams = TopologyMain.start(env.topologyConfig("chaos-broker-restart",
        Files.createTempDirectory(env.work, "state-broker-restart")), new Properties());
    try (Observer observer = new Observer(env.bootstrap(), env.registryClient)) {
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(120))
          .until(() -> streams.state() == KafkaStreams.State.RUNNING);
      int expected = env.startWorld(r, observer);
      boolean ready = true;
      double maxRecovery = 0;
      List<String> recoveries = new ArrayList<>();
      List<String> downtimes = new ArrayList<>();
      int clean = 0;
      int hard = 0;
      int stuckCleanStops = 0;
      int resends = 0;
      for (int k = 0; k < sizes.brokerRestarts(); k++) {
        for (int f = 0; f < sizes.flipsBetweenKills(); f++) {
          ready = !ready;
          env.flip(ready);
          expected += 2;
          // One flip at a time (the decide stage coalesces a batch's flips).
          Env.awaitDecisions(observer, expected, Duration.ofSeconds(60));
        }
        // Hard first: the quick mode's one restart is the harder case.
        boolean cleanStop = k % 2 == 1;
        long stoppedAt = System.nanoTime();
        if (!broker.stop(cleanStop, Duration.ofSeconds(60))) {
          stuckCleanStops++;
        }
        if (cleanStop) {
          clean++;
        } else {
          hard++;
        }
        // The flip is sent while the broker is down; the agent's producer holds it until the
        // broker is back, and the agent resends it if the producer gives up first.
        ready = !ready;
        boolean flipTo = ready;
        java.util.concurrent.atomic.AtomicInteger resent =
            new java.util.concurrent.atomic.AtomicInteger();
        CompletableFuture<Void> flip = CompletableFuture.runAsync(
            () -> resent.set(env.flipResending(flipTo, 10)));
        // Held down for at least --broker-down seconds: an outage longer than the producers'
        // max.block.ms (60 s) is the one that timed a transactional commit out.
        long holdUntil = stoppedAt + TimeUnit.SECONDS.toNanos(ChaosSuite.brokerDownSeconds());
        org.awaitility.Awaitility.await().atMost(Duration.ofHours(1))
            .pollInterval(Duration.ofMillis(200)).until(() -> System.nanoTime() >= holdUntil);
        broker.start(Duration.ofMinutes(10));
        double down = (System.nanoTime() - stoppedAt) / 1e9;
        flip.get(10, TimeUnit.MINUTES);
        resends += resent.get();
        expected += 2;
        Env.awaitDecisions(observer, expected, Duration.ofSeconds(180));
        double recovery = (System.nanoTime() - stoppedAt) / 1e9;
        downtimes.add(String.format(Locale.ROOT, "%s %.1f", cleanStop ? "clean" : "hard", down));
        recoveries.add(String.format(Locale.ROOT, "%.1f", recovery));
        maxRecovery = Math.max(maxRecovery, recovery);
      }
      r.injectedCount = sizes.brokerRestarts();
      r.injected = clean + " clean + " + hard + " hard (kill -9) restarts of a broker process, "
          + ((expected - 2) / 2) + " flips";
      boolean finalReady = ready;
      env.conclude(r, observer, finalReady, expected);
      r.maxRecoverySeconds = maxRecovery;
      r.findings.add("Broker down (stop to answering again), seconds: " + downtimes
          + ". Seconds from each stop to the flip sent meanwhile being decided: " + recoveries
          + ".");
      if (resends > 0) {
        r.findings.add("The agent resent " + resends + " flip(s) its producer had given up on"
            + " while the broker was down.");
      }
      if (stuckCleanStops > 0) {
        r.findings.add(stuckCleanStops + " clean stop(s) took over 60 s and were finished with"
            + " SIGKILL.");
      }
      Env.judgeThreads(r, streams);
    } finally {
      streams.close(Duration.ofSeconds(30));
    }
  }
}
