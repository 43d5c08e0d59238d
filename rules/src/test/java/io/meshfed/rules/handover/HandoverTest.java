package io.meshfed.rules.handover;

import static io.meshfed.rules.health.EndpointHealth.HEALTHY;
import static io.meshfed.rules.health.EndpointHealth.UNHEALTHY;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.rules.decision.DecideResult;
import io.meshfed.rules.decision.Decider;
import io.meshfed.rules.decision.Decision;
import io.meshfed.rules.decision.DecisionInputs;
import io.meshfed.rules.decision.DecisionState;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.decision.DesiredConfig.WeightedEndpoint;
import io.meshfed.rules.decision.EndpointInput;
import io.meshfed.rules.decision.MemberInput;
import io.meshfed.rules.decision.TierInput;
import io.meshfed.rules.handover.Handover.Gate;
import io.meshfed.rules.handover.Handover.GateState;
import io.meshfed.rules.handover.Handover.Phase;
import io.meshfed.rules.handover.Handover.Step;
import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.split.SplitPolicy;
import io.meshfed.rules.status.ClusterAck;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The make-before-break planner on the walkthrough's destination (reviews v1, v2 on
 * mgmt-cluster as tier 0; v3 on remote-cluster as tier 1), seen from mgmt-cluster.
 */
class HandoverTest {

  private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
  private static final Duration DAMPING = Duration.ofSeconds(30);
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final String CLIENT = "mgmt-cluster";
  private static final GateState WAITING = new GateState(Gate.WAITING, "waiting for x");

  private static DecisionInputs inputs(SplitPolicy policy, EndpointHealth v1,
      EndpointHealth v2, EndpointHealth v3) {
    TierInput tier0 = new TierInput(0, List.of(new MemberInput(
        new ServiceRef("mgmt-cluster", "bookinfo", "reviews"), 1, List.of(
        new EndpointInput("10.0.0.11", 9080, v1, "us-east-1a", "us-east-1"),
        new EndpointInput("10.0.0.12", 9080, v2, "us-east-1b", "us-east-1")))));
    TierInput tier1 = new TierInput(1, List.of(new MemberInput(
        new ServiceRef("remote-cluster", "bookinfo", "reviews"), 1, List.of(
        new EndpointInput("10.1.0.21", 9080, v3, "eu-west-1a", "eu-west-1")))));
    return new DecisionInputs(new ResourceId(Kind.FailoverService, "smh", "reviews-failover"),
        1, CLIENT, List.of("reviews-failover.bookinfo.global"),
        List.of(new DesiredConfig.Port(9080, "HTTP", 9080)),
        new OutlierSettings(1, Duration.ofSeconds(10), Duration.ofSeconds(30), 100),
        List.of(tier0, tier1), policy, DAMPING);
  }

  private static DecisionInputs inputs(EndpointHealth v1, EndpointHealth v2,
      EndpointHealth v3) {
    return inputs(new SplitPolicy.Threshold(71), v1, v2, v3);
  }

  private static DecisionState initial() {
    return Decider.decide(null, inputs(HEALTHY, HEALTHY, HEALTHY), T0).state();
  }

  /** Tier 0 half down (below a 71 % threshold): the rules move to tier 1; prepared. */
  private static Step prepare() {
    DecisionState first = initial();
    return Handover.plan(first, Decider.decide(first, inputs(UNHEALTHY, HEALTHY, HEALTHY),
        T0.plusSeconds(60)), GateState.OPEN);
  }

  private static List<String> weights(DesiredConfig config, int tier) {
    return config.tiers().get(tier).endpoints().stream()
        .map(e -> e.address() + "=" + e.weight()).toList();
  }

  @Test
  void aMoveToANewTierFirstAddsItBesideTheOldOneWithTrafficStillOnTheOld() {
    DecisionState first = initial();
    Step step = prepare();
    assertThat(step.phase()).isEqualTo(Phase.PREPARE);
    Decision decision = step.result().decision().orElseThrow();
    assertThat(decision.epoch()).isEqualTo(2);
    assertThat(decision.before()).isEqualTo(first.split());
    assertThat(decision.after()).as("traffic does not move in phase 1").isEqualTo(first.split());
    DesiredConfig config = decision.config();
    assertThat(config.epoch()).isEqualTo(2);
    assertThat(weights(config, 0)).as("the old tier as it was sent")
        .isEqualTo(weights(first.config(), 0));
    assertThat(weights(config, 1)).containsExactly("10.1.0.21=" + Handover.STANDBY_WEIGHT);
    assertThat(config.tiers()).extracting(DesiredConfig.Tier::loadPercent).containsExactly(100, 0);
    assertThat(Handover.isPrepared(config)).isTrue();
    assertThat(Handover.isPrepared(first.config())).isFalse();
    assertThat(decision.reason()).startsWith("make-before-break 1/2: tier 1 added beside tier 0,")
        .endsWith("healthy 1/2 (< 71%): 100% to tier 1 remote-cluster/bookinfo/reviews");
    assertThat(step.result().state().config()).isEqualTo(config);
    assertThat(step.result().state().epoch()).isEqualTo(2);
  }

