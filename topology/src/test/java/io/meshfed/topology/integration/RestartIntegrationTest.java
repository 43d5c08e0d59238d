package io.meshfed.topology.integration;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.decision.EndpointInput;
import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.config.TopologyConfig;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

/** A kill and restart mid-stream: contiguous epochs, and the final state equals the rules' (the oracle). */
class RestartIntegrationTest extends BrokerTestBase {

  @Test
  void killedAndRestartedMidStreamTheDecisionLogStaysContiguousAndMatchesTheRules()
      throws Exception {
    TopologyConfig config = config("it-restart", Duration.ZERO);
    KafkaStreams first = start(config);
    OutputCollector out = collect();
    var agent = agent();
    world(agent);
    heartbeats(agent);
    await().atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(latestConfig(out, REMOTE)).isNotNull());
    int initialDecisions = decisions(out).size();

    boolean ready = true;
    for (int i = 0; i < 30; i++) {
      ready = !ready;
      send(agent, MGMT, Bookinfo.reviewsEndpoints(MGMT, ready));
      if (i == 0) {
        // The first flip is decided before the burst: a burst is coalesced per poll (a flip and
        // its reverse decide nothing), so without this the decisions before the kill could all
        // be merged away and the log would not cross the restart mid-stream.
        await().atMost(Duration.ofSeconds(60))
            .until(() -> decisions(out).size() > initialDecisions);
      }
      if (i == 12) {
        // Killed: no clean shutdown, no final commit. A new instance with an empty state
        // directory takes over and restores from the changelogs.
        first.close(Duration.ZERO);
        start(config.withStateDir(Files.createTempDirectory("meshfed-it-restarted")));
      }
    }
    // The last event is one no earlier state had: mgmt-cluster down to v1 alone, ready. Flips
    // that arrive in one batch are coalesced (a flip and its reverse decide nothing), so the
    // number of decisions is not a measure of progress; this final config is. Waiting for the
    // tier alone is not enough either: before the new instance has caught up, the latest config
    // can be an earlier flip's that happens to show the final tier.
    send(agent, MGMT, Bookinfo.reviewsEndpoints(MGMT, new boolean[] {true}));
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
      for (String client : List.of(MGMT, REMOTE)) {
        FederatedDestination latest = latestConfig(out, client);
        assertThat(latest.getActiveTier()).isZero();
        assertThat(latest.getTiers().get(0).getEndpoints())
            .extracting(e -> e.getAddress()).containsExactly("10.0.0.11");
      }
    });
    assertThat(decisions(out)).as("the flips before the kill, after it, and the last change")
        .hasSizeGreaterThan(initialDecisions + 2);

    List<Long> epochs = decisions(out).stream().map(FailoverDecision::getEpoch).toList();
    assertThat(epochs).as("one contiguous sequence per destination, no duplicates")
        .isEqualTo(java.util.stream.LongStream.rangeClosed(1, epochs.size()).boxed().toList());

    for (String client : List.of(MGMT, REMOTE)) {
      DesiredConfig oracle = oracle(client);
      FederatedDestination actual = latestConfig(out, client);
      assertThat(actual.getActiveTier()).isEqualTo(oracle.activeTier());
      assertThat(actual.getTiers()).extracting(t -> t.getLoadPercent())
          .containsExactlyElementsOf(oracle.tiers().stream()
              .map(DesiredConfig.Tier::loadPercent).toList());
      assertThat(actual.getTiers().stream().flatMap(t -> t.getEndpoints().stream())
          .map(e -> e.getAddress() + "=" + e.getWeight()).toList())
          .containsExactlyElementsOf(oracle.tiers().stream()
              .flatMap(t -> t.endpoints().stream()).map(e -> e.address() + "=" + e.weight())
              .toList());
    }
  }

  /** The pure rules applied to the final world, from scratch: mgmt-cluster has v1 only. */
  private static DesiredConfig oracle(String client) {
    return io.meshfed.topology.Oracle.reviewsFailover(client,
        List.of(new EndpointInput("10.0.0.11", 9080, EndpointHealth.HEALTHY, null, null)),
        OutlierSettings.DEFAULTS);
  }

}
