package io.meshfed.whatif;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.ObjectSelector;
import io.meshfed.avro.ReasonCode;
import io.meshfed.avro.ResourceKind;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.testing.SharedSchemaRegistry;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.config.TopologyConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay's two shortcuts change no decision: leaving out routine heartbeats
 * ({@link RoutineHeartbeats}) and moving the clock straight to the next step at which a
 * punctuation can do anything ({@link ReplayDriver.Clock#WHEN_DUE}). A recorded sequence that
 * exercises what they could get wrong — damping timers, a cluster falling silent (staleness),
 * the whole fleet falling silent (a bus outage, excused), a changed region, an out-of-order
 * heartbeat — is replayed through the topology with every heartbeat and a punctuation at every
 * step, and with each shortcut and both: the decisions must be equal, field for field (times,
 * reasons, epochs).
 */
class ReplayFidelityTest {

  private static final Instant START = Instant.parse("2026-11-22T10:00:00Z");
  private static final Duration END = Duration.ofSeconds(720);
  private static final String EDGE = "edge-cluster";
  private static TopologyConfig live;
  private static SchemaRegistryClient registry;
  private static MeshfedTopics topics;
  private static List<ConsumerRecord<String, byte[]>> records;

  @TempDir
  Path state;

  @BeforeAll
  static void record() {
    SharedSchemaRegistry.launch();
    live = TopologyConfig.defaults("unused:9092",
            RegistryConfig.of(SharedSchemaRegistry.get().confluentApiUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT),
            Set.of(MGMT))
        .withTimers(Duration.ofSeconds(30), Duration.ofSeconds(20), Duration.ofSeconds(1));
    registry = new SchemaRegistryClient(live.registry());
    topics = new MeshfedTopics(registry);
    records = new ArrayList<>();
    for (String c : List.of(MGMT, REMOTE, EDGE)) {
      add(c, 0, heartbeat(c, 0, region(c)));
      add(c, 1, Bookinfo.reviewsService(c));
      add(c, 2, Bookinfo.reviewsEndpoints(c, true));
    }
    add(MGMT, 3, Bookinfo.globalPolicy(ResourceKind.FailoverPolicy, "local-first",
        io.meshfed.avro.FailoverPolicySpec.newBuilder()
            .setDestinations(List.of(ObjectSelector.newBuilder()
                .setLabels(Map.of("team", "reviews")).build()))
            .setOrdering(io.meshfed.avro.TierOrdering.LOCALITY)
            .setMinHealthyDurationMillis(20_000L).build()));
    add(MGMT, 4, Bookinfo.reviewsVirtualDestination());
    for (long s = 5; s < END.toSeconds(); s += 5) {
      boolean busDown = s >= 320 && s < 365; // no cluster heard from: excused, not stale
      if (busDown) {
        continue;
      }
      // mgmt-cluster and remote-cluster beat in the same second, edge-cluster in its own.
      add(MGMT, s * 1000, s == 450 ? heartbeat(MGMT, 440_000, region(MGMT)) // out of order
          : heartbeat(MGMT, s * 1000, region(MGMT)));
      if (s < 150 || s >= 260) { // remote-cluster silent for 110 s: stale after the TTL
        add(REMOTE, s * 1000 + 300, heartbeat(REMOTE, s * 1000 + 300, region(REMOTE)));
      }
      add(EDGE, s * 1000 + 2500, heartbeat(EDGE, s * 1000 + 2500,
          s >= 420 ? "ap-south-1" : region(EDGE)));
    }
    // mgmt-cluster's endpoints flap (damping's timers), then fail while remote-cluster is stale.
    for (long s : new long[] {60, 80, 100, 170, 400, 500}) {
      add(MGMT, s * 1000 + 700, Bookinfo.reviewsEndpoints(MGMT, false));
    }
    for (long s : new long[] {70, 90, 110, 230, 410, 505}) {
      add(MGMT, s * 1000 + 700, Bookinfo.reviewsEndpoints(MGMT, true));
    }
    records.sort(Comparator.comparingLong(ConsumerRecord::timestamp));
  }

  private static String region(String cluster) {
    return cluster.equals(MGMT) ? "us-east-1" : "eu-west-1";
  }

  private static KeyValue<String, SpecificRecord> heartbeat(String cluster, long sentMillis,
      String region) {
    KeyValue<String, SpecificRecord> h = Bookinfo.heartbeat(cluster, START.plusMillis(sentMillis));
    return KeyValue.pair(h.key, ClusterHeartbeat.newBuilder((ClusterHeartbeat) h.value)
        .setRegion(region).setZones(List.of(region + "a")).build());
  }

  private static void add(String cluster, long millis, KeyValue<String, SpecificRecord> r) {
    String topic = topics.clusterEvents().forCluster(cluster).name();
    records.add(new ConsumerRecord<>(topic, 0, records.size(),
        START.toEpochMilli() + millis, org.apache.kafka.common.record.TimestampType.CREATE_TIME,
        0, 0, r.key, topics.clusterEvents().valueSerde().serializer().serialize(topic, r.value),
        new RecordHeaders(), java.util.Optional.empty()));
  }

  private record Run(List<FailoverDecision> decisions, long leftOut, long clockMoves) {}

  private Run replay(boolean leaveOutRoutine, ReplayDriver.Clock clock) throws Exception {
    TopologyConfig config = WhatIf.replayConfig(live, state.resolve(leaveOutRoutine + "-" + clock));
    List<FailoverDecision> decisions = new ArrayList<>();
    var deserializer = topics.clusterEvents().valueSerde().deserializer();
    try (ReplayDriver driver = new ReplayDriver(config, registry, topics, clock,
        decisions::add)) {
      Consumer<ConsumerRecord<String, byte[]>> pipe = r -> {
        if (!driver.started()) {
          driver.start(Instant.ofEpochMilli(r.timestamp()));
        }
        driver.pipe(r.topic(), r.key(), r.value(), r.timestamp());
      };
      RoutineHeartbeats heartbeats = new RoutineHeartbeats(config.heartbeatTtl(), driver.step,
          leaveOutRoutine ? r -> WhatIf.heartbeat(r, topics, deserializer) : r -> null, pipe);
      records.forEach(heartbeats::accept);
      heartbeats.finish();
      driver.advanceTo(START.plus(END).toEpochMilli());
      driver.drain();
      assertThat(driver.piped + heartbeats.leftOut).isEqualTo(records.size());
      return new Run(decisions, heartbeats.leftOut, driver.clockMoves);
    }
  }

  @Test
  void leavingOutRoutineHeartbeatsAndSkippingIdleStepsChangesNoDecision() throws Exception {
    Run reference = replay(false, ReplayDriver.Clock.EVERY_STEP);
    // The sequence exercises what the shortcuts could get wrong: a cluster judged stale, a
    // damped failback on a timer, and the clusters' failovers and failbacks around them.
    assertThat(reference.decisions()).extracting(FailoverDecision::getReasonCode)
        .contains(ReasonCode.CLUSTER_STALE, ReasonCode.TIER_RECOVERED,
            ReasonCode.TIER_UNHEALTHY);
    assertThat(reference.decisions()).hasSizeGreaterThan(8);

    Run thinned = replay(true, ReplayDriver.Clock.EVERY_STEP);
    assertThat(thinned.leftOut()).isPositive();
    assertThat(thinned.decisions()).as("routine heartbeats left out")
        .isEqualTo(reference.decisions());

    Run skipping = replay(false, ReplayDriver.Clock.WHEN_DUE);
    assertThat(skipping.clockMoves()).isLessThan(reference.clockMoves());
    assertThat(skipping.decisions()).as("idle steps skipped")
        .isEqualTo(reference.decisions());

    Run both = replay(true, ReplayDriver.Clock.WHEN_DUE);
    assertThat(both.decisions()).as("both").isEqualTo(reference.decisions());
    System.out.printf("fidelity: %d records, %d decisions; every step: %d clock moves;"
        + " when due: %d (with routine heartbeats left out: %d, %d left out)%n",
        records.size(), reference.decisions().size(), reference.clockMoves(),
        skipping.clockMoves(), both.clockMoves(), both.leftOut());
  }
}
