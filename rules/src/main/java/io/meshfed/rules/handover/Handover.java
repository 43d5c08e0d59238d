package io.meshfed.rules.handover;

import io.meshfed.rules.decision.DecideResult;
import io.meshfed.rules.decision.Decision;
import io.meshfed.rules.decision.DecisionState;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.split.TierHealth;
import io.meshfed.rules.status.ClusterAck;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Make-before-break: when the rules move a client's traffic to a tier that had none and take it
 * off a tier that had it, the move goes out in two phases, each with its own epoch.
 *
 * <ol>
 *   <li><b>Prepare</b>: the config the client already has, plus the new tier's endpoints at the
 *       standby weight ({@link #STANDBY_WEIGHT}, one part in 10<sup>9</sup>): the data plane adds
 *       them beside the old tier, whose weights do not change, so traffic stays where it was.
 *   <li><b>Move</b>: the rules' answer, once every client of the destination that was sent a
 *       prepare config has acknowledged it ({@link Gate#OPEN}), or after the bounded wait
 *       ({@link Gate#EXPIRED}). Until then the client's config is held.
 * </ol>
 *
 * <p><b>Emergency</b>: when every endpoint of the tiers that carry the client's traffic is
 * unhealthy (raw health, as the rules counted it — not damped), the move goes out at once.
 * Waiting keeps nothing up (the traffic it would protect is already failing) and only makes the
 * outage longer by an ack round trip or the whole bounded wait.
 *
 * <p>Everything else goes out as the rules decided: a first decision, weight changes within the
 * tiers that carry traffic, a spill that adds a tier without taking load off another (nothing is
 * removed), changes of membership, generation or tier shape, withdrawals. So the common path
 * costs nothing.
 *
 * <p>Pure: the same inputs always give the same step. The topology keeps the one thing that is
 * not in the decision state — when the bounded wait ends — in a store.
 */
public final class Handover {

  /** An endpoint's weight while it stands by: present in the data plane, ~no traffic. */
  public static final int STANDBY_WEIGHT = 1;

  private Handover() {}

  /** What happens to one client's decision. */
  public enum Phase {
    /** Not a move to a new tier (or the feature is off): the rules' answer as it is. */
    DIRECT,
    /** Phase 1: the new tier's endpoints are added at the standby weight. */
    PREPARE,
    /** Prepared, acks outstanding: the client keeps its prepare config. */
    HOLD,
    /** Phase 2: the rules' answer, after the acks or the bounded wait. */
    MOVE,
    /** The old tier is entirely down: the rules' answer at once, prepared or not. */
    EMERGENCY,
    /** Prepared, but the rules no longer move: their answer replaces the prepare config. */
    CALLED_OFF
  }

  /** Whether a destination's prepared clients may move. */
  public enum Gate {
    /** Nothing is prepared, or every prepared client acknowledged its prepare epoch. */
    OPEN,
    /** Acks are outstanding and the bounded wait has not ended. */
    WAITING,
    /** Acks are outstanding and the bounded wait has ended. */
    EXPIRED
  }

  /**
   * The gate of one destination and why, for the decision's reason.
   *
   * @param gate the gate
   * @param why e.g. "acked by a (epoch 5), b (epoch 6)" or "no ack from b within 5 s"
   */
  public record GateState(Gate gate, String why) {
    public static final GateState OPEN = new GateState(Gate.OPEN, "nothing prepared");
  }

  /**
   * The step for one client.
   *
   * @param phase what happens
   * @param result the result to apply: the rules' own, with a reason saying the phase, a
   *     prepare decision, or a held state (no decision)
   */
  public record Step(Phase phase, DecideResult result) {}

  /**
   * The gate of a destination: its clients whose stored config is a prepare config must all have
   * acknowledged (APPLIED) that epoch or a later one.
   *
   * @param states decision state per client cluster
   * @param acks the latest ack per cluster
   * @param deadline when the bounded wait ends (null: unknown, counts as ended)
   * @param now now
   */
  public static GateState gate(Map<String, DecisionState> states, Map<String, ClusterAck> acks,
      Instant deadline, Duration wait, Instant now) {
    List<String> acked = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (var e : new java.util.TreeMap<>(states).entrySet()) {
      if (!isPrepared(e.getValue().config())) {
        continue;
      }
      ClusterAck ack = acks.get(e.getKey());
      if (ack != null && ack.applied() && ack.epoch() >= e.getValue().epoch()) {
        acked.add(e.getKey() + " (epoch " + e.getValue().epoch() + ")");
      } else {
        missing.add(e.getKey());
      }
    }
    if (acked.isEmpty() && missing.isEmpty()) {
      return GateState.OPEN;
    }
    if (missing.isEmpty()) {
      return new GateState(Gate.OPEN, "acked by " + String.join(", ", acked));
    }
    if (deadline == null || !now.isBefore(deadline)) {
      return new GateState(Gate.EXPIRED, "no ack from " + String.join(", ", missing)
          + " within the " + wait.toMillis() + " ms bounded wait");
    }
    return new GateState(Gate.WAITING, "waiting for " + String.join(", ", missing));
  }

  /**
   * The step for one client: what to send instead of (or as) the rules' answer {@code next}.
   *
   * @param previous the client's stored state (what it was last sent), or null
   * @param next the rules' answer ({@code Decider.decide(previous, ...)})
   * @param gate the destination's gate, from {@link #gate}
   */
  public static Step plan(DecisionState previous, DecideResult next, GateState gate) {
    if (previous == null || next.decision().isEmpty()) {
      return new Step(Phase.DIRECT, next);
    }
    Decision decision = next.decision().get();
    DesiredConfig sent = previous.config();
    DesiredConfig target = decision.config();
    boolean prepared = isPrepared(sent);
    List<Integer> added = sameShape(sent, target) ? newlyLoaded(sent, target) : List.of();
    if (added.isEmpty() || !dropsLoad(sent, target)) {
      return prepared
          ? new Step(Phase.CALLED_OFF, withReason(next, "make-before-break called off, the rules"
              + " no longer move traffic to a new tier: "))
          : new Step(Phase.DIRECT, next);
    }
    List<Integer> old = loaded(sent);
    if (entirelyDown(old, decision.inputs())) {
      return new Step(Phase.EMERGENCY, withReason(next, "emergency move, no make-before-break"
          + " (every endpoint of " + tiers(old) + " is down: waiting would keep nothing up): "));
    }
    if (prepared && standingBy(sent, target, added)) {
      return switch (gate.gate()) {
        case OPEN -> new Step(Phase.MOVE, withReason(next,
            "make-before-break 2/2 (" + gate.why() + "): "));
        case EXPIRED -> new Step(Phase.MOVE, withReason(next,
            "make-before-break 2/2 after the bounded wait (" + gate.why() + "): "));
        case WAITING -> new Step(Phase.HOLD, new DecideResult(new DecisionState(previous.epoch(),
            previous.split(), sent, next.state().damping(), next.state().flaps()),
            Optional.empty(), next.reevaluateAt()));
      };
    }
    DesiredConfig config = prepare(sent, target, added, decision.epoch());
    Decision prepare = new Decision(decision.destination(), decision.clientCluster(),
        decision.epoch(), previous.split(), previous.split(), decision.reasonCode(),
        "make-before-break 1/2: " + tiers(added) + " added beside " + tiers(old)
            + ", traffic stays until the clients acknowledge; then: " + decision.reason(),
        decision.inputs(), decision.generation(), decision.time(), config);
    DecisionState state = new DecisionState(decision.epoch(), previous.split(), config,
        next.state().damping(), next.state().flaps());
    return new Step(Phase.PREPARE, new DecideResult(state, Optional.of(prepare),
        next.reevaluateAt()));
  }

  /**
   * Whether a config is a prepare config: a tier without load has an endpoint with a weight.
   * The rules never give one ({@code EndpointWeights}: a tier without load has weight 0
   * everywhere), so the stored decision state says by itself which clients are mid-handover.
   */
  public static boolean isPrepared(DesiredConfig config) {
    for (DesiredConfig.Tier tier : config.tiers()) {
      if (tier.loadPercent() == 0) {
        for (DesiredConfig.WeightedEndpoint e : tier.endpoints()) {
          if (e.weight() > 0) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * The prepare config: {@code sent} as it is (the old tier's weights unchanged), with each
   * added tier's endpoints that the rules give a share at the standby weight.
   */
  static DesiredConfig prepare(DesiredConfig sent, DesiredConfig target, List<Integer> added,
      long epoch) {
    List<DesiredConfig.Tier> tiers = new ArrayList<>(sent.tiers().size());
    for (DesiredConfig.Tier tier : sent.tiers()) {
      if (!added.contains(tier.index())) {
        tiers.add(tier);
        continue;
      }
      List<DesiredConfig.WeightedEndpoint> standby = target.tiers().get(tier.index()).endpoints()
          .stream().map(e -> new DesiredConfig.WeightedEndpoint(e.address(), e.port(),
              e.weight() > 0 ? STANDBY_WEIGHT : 0, e.service(), e.zone(), e.region(), e.health(),
              e.ports()))
          .toList();
      tiers.add(new DesiredConfig.Tier(tier.index(), tier.loadPercent(), tier.members(),
          standby));
    }
    return new DesiredConfig(sent.destination(), sent.clientCluster(), sent.hosts(),
        sent.ports(), tiers, sent.activeTier(), sent.outlier(), epoch, sent.generation());
  }

  /** Same generation and tiers of the same members: a move between tiers, nothing else. */
  private static boolean sameShape(DesiredConfig sent, DesiredConfig target) {
    if (sent.generation() != target.generation()
        || sent.tiers().size() != target.tiers().size()) {
      return false;
    }
    for (int i = 0; i < sent.tiers().size(); i++) {
      if (!sent.tiers().get(i).members().equals(target.tiers().get(i).members())) {
        return false;
      }
    }
    return true;
  }

  /** Tiers the target gives load that had none. */
  private static List<Integer> newlyLoaded(DesiredConfig sent, DesiredConfig target) {
    List<Integer> added = new ArrayList<>();
    for (int i = 0; i < target.tiers().size(); i++) {
      if (target.tiers().get(i).loadPercent() > 0 && sent.tiers().get(i).loadPercent() == 0) {
        added.add(i);
      }
    }
    return added;
  }

  /** Whether a tier with load loses all of it (its endpoints would leave the data plane). */
  private static boolean dropsLoad(DesiredConfig sent, DesiredConfig target) {
    for (int i = 0; i < sent.tiers().size(); i++) {
      if (sent.tiers().get(i).loadPercent() > 0 && target.tiers().get(i).loadPercent() == 0) {
        return true;
      }
    }
    return false;
  }

  private static List<Integer> loaded(DesiredConfig config) {
    List<Integer> loaded = new ArrayList<>();
    for (DesiredConfig.Tier tier : config.tiers()) {
      if (tier.loadPercent() > 0) {
        loaded.add(tier.index());
      }
    }
    return loaded;
  }

  /** Whether each of {@code tiers} has no healthy endpoint in {@code raw}. */
  private static boolean entirelyDown(List<Integer> tiers, List<TierHealth> raw) {
    for (TierHealth health : raw) {
      if (tiers.contains(health.index()) && health.healthy() > 0) {
        return false;
      }
    }
    return true;
  }

  /** Each added tier has at least one endpoint standing by in {@code sent}. */
  private static boolean standingBy(DesiredConfig sent, DesiredConfig target,
      List<Integer> added) {
    for (int i : added) {
      java.util.Set<String> standby = sent.tiers().get(i).endpoints().stream()
          .filter(e -> e.weight() > 0).map(DesiredConfig.WeightedEndpoint::address)
          .collect(Collectors.toSet());
      boolean any = target.tiers().get(i).endpoints().stream()
          .anyMatch(e -> e.weight() > 0 && standby.contains(e.address()));
      if (!any) {
        return false;
      }
    }
    return true;
  }

  private static DecideResult withReason(DecideResult result, String prefix) {
    Decision d = result.decision().orElseThrow();
    return new DecideResult(result.state(), Optional.of(new Decision(d.destination(),
        d.clientCluster(), d.epoch(), d.before(), d.after(), d.reasonCode(), prefix + d.reason(),
        d.inputs(), d.generation(), d.time(), d.config())), result.reevaluateAt());
  }

  private static String tiers(List<Integer> indexes) {
    return (indexes.size() == 1 ? "tier " : "tiers ")
        + new TreeSet<>(indexes).stream().map(String::valueOf).collect(Collectors.joining(", "));
  }
}
