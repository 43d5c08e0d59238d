package io.meshfed.rules.decision;

import static io.meshfed.rules.Fixtures.T0;
import static io.meshfed.rules.decision.Walkthrough.DAMPING;
import static io.meshfed.rules.decision.Walkthrough.inputs;
import static io.meshfed.rules.health.EndpointHealth.HEALTHY;
import static io.meshfed.rules.health.EndpointHealth.STALE;
import static io.meshfed.rules.health.EndpointHealth.UNHEALTHY;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.rules.split.TierHealth;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The failover walkthrough of the seeds, step by step, and the decision bookkeeping. */
class DeciderTest {

  private static DecideResult initial() {
    return Decider.decide(null, inputs(HEALTHY, HEALTHY, HEALTHY), T0);
  }

  @Test
  void initiallyAllTrafficGoesToMgmtCluster() {
    DecideResult first = initial();
    Decision decision = first.decision().orElseThrow();
    assertThat(decision.epoch()).isEqualTo(1);
    assertThat(decision.reasonCode()).isEqualTo(ReasonCode.INITIAL);
    assertThat(decision.before()).isNull();
    assertThat(decision.after().tierLoadPercent()).containsExactly(100, 0);
    assertThat(decision.reason()).isEqualTo("initial decision: 100% to tier 0"
        + " mgmt-cluster/bookinfo/reviews");
    DesiredConfig config = decision.config();
    assertThat(config.activeTier()).isZero();
    assertThat(config.totalWeight()).isEqualTo(DesiredConfig.WEIGHT_TOTAL);
    assertThat(config.tiers().get(0).endpoints()).extracting(DesiredConfig.WeightedEndpoint::weight)
        .containsExactly(500_000_000, 500_000_000);
    assertThat(config.tiers().get(1).endpoints()).extracting(DesiredConfig.WeightedEndpoint::weight)
        .containsExactly(0);
  }

  @Test
  void v1AndV2BreakingSendsEverythingToRemoteClusterAtOnce() {
    DecideResult first = initial();
    Instant broke = T0.plusSeconds(60);
    DecideResult failover = Decider.decide(first.state(), inputs(UNHEALTHY, UNHEALTHY, HEALTHY),
        broke);
    Decision decision = failover.decision().orElseThrow();
    assertThat(decision.epoch()).isEqualTo(2);
    assertThat(decision.reasonCode()).isEqualTo(ReasonCode.TIER_UNHEALTHY);
    assertThat(decision.reason()).isEqualTo("tier 0 mgmt-cluster/bookinfo/reviews healthy 0/2"
        + " (< 71%): 100% to tier 1 remote-cluster/bookinfo/reviews");
    assertThat(decision.before().tierLoadPercent()).containsExactly(100, 0);
    assertThat(decision.after().tierLoadPercent()).containsExactly(0, 100);
    assertThat(decision.inputs()).containsExactly(new TierHealth(0, 0, 0, 0, 2),
        new TierHealth(1, 1, 0, 0, 1));
    assertThat(decision.time()).isEqualTo(broke);
    assertThat(decision.config().activeTier()).isEqualTo(1);
    assertThat(decision.config().tiers().get(1).endpoints()).singleElement()
        .satisfies(e -> assertThat(e.weight()).isEqualTo(DesiredConfig.WEIGHT_TOTAL));
  }

  @Test
  void restoredTrafficReturnsOnlyAfterTheDampingPeriod() {
    DecideResult failover = Decider.decide(initial().state(),
        inputs(UNHEALTHY, UNHEALTHY, HEALTHY), T0.plusSeconds(60));
    Instant restored = T0.plusSeconds(120);
    DecideResult early = Decider.decide(failover.state(), inputs(HEALTHY, HEALTHY, HEALTHY),
        restored);
    assertThat(early.decision()).isEmpty();
    assertThat(early.reevaluateAt()).contains(restored.plus(DAMPING));

    DecideResult almost = Decider.decide(early.state(), inputs(HEALTHY, HEALTHY, HEALTHY),
        restored.plus(DAMPING).minusMillis(1));
    assertThat(almost.decision()).isEmpty();

    DecideResult back = Decider.decide(almost.state(), inputs(HEALTHY, HEALTHY, HEALTHY),
        restored.plus(DAMPING));
    Decision decision = back.decision().orElseThrow();
    assertThat(decision.epoch()).isEqualTo(3);
    assertThat(decision.reasonCode()).isEqualTo(ReasonCode.TIER_RECOVERED);
    assertThat(decision.after().tierLoadPercent()).containsExactly(100, 0);
    assertThat(decision.reason()).isEqualTo("tier 0 mgmt-cluster/bookinfo/reviews healthy 2/2"
        + " (>= 71%, held for 30000ms): 100% to tier 0 mgmt-cluster/bookinfo/reviews");
    assertThat(back.reevaluateAt()).isEmpty();
    assertThat(back.state().flaps()).isZero();
  }

