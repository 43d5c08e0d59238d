package io.meshfed.bench.e2e;

import io.meshfed.bench.regions.MirrorMaker2;
import io.meshfed.bench.regions.RegionTopics;
import io.meshfed.testing.EmbeddedKafka;
import io.meshfed.topology.admin.TopicProvisioner;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Decision latency across two regions (issue #17): one topology in the hub region and two
 * fleets, one homed at the hub and one in a standby region whose agents reach the hub only
 * through a real MirrorMaker 2 (identity replication, as {@code infra/terraform/} sets it up).
 * Both fleets flip at the same rate, one after the other, on the same topology in the same
 * run, so the difference between the two figures is what mirroring adds: one MM2 hop for the
 * decision (events standby → hub), two for the config (and back).
 */
final class Mirrored {

  static final int RATE = 1_000;

  private Mirrored() {}

  static Map<String, Object> measure(BenchEnvironment env, boolean quick) throws Exception {
    int services = quick ? 50 : 500;
    // The quick mode (a check of the harness) runs no unrecorded warm-up: the same code as
    // the recorded run.
    Duration warmup = quick ? Duration.ZERO : Duration.ofSeconds(10);
    Duration run = Duration.ofSeconds(quick ? 1 : 20);
    Fleet local = new Fleet("mirr-hub", 2, services, 2);
    Fleet remote = new Fleet("mirr-sby", 2, services, 2);
    Map<String, Object> out = new LinkedHashMap<>();
    try (EmbeddedKafka standby = EmbeddedKafka.start()) {
      env.provision(local);
      env.provision(remote);
      for (String cluster : remote.clusterNames()) {
        TopicProvisioner.addCluster(standby.bootstrapServers(), cluster, (short) 1);
      }
      List<String> hubToStandby = new ArrayList<>();
      remote.clusterNames().forEach(c -> hubToStandby.add(RegionTopics.config(c)));
      long mm2Started = System.nanoTime();
      try (MirrorMaker2 mirror = MirrorMaker2.start(env.bootstrapServers(),
          standby.bootstrapServers(), hubToStandby,
          RegionTopics.standbyToHub(remote.clusterNames()))) {
        out.put("mm2StartSeconds", Math.round((System.nanoTime() - mm2Started) / 1e8) / 10.0);
        KafkaStreams streams = env.startTopology(env.topologyConfig("bench-mirrored",
            Set.of(local.cluster(0), remote.cluster(0)), true,
            Files.createTempDirectory(env.work(), "streams-mirrored")));
        try {
          BenchEnvironment.awaitRunning(streams, Duration.ofSeconds(120));
          out.put("guarantee", "exactly_once_v2");
          out.put("flipsPerSecond", RATE);
          out.put("services", services);
          out.put("seconds", run.toSeconds());
          try (LatencyProbe probe = new LatencyProbe(env, local, services)) {
            out.put("singleRegion", runOne(probe, local, services, warmup, run, "single-region"));
          }
          try (LatencyProbe probe = new LatencyProbe(env, remote, services,
              standby.bootstrapServers())) {
            out.put("mirrored", runOne(probe, remote, services, warmup, run, "mirrored"));
          }
          out.put("note", "one topology at the hub; singleRegion: the agent writes to and reads"
              + " from the hub's Kafka; mirrored: the agent's Kafka is the standby's, events"
              + " reach the hub and configs come back through MirrorMaker 2 (one in-process"
              + " MM2, both brokers in this JVM: no network distance between regions)");
        } finally {
          streams.close(CloseOptions.groupMembershipOperation(
              CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
              .withTimeout(Duration.ofSeconds(30)));
        }
      }
    } finally {
      env.removeFleet(local);
      env.removeFleet(remote);
    }
    return out;
  }

  private static Map<String, Object> runOne(LatencyProbe probe, Fleet fleet, int services,
      Duration warmup, Duration run, String label) {
    probe.publishFleetAndSettle();
    if (!warmup.isZero()) {
      probe.run(RATE / 2, warmup); // not recorded: connections, fetch sessions, JIT
    }
    LatencyProbe.Result r = probe.run(RATE, run);
    System.out.printf(Locale.ROOT, "  %s %d/s: decision %s, config %s%n", label, RATE,
        E2eBench.percentiles(r.decision()), E2eBench.percentiles(r.config()));
    return E2eBench.latencyFigures(r);
  }
}
