package io.meshfed.bench.e2e;

import io.meshfed.avro.FederatedDestination;
import io.meshfed.rules.decision.DecideResult;
import io.meshfed.rules.decision.Decider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Issue #13, acceptance 3: one zone of a region goes down under every cluster at once, and comes
 * back. A {@link ZoneFleet} (every destination visible to every cluster, so destinations ×
 * clusters client configs) is loaded and settled; then, within a second, every service's
 * endpoints in zone a are sent not ready, and the clock runs from the first send until every
 * config whose content must change has been written to its cluster's config topic with exactly
 * the content the rules give for the outage (read_committed, one consumer on all config
 * topics). Which configs must change, and to what, is computed by the rules' own
 * {@link Decider} from the fleet's shape. Recovery is the same with the zone ready again; the
 * bench's topology runs with failback damping 0, so recovery is measured without it.
 */
final class ZoneOutage {

  private static final String APPLICATION_ID = "bench-zone";

  /**
   * {@code quiet}: how long nothing may be written before a phase begins (shorter in the quick
   * run, which checks the harness: its 80 configs are written in well under a second).
   */
  record Sizes(int clusters, int destinations, int endpointsPerService, Duration loadTimeout,
      Duration phaseTimeout, Duration quiet) {
    static Sizes full() {
      return new Sizes(100, 1_000, 9, Duration.ofMinutes(10), Duration.ofSeconds(120),
          Duration.ofSeconds(2));
    }

    static Sizes quick() {
      return new Sizes(4, 20, 3, Duration.ofMinutes(2), Duration.ofSeconds(60),
          Duration.ofMillis(500));
    }
  }

  static final double TARGET_SECONDS = 10;
  static final int DOWN_ZONE = 0;

  private static final int UNKNOWN = 0;
  private static final int BASELINE = 1;
  private static final int OUTAGE = 2;
  private static final int OTHER = 3;

  private final BenchEnvironment env;
  private final Sizes sizes;
  private final ZoneFleet fleet;
  private final String[] baseline;
  private final String[] outage;
  private final boolean[] affected;
  /** Per config (destination × clients + client): which expected content it has now. */
  private final AtomicIntegerArray content;
  private final AtomicInteger[] counts = {new AtomicInteger(), new AtomicInteger(),
      new AtomicInteger(), new AtomicInteger()};

  // The phase under way: the content awaited, and per config when it was first seen.
  private volatile int awaited = -1;
  private volatile AtomicLongArray reachedAt = new AtomicLongArray(0);
  private final AtomicInteger reached = new AtomicInteger();
  private final AtomicInteger phaseWrites = new AtomicInteger();
  private final AtomicInteger unaffectedWrites = new AtomicInteger();

  private ZoneOutage(BenchEnvironment env, Sizes sizes) {
    this.env = env;
    this.sizes = sizes;
    this.fleet = new ZoneFleet("zone", sizes.clusters(), sizes.destinations(),
        sizes.endpointsPerService());
    int n = fleet.destinations;
    baseline = new String[n];
    outage = new String[n];
    affected = new boolean[n];
    Instant now = Instant.now();
    for (int d = 0; d < n; d++) {
      DecideResult before = Decider.decide(null, fleet.inputs(d, -1), now);
      DecideResult during = Decider.decide(before.state(), fleet.inputs(d, DOWN_ZONE), now);
      baseline[d] = ZoneFleet.routing(before.state().config());
      outage[d] = ZoneFleet.routing(during.state().config());
      affected[d] = during.decision().isPresent();
    }
    content = new AtomicIntegerArray(n * fleet.clusters);
  }

  static Map<String, Object> measure(BenchEnvironment env, boolean quick) throws IOException {
    return new ZoneOutage(env, quick ? Sizes.quick() : Sizes.full()).run();
  }

  private void onConfig(ConsumerRecord<String, SpecificRecord> r, long now) {
    if (!(r.value() instanceof FederatedDestination fd)
        || !fd.getDestination().getNamespace().equals(fleet.prefix)) {
      return;
    }
    int d = fleet.destinationIndex(fd.getDestination().getName());
    int i = d * fleet.clusters + fleet.clusterIndex(fd.getClientCluster());
    String routing = ZoneFleet.routing(fd);
    int state = routing.equals(baseline[d]) ? BASELINE : routing.equals(outage[d]) ? OUTAGE
        : OTHER;
    int previous = content.getAndSet(i, state);
    counts[previous].decrementAndGet();
    counts[state].incrementAndGet();
    int phase = awaited;
    if (phase < 0) {
      return;
    }
    phaseWrites.incrementAndGet();
    if (!affected[d]) {
      unaffectedWrites.incrementAndGet();
    } else if (state == phase && reachedAt.compareAndSet(i, 0, now)) {
      reached.incrementAndGet();
    }
  }