  @Test
  void aRecoveryReportsTheHoldItObservedNotTheConfiguredOne() {
    DecideResult failover = Decider.decide(initial().state(),
        inputs(UNHEALTHY, UNHEALTHY, HEALTHY), T0.plusSeconds(60));
    Instant restored = T0.plusSeconds(120);
    DecideResult pending = Decider.decide(failover.state(), inputs(HEALTHY, HEALTHY, HEALTHY),
        restored);
    // Evaluated late (a busy topology): the reason says how long the rise actually held.
    DecideResult back = Decider.decide(pending.state(), inputs(HEALTHY, HEALTHY, HEALTHY),
        restored.plus(DAMPING).plusMillis(1_234));
    assertThat(back.decision().orElseThrow().reason()).contains("held for 31234ms");
  }

  @Test
  void aRecoveryFromNothingHealthyClaimsNoHold() {
    DecideResult panic = Decider.decide(initial().state(),
        inputs(UNHEALTHY, UNHEALTHY, UNHEALTHY), T0.plusSeconds(60));
    DecideResult back = Decider.decide(panic.state(), inputs(HEALTHY, HEALTHY, UNHEALTHY),
        T0.plusSeconds(61));
    Decision decision = back.decision().orElseThrow();
    assertThat(decision.reason()).doesNotContain("held for").contains("counted at once");
  }

  @Test
  void aRecoveryThatDoesNotHoldIsAFlapAndChangesNothing() {
    DecideResult failover = Decider.decide(initial().state(),
        inputs(UNHEALTHY, UNHEALTHY, HEALTHY), T0.plusSeconds(60));
    DecideResult up = Decider.decide(failover.state(), inputs(HEALTHY, HEALTHY, HEALTHY),
        T0.plusSeconds(70));
    DecideResult down = Decider.decide(up.state(), inputs(UNHEALTHY, UNHEALTHY, HEALTHY),
        T0.plusSeconds(80));
    assertThat(up.decision()).isEmpty();
    assertThat(down.decision()).isEmpty();
    assertThat(down.state().flaps()).isEqualTo(1);
    assertThat(down.reevaluateAt()).isEmpty();
    assertThat(down.state().epoch()).isEqualTo(2);
  }

  @Test
  void epochsContinueTheDestinationsSequenceAcrossClients() {
    DecisionInputs base = inputs(HEALTHY, HEALTHY, HEALTHY);
    DecisionInputs otherClient = new DecisionInputs(base.destination(), 1, "remote-cluster",
        base.hosts(), base.ports(), base.outlier(), base.tiers(), base.splitPolicy(),
        base.minHealthyDuration(), 7);
    assertThat(Decider.decide(null, otherClient, T0).decision().orElseThrow().epoch())
        .isEqualTo(8);
  }

  @Test
  void theSameInputTwiceEmitsNothing() {
    DecideResult first = initial();
    DecideResult again = Decider.decide(first.state(), inputs(HEALTHY, HEALTHY, HEALTHY),
        T0.plusSeconds(5));
    assertThat(again.decision()).isEmpty();
    assertThat(again.state().epoch()).isEqualTo(1);
  }

  @Test
  void aStaleClusterIsNamedAsTheReason() {
    DecideResult stale = Decider.decide(initial().state(), inputs(STALE, STALE, HEALTHY),
        T0.plusSeconds(60));
    Decision decision = stale.decision().orElseThrow();
    assertThat(decision.reasonCode()).isEqualTo(ReasonCode.CLUSTER_STALE);
    assertThat(decision.reason()).isEqualTo("tier 0 mgmt-cluster/bookinfo/reviews healthy 0/2"
        + " (2 endpoint(s) of a stale cluster, < 71%): 100% to tier 1"
        + " remote-cluster/bookinfo/reviews");
  }

