package io.meshfed.topology.handover;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.topology.Bookinfo;
import io.meshfed.testing.SharedSchemaRegistry;
import io.meshfed.topology.TopologyHarness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Make-before-break through the topology (TopologyTestDriver): the walkthrough's failback from
 * remote-cluster (tier 1) to mgmt-cluster (tier 0) is a move to a tier that had no traffic while
 * the old one is healthy, so it goes out in two phases; the failover itself finds tier 0
 * entirely down and takes the emergency path.
 */
class HandoverTopologyTest {

  private static final String CONFIG_KEY =
      "FederatedDestination/FailoverService/service-mesh-hub/reviews-failover";
  private static final Duration WAIT = Duration.ofSeconds(5);

  private TopologyHarness h;
  private final Map<String, List<FederatedDestination>> configs = new HashMap<>();

  @BeforeEach
  void start() throws Exception {
    h = harness(WAIT);
  }

  @AfterEach
  void stop() {
    h.close();
  }

  private static TopologyHarness harness(Duration wait) throws Exception {
    return new TopologyHarness(SharedSchemaRegistry.get().confluentApiUrl(), new Properties(),
        wait);
  }

  @Test
  void theOldTierEntirelyDownMovesAtOnce() {
    h.world();
    h.decisions().readValuesToList();
    h.send(MGMT, Bookinfo.reviewsEndpoints(MGMT, false));
    List<FailoverDecision> failover = h.decisions().readValuesToList();
    assertThat(failover).hasSize(2).allSatisfy(d -> assertThat(d.getReason()).isEqualTo(
        "emergency move, no make-before-break (every endpoint of tier 0 is down: waiting would"
            + " keep nothing up): tier 0 mgmt-cluster/bookinfo/reviews healthy 0/2 (< 71%):"
            + " 100% to tier 1 remote-cluster/bookinfo/reviews"));
    for (String client : List.of(MGMT, REMOTE)) {
      FederatedDestination config = last(client);
      assertThat(config.getActiveTier()).isEqualTo(1);
      assertThat(loads(config)).containsExactly(0, 100);
    }
  }

  @Test
  void theFailbackAddsTier0BesideTier1AndMovesOnlyWhenEveryClientAckedIt() {
    List<FailoverDecision> prepare = failBackUntilPrepared(h);
    assertThat(prepare).extracting(FailoverDecision::getClientCluster)
        .containsExactlyInAnyOrder(MGMT, REMOTE);
    assertThat(prepare).allSatisfy(d -> {
      assertThat(d.getReason()).startsWith("make-before-break 1/2: tier 0 added beside tier 1,"
          + " traffic stays until the clients acknowledge; then: tier 0");
      assertThat(d.getAfter()).as("no traffic moves in phase 1").isEqualTo(d.getBefore());
    });
    for (String client : List.of(MGMT, REMOTE)) {
      FederatedDestination config = last(client);
      assertThat(config.getActiveTier()).isEqualTo(1);
      assertThat(loads(config)).containsExactly(0, 100);
      assertThat(weights(config.getTiers().get(0))).as("tier 0 standing by")
          .containsExactly("10.0.0.11=1", "10.0.0.12=1");
      assertThat(weights(config.getTiers().get(1))).containsExactly("10.1.0.21=1000000000");
    }

    long mgmtEpoch = last(MGMT).getEpoch();
    long remoteEpoch = last(REMOTE).getEpoch();
    h.send(MGMT, Bookinfo.ack(MGMT, mgmtEpoch));
    h.send(REMOTE, Bookinfo.ack(REMOTE, remoteEpoch - 1)); // an older epoch's ack: no
    h.tick(Duration.ofSeconds(1));
    heartbeats();
    assertThat(decisions()).as("remote-cluster has not acked").isEmpty();
    assertThat(newConfigs(MGMT)).isEmpty();

    h.send(REMOTE, Bookinfo.ack(REMOTE, remoteEpoch));
    List<FailoverDecision> move = decisions();
    assertThat(move).hasSize(2).allSatisfy(d -> assertThat(d.getReason()).startsWith(
        "make-before-break 2/2 (acked by mgmt-cluster (epoch " + mgmtEpoch
            + "), remote-cluster (epoch " + remoteEpoch + ")): tier 0"));
    assertThat(move).extracting(d -> d.getAfter().getTierLoadPercent())
        .containsOnly(List.of(100, 0));
    for (String client : List.of(MGMT, REMOTE)) {
      assertThat(last(client).getActiveTier()).isZero();
      assertThat(weights(last(client).getTiers().get(1))).containsExactly("10.1.0.21=0");
      assertThat(sequence(client)).as("the configs %s applied, in order", client)
          .containsExactly("initial [100, 0]", "failover [0, 100]",
              "prepare [0, 100] + tier 0 standing by", "move [100, 0]");
    }
    assertThat(allDecisionEpochs).as("one contiguous sequence per destination")
        .isEqualTo(java.util.stream.LongStream.rangeClosed(1, allDecisionEpochs.size()).boxed()
            .toList());
  }