  @Test
  void aPreparedClientHoldsWhileAcksAreOutstanding() {
    DecisionState prepared = prepare().result().state();
    Step step = Handover.plan(prepared, Decider.decide(prepared,
        inputs(UNHEALTHY, HEALTHY, HEALTHY), T0.plusSeconds(61)), WAITING);
    assertThat(step.phase()).isEqualTo(Phase.HOLD);
    assertThat(step.result().decision()).isEmpty();
    assertThat(step.result().state().config()).isEqualTo(prepared.config());
    assertThat(step.result().state().epoch()).isEqualTo(prepared.epoch());
  }

  @Test
  void theMoveGoesOutOnceEveryPreparedClientAckedItsEpoch() {
    DecisionState prepared = prepare().result().state();
    Instant now = T0.plusSeconds(61);
    Instant deadline = T0.plusSeconds(60).plus(WAIT);
    Map<String, DecisionState> states = Map.of(CLIENT, prepared, "other", initial());
    assertThat(Handover.gate(states, Map.of(), deadline, WAIT, now).gate())
        .isEqualTo(Gate.WAITING);
    assertThat(Handover.gate(states, Map.of(CLIENT, ack(1, true)), deadline, WAIT, now).gate())
        .as("an ack of an older epoch").isEqualTo(Gate.WAITING);
    assertThat(Handover.gate(states, Map.of(CLIENT, ack(2, false)), deadline, WAIT, now).gate())
        .as("a failed apply").isEqualTo(Gate.WAITING);
    GateState open = Handover.gate(states, Map.of(CLIENT, ack(2, true)), deadline, WAIT, now);
    assertThat(open).isEqualTo(new GateState(Gate.OPEN, "acked by mgmt-cluster (epoch 2)"));

    DecideResult rules = Decider.decide(prepared, inputs(UNHEALTHY, HEALTHY, HEALTHY), now);
    Step step = Handover.plan(prepared, rules, open);
    assertThat(step.phase()).isEqualTo(Phase.MOVE);
    Decision move = step.result().decision().orElseThrow();
    assertThat(move.epoch()).isEqualTo(3);
    assertThat(move.config()).as("the rules' own answer").isEqualTo(
        rules.decision().orElseThrow().config());
    assertThat(move.after().tierLoadPercent()).containsExactly(0, 100);
    assertThat(move.before().tierLoadPercent()).containsExactly(100, 0);
    assertThat(move.reason()).startsWith("make-before-break 2/2 (acked by mgmt-cluster (epoch 2)):"
        + " tier 0");
    assertThat(Handover.isPrepared(step.result().state().config())).isFalse();
  }

  @Test
  void theMoveGoesOutAfterTheBoundedWaitWithoutTheAcks() {
    DecisionState prepared = prepare().result().state();
    Instant deadline = T0.plusSeconds(60).plus(WAIT);
    Map<String, DecisionState> states = Map.of(CLIENT, prepared);
    assertThat(Handover.gate(states, Map.of(), deadline, WAIT, deadline.minusMillis(1)).gate())
        .isEqualTo(Gate.WAITING);
    GateState expired = Handover.gate(states, Map.of(), deadline, WAIT, deadline);
    assertThat(expired.gate()).isEqualTo(Gate.EXPIRED);
    Step step = Handover.plan(prepared, Decider.decide(prepared,
        inputs(UNHEALTHY, HEALTHY, HEALTHY), deadline), expired);
    assertThat(step.phase()).isEqualTo(Phase.MOVE);
    assertThat(step.result().decision().orElseThrow().reason()).startsWith(
        "make-before-break 2/2 after the bounded wait (no ack from mgmt-cluster within the 5000"
            + " ms bounded wait):");
  }