  private Map<String, Object> run() throws IOException {
    Map<String, Object> out = new LinkedHashMap<>();
    int total = fleet.destinations * fleet.clusters;
    int affectedConfigs = 0;
    for (boolean a : affected) {
      affectedConfigs += a ? fleet.clusters : 0;
    }
    counts[UNKNOWN].set(total);
    out.put("clusters", fleet.clusters);
    out.put("zonesPerCluster", ZoneFleet.ZONES);
    out.put("destinations", fleet.destinations);
    out.put("tiersPerDestination", ZoneFleet.TIERS);
    out.put("servicesPerCluster", fleet.servicesPerCluster);
    out.put("endpointsPerService", fleet.endpointsPerService);
    out.put("endpoints", (long) fleet.clusters * fleet.servicesPerCluster
        * fleet.endpointsPerService);
    out.put("clientConfigs", total);
    out.put("affectedConfigs", affectedConfigs);
    out.put("guarantee", "exactly_once_v2");
    out.put("failbackDamping", "0 (bench topology config); recovery is measured undamped");

    env.provision(fleet.clusterNames());
    Path stateDir = Files.createTempDirectory(env.work(), "streams-zone");
    KafkaStreams streams = env.startTopology(env.topologyConfig(APPLICATION_ID,
        Set.of(fleet.cluster(0)), true, stateDir));
    try (KafkaProducer<String, SpecificRecord> agents = Agents.producer(env, "bench-zone-agents");
        Agents.Heartbeats beats = new Agents.Heartbeats(agents, fleet.clusters,
            fleet::heartbeat, Duration.ofSeconds(5));
        ConfigReader reader = new ConfigReader(env, fleet.clusterNames(), "zone-configs",
            this::onConfig)) {
      BenchEnvironment.awaitRunning(streams, Duration.ofSeconds(120));
      long t0 = System.nanoTime();
      beats.sendNow();
      for (int c = 0; c < fleet.clusters; c++) {
        for (int s = 0; s < fleet.servicesPerCluster; s++) {
          agents.send(fleet.service(c, s));
          agents.send(fleet.endpoints(c, s, -1));
        }
      }
      for (int d = 0; d < fleet.destinations; d++) {
        agents.send(fleet.failoverService(d));
      }
      agents.flush();
      beats.start();
      long[] nextReport = {System.nanoTime() + 10_000_000_000L};
      boolean loaded = await(() -> {
        if (System.nanoTime() > nextReport[0]) {
          // A slow load says why while it happens (a stall used to show only at the timeout).
          nextReport[0] += 10_000_000_000L;
          System.out.printf(Locale.ROOT, "    loading: %d of %d configs (%d with other content,"
              + " %d not seen); decide work %s%n", counts[BASELINE].get(), total,
              counts[OTHER].get(), counts[UNKNOWN].get(), E2eBench.decideWork(streams));
        }
        return counts[BASELINE].get() == total;
      }, sizes.loadTimeout(), reader);
      out.put("loadSeconds", round1((System.nanoTime() - t0) / 1e9));
      out.put("loadedConfigs", counts[BASELINE].get());
      System.out.printf(Locale.ROOT, "  zone-outage: %d of %d configs loaded in %.1f s%n",
          counts[BASELINE].get(), total, (System.nanoTime() - t0) / 1e9);
      if (!loaded) {
        out.put("result", "not reached: load, " + counts[BASELINE].get() + " of " + total
            + " configs with the expected content after " + sizes.loadTimeout().toSeconds()
            + " s (" + counts[OTHER].get() + " with other content, " + counts[UNKNOWN].get()
            + " not written)");
        return out;
      }
      settledBefore = quiet(reader, sizes.quiet());
      out.put("outage", phase(streams, agents, reader, OUTAGE, DOWN_ZONE, affectedConfigs));
      settledBefore = quiet(reader, sizes.quiet());
      out.put("recovery", phase(streams, agents, reader, BASELINE, -1, affectedConfigs));
      out.put("result", resultLine(out));
    } finally {
      streams.close(CloseOptions.groupMembershipOperation(
          CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(30)));
      env.removeClusters(fleet.clusterNames());
    }
    return out;
  }

