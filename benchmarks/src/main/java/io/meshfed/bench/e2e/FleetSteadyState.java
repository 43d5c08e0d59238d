package io.meshfed.bench.e2e;

import io.meshfed.avro.FederatedDestination;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Issue #13, acceptance 4: what a settled fleet costs. A {@link Fleet} of clusters × services ×
 * endpoints (100 × 1,000 × 10 = 1 M endpoints at full size) with FailoverServices over pairs of
 * its clusters is loaded and settled on an at-least-once topology; then the topology's CPU
 * ({@link ThreadCpu}: its own threads only; the in-process broker's reported beside it) is
 * measured over a quiet window with heartbeats only (every cluster every 5 s), and over a window
 * of the same length in which every agent re-sends its full resync — all its ServiceSnapshots
 * and EndpointSnapshots, unchanged — spread evenly over the window. Through the resync window a
 * {@link LatencyProbe} flips endpoints of a small fleet of its own (2 clusters) at 10 flips/s on
 * the same topology and times the decisions.
 */
final class FleetSteadyState {

  /**
   * {@code settle}: how long nothing may be written to the fleet's config topics before the
   * quiet window (the quick run's 40 configs are written in well under a second; it checks
   * the harness, not the figures).
   */
  record Sizes(int clusters, int services, int endpoints, int destinations, int probeServices,
      int probeRate, Duration window, Duration heartbeatInterval, Duration loadTimeout,
      Duration settle) {
    static Sizes full() {
      return new Sizes(100, 1_000, 10, 1_000, 50, 10, Duration.ofSeconds(60),
          Duration.ofSeconds(5), Duration.ofMinutes(6), Duration.ofSeconds(3));
    }

    static Sizes quick() {
      return new Sizes(4, 50, 10, 20, 10, 10, Duration.ofSeconds(2), Duration.ofSeconds(5),
          Duration.ofMinutes(2), Duration.ofMillis(500));
    }
  }

  static final double TARGET_QUIET_CPU_PERCENT = 10;
  static final double TARGET_PROBE_P99_MS = 100;
  static final String APPLICATION_ID = "topology-fss";

  private final BenchEnvironment env;
  private final Sizes sizes;

  private FleetSteadyState(BenchEnvironment env, Sizes sizes) {
    this.env = env;
    this.sizes = sizes;
  }

  static Map<String, Object> measure(BenchEnvironment env, boolean quick) throws IOException {
    return new FleetSteadyState(env, quick ? Sizes.quick() : Sizes.full()).run();
  }

  private Map<String, Object> run() throws IOException {
    Fleet fleet = new Fleet("fss", sizes.clusters(), sizes.services(), sizes.endpoints());
    Fleet probeFleet = new Fleet("fssp", 2, sizes.probeServices(), 2);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("clusters", fleet.clusters);
    out.put("servicesPerCluster", fleet.servicesPerCluster);
    out.put("endpointsPerService", fleet.endpointsPerService);
    out.put("endpoints", (long) fleet.clusters * fleet.servicesPerCluster
        * fleet.endpointsPerService);
    out.put("destinations", sizes.destinations());
    out.put("guarantee", "at_least_once");
    out.put("heartbeatSeconds", sizes.heartbeatInterval().toSeconds());
    out.put("windowSeconds", sizes.window().toSeconds());
    env.provision(fleet);
    env.provision(probeFleet);
    Path stateDir = Files.createTempDirectory(env.work(), "streams-fss");
    KafkaStreams streams = env.startTopology(env.topologyConfig(APPLICATION_ID,
        Set.of(fleet.cluster(0), probeFleet.cluster(0)), false, stateDir));
    ThreadCpu cpu = new ThreadCpu(APPLICATION_ID);
    Set<String> configs = ConcurrentHashMap.newKeySet();
    int expectedConfigs = sizes.destinations() * (fleet.clusters > 1 ? 2 : 1);
    out.put("clientConfigs", expectedConfigs);
    try (KafkaProducer<String, SpecificRecord> agents = Agents.producer(env, "bench-fss-agents");
        Agents.Heartbeats beats = new Agents.Heartbeats(agents, fleet.clusters,
            fleet::heartbeat, sizes.heartbeatInterval());
        ConfigReader reader = new ConfigReader(env, fleet.clusterNames(), "fss-configs",
            (r, at) -> {
              if (r.value() instanceof FederatedDestination) {
                configs.add(r.topic() + "/" + r.key());
              }
            })) {
      BenchEnvironment.awaitRunning(streams, Duration.ofSeconds(120));
      long t0 = System.nanoTime();
      beats.sendNow();
      beats.start();
      for (int c = 0; c < fleet.clusters; c++) {
        for (int s = 0; s < fleet.servicesPerCluster; s++) {
          agents.send(fleet.service(c, s));
          agents.send(fleet.endpoints(c, s, fleet.endpointsPerService));
        }
      }
      for (int d = 0; d < sizes.destinations(); d++) {
        int service = (d / fleet.clusters) * 10 + d % 10;
        agents.send(fleet.failoverService(d, d % fleet.clusters,
            service % fleet.servicesPerCluster));
      }
      agents.flush();
      out.put("sendSeconds", round1((System.nanoTime() - t0) / 1e9));
      boolean loaded = ZoneOutage.await(() -> configs.size() >= expectedConfigs,
          sizes.loadTimeout(), reader);
      out.put("loadSeconds", round1((System.nanoTime() - t0) / 1e9));
      out.put("configsWritten", configs.size());
      System.out.printf(Locale.ROOT, "  fleet-steady-state: %d of %d configs in %.1f s%n",
          configs.size(), expectedConfigs, (System.nanoTime() - t0) / 1e9);
      if (!loaded) {
        out.put("result", "not reached: load, " + configs.size() + " of " + expectedConfigs
            + " configs after " + sizes.loadTimeout().toSeconds() + " s");
        return out;
      }
      try (LatencyProbe probe = new LatencyProbe(env, probeFleet, sizes.probeServices())) {
        publish(probe, probeFleet);
        beats.alsoSend(probe::heartbeats);
        // Settled: nothing written to the fleet's config topics for sizes.settle() (3 s).
        ZoneOutage.await(() -> System.nanoTime() - reader.lastRecordAt()
            > sizes.settle().toNanos(), Duration.ofSeconds(60), reader);
        out.put("settledSeconds", round1((System.nanoTime() - t0) / 1e9));

        Map<String, Long> o0 = TopicOffsets.endOffsets(env, APPLICATION_ID);
        ThreadCpu.Snapshot q0 = ThreadCpu.snapshot();
        pause(sizes.window());
        ThreadCpu.Snapshot q1 = ThreadCpu.snapshot();
        Map<String, Object> quiet = cpu.between(q0, q1);
        Map<String, Long> o1 = TopicOffsets.endOffsets(env, APPLICATION_ID);
        quiet.put("recordsAppended", TopicOffsets.between(o0, o1));
        out.put("quietCpu", quiet);
        System.out.printf(Locale.ROOT, "  quiet %d s: %s%n", sizes.window().toSeconds(),
            quiet.get("percentOfOneCore"));

        Resync resync = new Resync(agents, fleet, sizes.window());
        ThreadCpu.Snapshot r0 = ThreadCpu.snapshot();
        resync.start();
        LatencyProbe.Result r = probe.run(sizes.probeRate(), sizes.window());
        ThreadCpu.Snapshot r1 = resync.awaitEnd(Duration.ofSeconds(30));
        Map<String, Object> resyncCpu = cpu.between(r0, r1);
        resyncCpu.put("recordsSent", resync.sent());
        resyncCpu.put("recordsToSend", resync.total());
        resyncCpu.put("recordsAppended", TopicOffsets.between(o1,
            TopicOffsets.endOffsets(env, APPLICATION_ID)));
        out.put("resyncCpu", resyncCpu);
        // Whatever of the resync the topology had not caught up with by the window's end.
        ThreadCpu.Snapshot t1 = ThreadCpu.snapshot();
        pause(Duration.ofSeconds(Math.max(1, sizes.window().toSeconds() / 6)));
        out.put("afterResyncCpu", cpu.between(t1, ThreadCpu.snapshot()));
        System.out.printf(Locale.ROOT, "  resync %d s: %s%n", sizes.window().toSeconds(),
            resyncCpu.get("percentOfOneCore"));
        Map<String, Object> probeOut = E2eBench.latencyFigures(r);
        out.put("probeDuringResync", probeOut);
        System.out.printf(Locale.ROOT, "  probe %d/s during resync: decision %s%n",
            sizes.probeRate(), E2eBench.percentiles(r.decision()));
      }
      out.put("result", "measured");
    } finally {
      streams.close(CloseOptions.groupMembershipOperation(
          CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(30)));
      env.removeFleet(fleet);
      env.removeFleet(probeFleet);
    }
    return out;
  }

  /** The probe's fleet published and every initial decision made, as E2eBench's probes are. */
  private static void publish(LatencyProbe probe, Fleet fleet) {
    probe.heartbeats();
    for (int c = 0; c < fleet.clusters; c++) {
      for (int s = 0; s < fleet.servicesPerCluster; s++) {
        probe.agent().send(fleet.service(c, s));
        probe.agent().send(fleet.endpoints(c, s, fleet.endpointsPerService));
      }
    }
    for (int s = 0; s < fleet.servicesPerCluster; s++) {
      probe.agent().send(fleet.failoverService(s, 0, s));
    }
    probe.agent().flush();
    probe.awaitSettled(Duration.ofSeconds(120));
  }

  /**
   * Every agent's full resync, unchanged content, spread evenly over the window: record i of
   * the round-robin order (cluster i mod C, service i / C) goes out at i/N of the window, so all
   * agents resync side by side. The CPU snapshot that closes the window is taken at its end.
   */
  private static final class Resync {
    private final KafkaProducer<String, SpecificRecord> agents;
    private final Fleet fleet;
    private final Duration window;
    private final Thread thread;
    private volatile long sent;
    private volatile ThreadCpu.Snapshot end;

    Resync(KafkaProducer<String, SpecificRecord> agents, Fleet fleet, Duration window) {
      this.agents = agents;
      this.fleet = fleet;
      this.window = window;
      this.thread = new Thread(this::send, "bench-fss-resync");
      thread.setDaemon(true);
    }

    long total() {
      return 2L * fleet.clusters * fleet.servicesPerCluster;
    }

    long sent() {
      return sent;
    }

    void start() {
      thread.start();
    }

    private void send() {
      long start = System.nanoTime();
      long pairs = (long) fleet.clusters * fleet.servicesPerCluster;
      long i = 0;
      while (i < pairs) {
        long due = (System.nanoTime() - start) * pairs / window.toNanos() + 1;
        for (; i < Math.min(due, pairs); i++) {
          int c = (int) (i % fleet.clusters);
          int s = (int) (i / fleet.clusters);
          agents.send(fleet.service(c, s));
          agents.send(fleet.endpoints(c, s, fleet.endpointsPerService));
          sent += 2;
        }
        LockSupport.parkNanos(10_000_000L);
      }
      pause(Duration.ofNanos(start + window.toNanos() - System.nanoTime()));
      end = ThreadCpu.snapshot();
    }

    ThreadCpu.Snapshot awaitEnd(Duration timeout) {
      try {
        thread.join(timeout.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return end != null ? end : ThreadCpu.snapshot();
    }
  }

  /** Waits out {@code d} (park may return early; the deadline decides). */
  static void pause(Duration d) {
    long until = System.nanoTime() + d.toNanos();
    for (long left = d.toNanos(); left > 0; left = until - System.nanoTime()) {
      LockSupport.parkNanos(left);
    }
  }

  private static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