  @Test
  void everythingDownFailsOpenToTheFirstTier() {
    DecideResult down = Decider.decide(initial().state(), inputs(UNHEALTHY, UNHEALTHY, UNHEALTHY),
        T0.plusSeconds(60));
    Decision decision = down.decision().orElseThrow();
    assertThat(decision.reasonCode()).isEqualTo(ReasonCode.ALL_TIERS_UNHEALTHY);
    assertThat(decision.after().panic()).isTrue();
    assertThat(decision.config().activeTier()).isEqualTo(-1);
    assertThat(decision.config().totalWeight()).isEqualTo(DesiredConfig.WEIGHT_TOTAL);
    assertThat(decision.reason()).isEqualTo("no tier has a healthy endpoint (tier 0 0/2, tier 1"
        + " 0/1): failing open, 100% to tier 0 mgmt-cluster/bookinfo/reviews (panic: all its"
        + " endpoints)");
    // Out of panic, recovery is not damped: there is no traffic to protect.
    DecideResult up = Decider.decide(down.state(), inputs(HEALTHY, HEALTHY, HEALTHY),
        T0.plusSeconds(61));
    assertThat(up.decision()).map(Decision::reasonCode).contains(ReasonCode.TIER_RECOVERED);
  }

  @Test
  void aNewGenerationIsAPolicyChange() {
    DecisionInputs base = inputs(HEALTHY, HEALTHY, HEALTHY);
    DecisionInputs gen2 = new DecisionInputs(base.destination(), 2, base.clientCluster(),
        List.of("reviews.global"), base.ports(), base.outlier(), base.tiers(),
        base.splitPolicy(), base.minHealthyDuration());
    Decision decision = Decider.decide(initial().state(), gen2, T0.plusSeconds(1)).decision()
        .orElseThrow();
    assertThat(decision.reasonCode()).isEqualTo(ReasonCode.POLICY_CHANGED);
    assertThat(decision.config().hosts()).containsExactly("reviews.global");
    assertThat(decision.reason()).startsWith("destination generation 1 -> 2: ");
  }

  @Test
  void anOutlierPolicyChangeSaysSo() {
    DecisionInputs base = inputs(HEALTHY, HEALTHY, HEALTHY);
    DecisionInputs stricter = new DecisionInputs(base.destination(), 1, base.clientCluster(),
        base.hosts(), base.ports(), io.meshfed.rules.health.OutlierSettings.DEFAULTS,
        base.tiers(), base.splitPolicy(), base.minHealthyDuration());
    Decision decision = Decider.decide(initial().state(), stricter, T0.plusSeconds(1))
        .decision().orElseThrow();
    assertThat(decision.reasonCode()).isEqualTo(ReasonCode.POLICY_CHANGED);
    assertThat(decision.reason()).isEqualTo("outlier detection now consecutiveErrors 5, interval"
        + " 10000ms, baseEjectionTime 30000ms, maxEjectionPercent 100: 100% to tier 0"
        + " mgmt-cluster/bookinfo/reviews");
  }

  @Test
  void healthChangesThatMoveNoWeightAreNotDecisions() {
    DecideResult idleTierDown = Decider.decide(initial().state(),
        inputs(HEALTHY, HEALTHY, UNHEALTHY), T0.plusSeconds(1));
    assertThat(idleTierDown.decision()).isEmpty();
  }