  /**
   * Sends every service's endpoints with {@code downZone} not ready (-1: all ready) and waits
   * until every affected config shows the content {@code target}.
   */
  private Map<String, Object> phase(KafkaStreams streams,
      KafkaProducer<String, SpecificRecord> agents, ConfigReader reader, int target, int downZone,
      int affectedConfigs) {
    Map<String, Double> work = E2eBench.decideWork(streams);
    Map<String, Long> offsets = TopicOffsets.endOffsets(env, APPLICATION_ID, true);
    reachedAt = new AtomicLongArray(content.length());
    reached.set(0);
    phaseWrites.set(0);
    unaffectedWrites.set(0);
    awaited = target;
    long t0 = System.nanoTime();
    for (int c = 0; c < fleet.clusters; c++) {
      for (int s = 0; s < fleet.servicesPerCluster; s++) {
        agents.send(fleet.endpoints(c, s, downZone));
      }
    }
    agents.flush();
    long sent = System.nanoTime() - t0;
    boolean done = await(() -> reached.get() >= affectedConfigs, sizes.phaseTimeout(), reader);
    long waited = System.nanoTime() - t0;
    int reachedInTime = reached.get();
    // Missed: keep watching for as long again (bounded), to say when it did finish, if it did.
    boolean late = !done && await(() -> reached.get() >= affectedConfigs, sizes.phaseTimeout(),
        reader);
    awaited = -1;
    Histogram h = new Histogram(3);
    long first = Long.MAX_VALUE;
    long last = 0;
    int withinTarget = 0;
    for (int i = 0; i < reachedAt.length(); i++) {
      long at = reachedAt.get(i);
      if (at != 0) {
        long ms = Math.max(1, (at - t0) / 1_000_000);
        withinTarget += ms <= TARGET_SECONDS * 1000 ? 1 : 0;
        h.recordValue(ms);
        first = Math.min(first, ms);
        last = Math.max(last, ms);
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("downZone", downZone < 0 ? null : fleet.zone(downZone));
    m.put("endpointSnapshotsSent", fleet.clusters * fleet.servicesPerCluster);
    m.put("sendMs", Math.round(sent / 1e6));
    m.put("affectedConfigs", affectedConfigs);
    m.put("configsReached", reachedInTime);
    m.put("configsReachedWithinTarget", withinTarget);
    m.put("configRecordsSeen", phaseWrites.get());
    m.put("unaffectedConfigsWritten", unaffectedWrites.get());
    m.put("firstMs", h.getTotalCount() == 0 ? null : first);
    m.put("p50Ms", h.getTotalCount() == 0 ? null : h.getValueAtPercentile(50));
    m.put("p99Ms", h.getTotalCount() == 0 ? null : h.getValueAtPercentile(99));
    m.put("settledBefore", settledBefore);
    m.put("p100Seconds", done ? round1(last / 1e3) : null);
    m.put("waitedSeconds", round1(waited / 1e9));
    m.put("allReachedLateSeconds", late ? round1(last / 1e3) : null);
    m.put("configsReachedByEndOfWatch", reached.get());
    // What the phase cost, counted: the decide stage's work and the records each topic gained
    // (transaction markers included) by the time the last config was read back.
    Map<String, Double> didWork = E2eBench.decideWork(streams);
    didWork.replaceAll((k, v) -> v - work.getOrDefault(k, 0.0));
    m.put("decideWork", didWork);
    Map<String, Long> written = TopicOffsets.between(offsets,
        TopicOffsets.endOffsets(env, APPLICATION_ID, true));
    written.values().removeIf(v -> v == 0);
    m.put("recordsWritten", written);
    m.put("result", done ? "all " + affectedConfigs + " configs in " + round1(last / 1e3) + " s"
        : "not reached: " + reachedInTime + " of " + affectedConfigs + " configs after "
            + sizes.phaseTimeout().toSeconds() + " s" + (late ? "; all after "
                + round1(last / 1e3) + " s" : "; " + reached.get() + " after "
                + 2 * sizes.phaseTimeout().toSeconds() + " s"));
    System.out.printf(Locale.ROOT, "  zone-outage %s: %s (first %s ms, %d config records)%n"
        + "    decide work %s%n    records written %s%n",
        downZone < 0 ? "recovery" : "outage", m.get("result"), m.get("firstMs"),
        phaseWrites.get(), didWork, written);
    return m;
  }

  @SuppressWarnings("unchecked")
  private static String resultLine(Map<String, Object> out) {
    return "outage: " + ((Map<String, Object>) out.get("outage")).get("result")
        + "; recovery: " + ((Map<String, Object>) out.get("recovery")).get("result");
  }

  /** Whether the topology had written nothing for {@code sizes.quiet()} before the phase. */
  private boolean settledBefore;

  /** Waits until the topology has written nothing for {@code quiet} (at most 60 s). */
  private static boolean quiet(ConfigReader reader, Duration quiet) {
    return await(() -> System.nanoTime() - reader.lastRecordAt() > quiet.toNanos(),
        Duration.ofSeconds(60), reader);
  }

  static boolean await(java.util.function.BooleanSupplier condition, Duration timeout,
      ConfigReader reader) {
    long until = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (reader != null) {
        reader.check();
      }
      if (System.nanoTime() > until) {
        return false;
      }
      LockSupport.parkNanos(5_000_000L);
    }
    return true;
  }

  private static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