  @Test
  void withoutAcksTheMoveGoesOutAfterTheBoundedWait() {
    failBackUntilPrepared(h);
    h.tick(WAIT.minusSeconds(1));
    heartbeats();
    assertThat(h.decisions().readValuesToList()).isEmpty();
    h.tick(Duration.ofSeconds(2));
    heartbeats();
    List<FailoverDecision> move = h.decisions().readValuesToList();
    assertThat(move).hasSize(2).allSatisfy(d -> assertThat(d.getReason()).startsWith(
        "make-before-break 2/2 after the bounded wait (no ack from mgmt-cluster, remote-cluster"
            + " within the 5000 ms bounded wait): tier 0"));
    assertThat(last(MGMT).getActiveTier()).isZero();
    assertThat(last(REMOTE).getActiveTier()).isZero();
  }

  @Test
  void recordsPerChangeStayTheSameExceptForAMovesFirstPhase() throws Exception {
    try (TopologyHarness off = harness(Duration.ZERO)) {
      for (TopologyHarness each : List.of(h, off)) {
        each.world();
      }
      // A flip that spills 30 % to tier 1 (overprovisioning): no tier loses its load.
      Map<String, Integer> spillOn = produced(h, () -> h.send(MGMT,
          Bookinfo.reviewsEndpoints(MGMT, false, true)));
      Map<String, Integer> spillOff = produced(off, () -> off.send(MGMT,
          Bookinfo.reviewsEndpoints(MGMT, false, true)));
      assertThat(spillOn).as("a spill costs what it cost").isEqualTo(spillOff)
          .containsEntry("meshfed.failover-events", 2);
      // Tier 0 entirely down: the emergency path costs nothing either.
      Map<String, Integer> downOn = produced(h, () -> h.send(MGMT,
          Bookinfo.reviewsEndpoints(MGMT, false, false)));
      Map<String, Integer> downOff = produced(off, () -> off.send(MGMT,
          Bookinfo.reviewsEndpoints(MGMT, false, false)));
      assertThat(downOn).isEqualTo(downOff).containsEntry("meshfed.failover-events", 2);

      // The failback, acked at once (the acks name a later epoch, so one ack each covers both
      // phases' configs): the first phase is what a move costs.
      Map<String, Integer> backOn = produced(h, () -> failBack(h, true));
      Map<String, Integer> backOff = produced(off, () -> failBack(off, true));
      Map<String, Integer> extra = new java.util.TreeMap<>();
      backOn.forEach((topic, n) -> {
        int diff = n - backOff.getOrDefault(topic, 0);
        if (diff != 0) {
          extra.put(topic.replace(h.applicationId() + "-", ""), diff);
        }
      });
      System.out.println("records a two-client move adds: " + extra);
      // Per client the prepare config and its decision; per destination one more evaluation's
      // writes, the deadline (put, delete) and the wake-up at the deadline (topology/DESIGN.md).
      assertThat(extra).isEqualTo(Map.of("meshfed.failover-events", 2,
          "meshfed.cluster.mgmt-cluster.config", 1, "meshfed.cluster.remote-cluster.config", 1,
          "decide-decision-configs-changelog", 1, "decide-decision-history-changelog", 1,
          "decide-decisions-by-destination-changelog", 1,
          "decide-handovers-changelog", 2, "decide-wakeups-changelog", 1));
    }
  }

  // --- the scenario ---------------------------------------------------------------------

