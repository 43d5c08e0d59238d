package io.meshfed.whatif;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.topology.Bookinfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Which heartbeats the replay leaves out, and that everything else keeps its order. */
class RoutineHeartbeatsTest {

  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  private static final Duration TTL = Duration.ofSeconds(30);

  private final Map<ConsumerRecord<String, byte[]>, ClusterHeartbeat> heartbeats = new HashMap<>();
  private final List<String> replayed = new ArrayList<>();
  private final RoutineHeartbeats thinning = new RoutineHeartbeats(TTL, Duration.ofSeconds(1),
      heartbeats::get, r -> replayed.add(r.key() + "@" + (r.timestamp() - T0.toEpochMilli())));

  private void heartbeat(String cluster, long millis, String region, long sentMillis) {
    ConsumerRecord<String, byte[]> r = new ConsumerRecord<>("meshfed.cluster." + cluster
        + ".events", 0, 0, T0.toEpochMilli() + millis, null, 0, 0, cluster + "/Heartbeat",
        new byte[0], new org.apache.kafka.common.header.internals.RecordHeaders(),
        java.util.Optional.empty());
    heartbeats.put(r, ClusterHeartbeat.newBuilder((ClusterHeartbeat) Bookinfo.heartbeat(cluster,
        T0.plusMillis(sentMillis)).value).setRegion(region).build());
    thinning.accept(r);
  }

  private void heartbeat(String cluster, long millis) {
    heartbeat(cluster, millis, "r1", millis);
  }

  /**
   * A heartbeat of cluster "pace" first in the same step, so that the one that follows is not
   * the fleet's first of its step (which is always kept).
   */
  private void paced(String cluster, long millis, String region, long sentMillis) {
    heartbeat("pace", millis - millis % 1000);
    heartbeat(cluster, millis, region, sentMillis);
  }

  private void paced(String cluster, long millis) {
    paced(cluster, millis, "r1", millis);
  }

  /** What was replayed, but for the pacing cluster's heartbeats. */
  private List<String> replayedButPace() {
    return replayed.stream().filter(r -> !r.startsWith("pace/")).toList();
  }

  private void other(String cluster, long millis) {
    thinning.accept(new ConsumerRecord<>("meshfed.cluster." + cluster + ".events", 0, 0,
        T0.toEpochMilli() + millis, null, 0, 0, cluster + "/Endpoints/ns/svc", new byte[0],
        new org.apache.kafka.common.header.internals.RecordHeaders(),
        java.util.Optional.empty()));
  }

  @Test
  void routineHeartbeatsFollowedWithinTheTtlOfTheLastKeptOneAreLeftOut() {
    for (long s = 0; s <= 60; s += 5) {
      heartbeat("a", s * 1000);
      heartbeat("b", s * 1000 + 100);
    }
    thinning.finish();
    // a's are each the fleet's first of their step: all kept. Of b's: the first; 30 s, as the
    // one after it (35 s) comes more than the TTL after the last kept (0 s); 60 s, the last.
    // Each other one is followed by the next within the TTL of the last kept one, so the
    // cluster is fresh at every moment with or without it.
    assertThat(replayed.stream().filter(r -> r.startsWith("b/"))).containsExactly(
        "b/Heartbeat@100", "b/Heartbeat@30100", "b/Heartbeat@60100");
    assertThat(replayed.stream().filter(r -> r.startsWith("a/"))).hasSize(13);
    assertThat(thinning.leftOut).isEqualTo(10);
  }

  @Test
  void theFleetsFirstHeartbeatOfEachStepIsKept() {
    // Two clusters beating in steps of their own: every heartbeat is the first of its step,
    // and moves the decide stage's "last heard from any cluster" (FleetSilence). Leaving a's
    // out would show the topology a fleet silent for up to a TTL (excused as a bus outage)
    // where live it never was.
    for (long s = 0; s <= 60; s += 5) {
      heartbeat("a", s * 1000);
      heartbeat("b", s * 1000 + 2500);
    }
    thinning.finish();
    assertThat(replayed).hasSize(26);
    assertThat(thinning.leftOut).isZero();
  }

  @Test
  void aChangedOrOutOfOrderHeartbeatIsKeptAndOtherRecordsKeepTheirOrder() {
    paced("a", 0);
    other("b", 1);
    paced("a", 5_000); // left out: the next follows within the TTL
    other("b", 6_000);
    paced("a", 10_000, "r2", 10_000); // region changed: kept
    paced("a", 15_000, "r2", 15_000); // kept: the next one was sent before it
    paced("a", 20_000, "r2", 12_000); // ignored live after 15 s; without 15 s, taken
    thinning.finish();
    assertThat(replayedButPace()).containsExactly("a/Heartbeat@0", "b/Endpoints/ns/svc@1",
        "b/Endpoints/ns/svc@6000", "a/Heartbeat@10000", "a/Heartbeat@15000",
        "a/Heartbeat@20000");
    assertThat(thinning.leftOut).isEqualTo(1);
  }

  @Test
  void aSilenceLongerThanTheTtlKeepsTheHeartbeatsAroundIt() {
    paced("a", 0);
    paced("a", 5_000);
    other("b", 40_000); // more than 30 s after the last kept heartbeat: 5 s must be kept
    paced("a", 45_000);
    thinning.finish();
    assertThat(replayedButPace()).containsExactly("a/Heartbeat@0", "a/Heartbeat@5000",
        "b/Endpoints/ns/svc@40000", "a/Heartbeat@45000");
    assertThat(thinning.leftOut).isZero();
  }
}