  @Test
  void theOldTierEntirelyDownMovesAtOnce() {
    DecisionState first = initial();
    DecideResult rules = Decider.decide(first, inputs(UNHEALTHY, UNHEALTHY, HEALTHY),
        T0.plusSeconds(60));
    Step step = Handover.plan(first, rules, GateState.OPEN);
    assertThat(step.phase()).isEqualTo(Phase.EMERGENCY);
    assertThat(step.result().decision().orElseThrow().config())
        .isEqualTo(rules.decision().orElseThrow().config());
    assertThat(step.result().decision().orElseThrow().reason()).startsWith(
        "emergency move, no make-before-break (every endpoint of tier 0 is down");

    // Prepared and waiting, then the rest of the old tier fails: no more waiting either.
    DecisionState prepared = prepare().result().state();
    Step during = Handover.plan(prepared, Decider.decide(prepared,
        inputs(UNHEALTHY, UNHEALTHY, HEALTHY), T0.plusSeconds(61)), WAITING);
    assertThat(during.phase()).isEqualTo(Phase.EMERGENCY);
    assertThat(during.result().decision().orElseThrow().after().tierLoadPercent())
        .containsExactly(0, 100);
  }

  @Test
  void changesThatRemoveNoLoadedTierGoOutAsTheRulesDecided() {
    assertThat(Handover.plan(null, Decider.decide(null, inputs(HEALTHY, HEALTHY, HEALTHY), T0),
        GateState.OPEN).phase()).as("first decision").isEqualTo(Phase.DIRECT);
    // Overprovisioned: tier 0 at half health spills 30 % to tier 1 and keeps 70 %.
    SplitPolicy spill = new SplitPolicy.Overprovisioned(1.4);
    DecisionState first = Decider.decide(null, inputs(spill, HEALTHY, HEALTHY, HEALTHY), T0)
        .state();
    DecideResult rules = Decider.decide(first, inputs(spill, UNHEALTHY, HEALTHY, HEALTHY),
        T0.plusSeconds(60));
    assertThat(rules.decision().orElseThrow().after().tierLoadPercent()).containsExactly(70, 30);
    Step step = Handover.plan(first, rules, WAITING);
    assertThat(step.phase()).isEqualTo(Phase.DIRECT);
    assertThat(step.result()).isSameAs(rules);
    // No decision at all: nothing to plan.
    DecideResult none = Decider.decide(first, inputs(spill, HEALTHY, HEALTHY, UNHEALTHY),
        T0.plusSeconds(60));
    assertThat(none.decision()).isEmpty();
    assertThat(Handover.plan(first, none, WAITING).result()).isSameAs(none);
  }

  @Test
  void aPreparedClientWhoseOldTierRecoversIsCalledOff() {
    DecisionState prepared = prepare().result().state();
    Instant held = T0.plusSeconds(61);
    DecideResult rising = Decider.decide(prepared, inputs(HEALTHY, HEALTHY, HEALTHY), held);
    Step hold = Handover.plan(prepared, rising, WAITING);
    assertThat(hold.phase()).as("the rise is damped: still a move").isEqualTo(Phase.HOLD);
    DecisionState kept = hold.result().state();
    DecideResult recovered = Decider.decide(kept, inputs(HEALTHY, HEALTHY, HEALTHY),
        held.plus(DAMPING));
    Step step = Handover.plan(kept, recovered, WAITING);
    assertThat(step.phase()).isEqualTo(Phase.CALLED_OFF);
    DesiredConfig config = step.result().decision().orElseThrow().config();
    assertThat(Handover.isPrepared(config)).isFalse();
    assertThat(weights(config, 1)).containsExactly("10.1.0.21=0");
    assertThat(config.tiers()).extracting(DesiredConfig.Tier::loadPercent).containsExactly(100, 0);
  }

  @Test
  void standbyEndpointsAreOnlyThoseTheRulesWouldGiveAShare() {
    DesiredConfig config = prepare().result().state().config();
    assertThat(config.tiers().get(1).endpoints()).extracting(WeightedEndpoint::weight)
        .allMatch(w -> w == Handover.STANDBY_WEIGHT);
    assertThat(config.totalWeight()).isEqualTo(DesiredConfig.WEIGHT_TOTAL
        + Handover.STANDBY_WEIGHT);
  }

  private static ClusterAck ack(long epoch, boolean applied) {
    return new ClusterAck(CLIENT, 1, epoch, applied, null, 0);
  }
}