  @Test
  void weightsMovingInsideATierAreAnEndpointChange() {
    Decision decision = Decider.decide(initial().state(), inputs(HEALTHY, STALE, HEALTHY),
        T0.plusSeconds(1)).decision().orElseThrow();
    // 1 of 2 healthy: tier 0 health 70, so 70/30 — the split moves, tier 0 lost load.
    assertThat(decision.reasonCode()).isEqualTo(ReasonCode.CLUSTER_STALE);
    DecisionInputs onlyV1 = new DecisionInputs(Walkthrough.REVIEWS_FAILOVER, 1, "mgmt-cluster",
        inputs(HEALTHY, HEALTHY, HEALTHY).hosts(), inputs(HEALTHY, HEALTHY, HEALTHY).ports(),
        inputs(HEALTHY, HEALTHY, HEALTHY).outlier(), List.of(
            new TierInput(0, List.of(new MemberInput(Walkthrough.MGMT, 1, List.of(
                new EndpointInput("10.0.0.11", 9080, HEALTHY, null, null))))),
            inputs(HEALTHY, HEALTHY, HEALTHY).tiers().get(1)),
        inputs(HEALTHY, HEALTHY, HEALTHY).splitPolicy(), DAMPING);
    Decision scaledIn = Decider.decide(initial().state(), onlyV1, T0.plusSeconds(1)).decision()
        .orElseThrow();
    assertThat(scaledIn.reasonCode()).isEqualTo(ReasonCode.ENDPOINTS_CHANGED);
    assertThat(scaledIn.after()).isEqualTo(scaledIn.before());
    assertThat(scaledIn.config().tiers().get(0).endpoints()).singleElement()
        .satisfies(e -> assertThat(e.weight()).isEqualTo(DesiredConfig.WEIGHT_TOTAL));
  }

  @Test
  void everyEndpointOfATierOfMoreThanAHundredKeepsAWeight() {
    // With weights summing to 100, endpoints 101..150 of one tier got weight 0 and every
    // applier dropped them: a third of the service received no traffic.
    List<EndpointInput> endpoints = new java.util.ArrayList<>();
    for (int i = 0; i < 150; i++) {
      endpoints.add(new EndpointInput("10.0." + (i / 250) + "." + (i % 250 + 1), 9080, HEALTHY,
          null, null));
    }
    DecisionInputs base = inputs(HEALTHY, HEALTHY, HEALTHY);
    DecisionInputs wide = new DecisionInputs(base.destination(), 1, base.clientCluster(),
        base.hosts(), base.ports(), base.outlier(),
        List.of(new TierInput(0, List.of(new MemberInput(Walkthrough.MGMT, 1, endpoints))),
            base.tiers().get(1)),
        base.splitPolicy(), DAMPING);
    DesiredConfig config = Decider.decide(null, wide, T0).decision().orElseThrow().config();
    List<Integer> weights = config.tiers().get(0).endpoints().stream()
        .map(DesiredConfig.WeightedEndpoint::weight).toList();
    assertThat(weights).hasSize(150);
    // 10^9 / 150 = 6,666,666.67: exact proportions to the unit.
    assertThat(weights).allSatisfy(w -> assertThat(w).isBetween(6_666_666, 6_666_667));
    assertThat(config.totalWeight()).isEqualTo(DesiredConfig.WEIGHT_TOTAL);
  }

  /** A VirtualDestination whose last backing service left: no tiers (found by the topology's property test). */
  @Test
  void lastTierGoneIsAMembershipChangeNotACrash() {
    var id = new io.meshfed.rules.model.ResourceId(io.meshfed.rules.model.Kind.VirtualDestination,
        "global", "vd-0");
    var ref = new io.meshfed.rules.model.ServiceRef("c1", "shop", "ratings");
    List<TierInput> oneTier = List.of(new TierInput(0, List.of(new MemberInput(ref, 1,
        List.of(new EndpointInput("10.0.0.1", 9080, HEALTHY, null, null))))));
    var ports = List.of(new DesiredConfig.Port(8080, "HTTP", 8080));
    var first = Decider.decide(null, new DecisionInputs(id, 1, "c1", List.of("vd.mesh"), ports,
        io.meshfed.rules.health.OutlierSettings.DEFAULTS, oneTier,
        io.meshfed.rules.split.SplitPolicy.DEFAULT, java.time.Duration.ZERO), T0);

    DecideResult gone = Decider.decide(first.state(), new DecisionInputs(id, 1, "c1",
        List.of("vd.mesh"), ports, io.meshfed.rules.health.OutlierSettings.DEFAULTS, List.of(),
        io.meshfed.rules.split.SplitPolicy.DEFAULT, java.time.Duration.ZERO), T0.plusSeconds(1));

    assertThat(gone.decision()).hasValueSatisfying(d -> {
      assertThat(d.reasonCode()).isEqualTo(ReasonCode.MEMBERSHIP_CHANGED);
      assertThat(d.config().tiers()).isEmpty();
      assertThat(d.config().activeTier()).isEqualTo(-1);
    });
  }
}