  /** World, tier 0 down (emergency failover), tier 0 back; returns the prepare decisions. */
  private List<FailoverDecision> failBackUntilPrepared(TopologyHarness t) {
    t.world();
    t.send(MGMT, Bookinfo.reviewsEndpoints(MGMT, false));
    failBack(t, false);
    decisions();
    List<FailoverDecision> all = new ArrayList<>(lastRead);
    return all.subList(all.size() - 2, all.size());
  }

  /** Tier 0 recovers and holds past the damping; optionally both clusters ack at once. */
  private static void failBack(TopologyHarness t, boolean ack) {
    t.tick(Duration.ofSeconds(5));
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()));
    t.tick(TopologyHarness.DAMPING.minusSeconds(1));
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()));
    t.tick(Duration.ofSeconds(2));
    if (ack) {
      t.send(MGMT, Bookinfo.ack(MGMT, 1_000));
      t.send(REMOTE, Bookinfo.ack(REMOTE, 1_000));
    }
  }

  private void heartbeats() {
    h.send(MGMT, Bookinfo.heartbeat(MGMT, h.now()));
    h.send(REMOTE, Bookinfo.heartbeat(REMOTE, h.now()));
  }

  // --- reading what the clients were sent --------------------------------------------------

  private final List<Long> allDecisionEpochs = new ArrayList<>();
  private List<FailoverDecision> lastRead = List.of();

  private List<FailoverDecision> decisions() {
    lastRead = h.decisions().readValuesToList();
    lastRead.forEach(d -> allDecisionEpochs.add(d.getEpoch()));
    return lastRead;
  }

  /** The configs sent to {@code client} since the last call (and kept for the sequence). */
  private List<FederatedDestination> newConfigs(String client) {
    List<FederatedDestination> fresh = h.config(client).readKeyValuesToList().stream()
        .filter(kv -> kv.key.equals(CONFIG_KEY)).map(kv -> (FederatedDestination) kv.value)
        .toList();
    configs.computeIfAbsent(client, c -> new ArrayList<>()).addAll(fresh);
    return fresh;
  }

  private FederatedDestination last(String client) {
    newConfigs(client);
    List<FederatedDestination> all = configs.get(client);
    return all.get(all.size() - 1);
  }

  /** Each config the client got, named by what it does to the data plane. */
  private List<String> sequence(String client) {
    newConfigs(client);
    List<String> named = new ArrayList<>();
    List<Integer> before = null;
    for (FederatedDestination config : configs.get(client)) {
      List<Integer> loads = loads(config);
      boolean standby = config.getTiers().stream().anyMatch(t -> t.getLoadPercent() == 0
          && t.getEndpoints().stream().anyMatch(e -> e.getWeight() > 0));
      String what = before == null ? "initial" : standby ? "prepare"
          : loads.equals(List.of(0, 100)) ? "failover" : "move";
      named.add(what + " " + loads + (standby ? " + tier 0 standing by" : ""));
      before = loads;
    }
    return named;
  }

  private static List<Integer> loads(FederatedDestination config) {
    return config.getTiers().stream().map(DestinationTier::getLoadPercent).toList();
  }

  private static List<String> weights(DestinationTier tier) {
    return tier.getEndpoints().stream().map(e -> e.getAddress() + "=" + e.getWeight()).toList();
  }

  /** Records each topic (outputs and changelogs) gained while {@code action} ran. */
  private static Map<String, Integer> produced(TopologyHarness t, Runnable action) {
    Map<String, Integer> before = queued(t);
    action.run();
    Map<String, Integer> after = queued(t);
    Map<String, Integer> gained = new java.util.TreeMap<>();
    after.forEach((topic, n) -> {
      int diff = n - before.getOrDefault(topic, 0);
      if (diff != 0) {
        gained.put(topic, diff);
      }
    });
    return gained;
  }

  private static Map<String, Integer> queued(TopologyHarness t) {
    Map<String, Integer> sizes = new HashMap<>();
    for (String topic : t.driver().producedTopicNames()) {
      sizes.put(topic, (int) t.driver().createOutputTopic(topic, new ByteArrayDeserializer(),
          new ByteArrayDeserializer()).getQueueSize());
    }
    return sizes;
  }
}
