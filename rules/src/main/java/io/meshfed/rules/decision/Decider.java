package io.meshfed.rules.decision;

import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.split.LoadSplit;
import io.meshfed.rules.split.Split;
import io.meshfed.rules.split.SplitPolicy;
import io.meshfed.rules.split.TierHealth;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code decide(previous, inputs, now)}: the one function that turns health into traffic.
 *
 * <ol>
 *   <li>Tier health is counted from the endpoints (stale and ejected endpoints are not healthy).
 *   <li>Failback damping: a tier's rise in healthy endpoints counts only once it has held for
 *       {@code minHealthyDuration}; a drop counts at once. A rise that drops again before it
 *       held is a flap, and is counted. After a panic (nothing healthy), or where damping would
 *       leave nothing healthy, any recovery counts at once — there is no traffic to protect.
 *   <li>{@link LoadSplit} computes the tier loads, {@link EndpointWeights} the endpoint weights.
 *   <li>If the resulting config differs from the previous one in anything a data plane applies,
 *       a {@link Decision} is emitted with the next epoch of the destination and a reason;
 *       otherwise nothing is.
 * </ol>
 *
 * <p>Pure: the same previous state, inputs and time always give the same result.
 */
public final class Decider {

  private Decider() {}

  public static DecideResult decide(DecisionState previous, DecisionInputs inputs, Instant now) {
    return decide(previous, inputs, now, new WeightsMemo());
  }

  /**
   * {@link #decide(DecisionState, DecisionInputs, Instant)} with the endpoint weights taken from
   * {@code weights}, shared by the clients of one evaluation (the same answer, computed once).
   */
  public static DecideResult decide(DecisionState previous, DecisionInputs inputs, Instant now,
      WeightsMemo weights) {
    List<TierHealth> raw = inputs.tiers().stream().map(TierInput::health).toList();
    boolean damping = previous != null && !previous.split().panic()
        && !inputs.minHealthyDuration().isZero();
    Damped damped = damp(previous, inputs, raw, now, damping);
    if (damping && damped.noneHealthy() && raw.stream().anyMatch(t -> t.healthy() > 0)) {
      // Damping must not cause a panic: with nothing healthy there is no traffic to protect.
      damped = damp(previous, inputs, raw, now, false);
    }
    Split split = LoadSplit.compute(damped.effective, inputs.splitPolicy());
    long epoch = Math.max(previous == null ? 0 : previous.epoch(),
        inputs.lastDestinationEpoch()) + 1;
    DesiredConfig config = new DesiredConfig(inputs.destination(), inputs.clientCluster(),
        inputs.hosts(), inputs.ports(), weights.assign(inputs.tiers(), split),
        split.activeTier(), inputs.outlier(), epoch, inputs.generation());
    long flaps = (previous == null ? 0 : previous.flaps()) + damped.newFlaps;

    if (previous != null && config.sameContentAs(previous.config())) {
      DecisionState kept = new DecisionState(previous.epoch(), previous.split(), previous.config(),
          damped.memory, flaps);
      return new DecideResult(kept, Optional.empty(), damped.wakeAt);
    }
    Split before = previous == null ? null : previous.split();
    ReasonCode code = reasonCode(previous, inputs, raw, split);
    String reason = explain(code, previous, inputs, raw, split, damped.heldFor);
    Decision decision = new Decision(inputs.destination(), inputs.clientCluster(), epoch, before,
        split, code, reason, raw, inputs.generation(), now, config);
    DecisionState next = new DecisionState(epoch, split, config, damped.memory, flaps);
    return new DecideResult(next, Optional.of(decision), damped.wakeAt);
  }

  /**
   * @param heldFor per tier, how long a rise in health was held before it counted, or null
   *     where it counted at once (a new tier, no damping, or nothing healthy to protect) — the
   *     reason text claims a hold only where one was observed
   */
  private record Damped(List<TierHealth> effective, List<TierDamping> memory, int newFlaps,
      Optional<Instant> wakeAt, List<Duration> heldFor) {
    boolean noneHealthy() {
      return effective.stream().allMatch(t -> t.healthy() == 0);
    }
  }

  private static Damped damp(DecisionState previous, DecisionInputs inputs, List<TierHealth> raw,
      Instant now, boolean damping) {
    Duration hold = inputs.minHealthyDuration();
    List<TierHealth> effective = new ArrayList<>();
    List<TierDamping> memory = new ArrayList<>();
    List<Duration> heldFor = new ArrayList<>();
    int flaps = 0;
    Instant wake = null;
    for (int i = 0; i < raw.size(); i++) {
      heldFor.add(null);
      TierHealth tier = raw.get(i);
      var members = inputs.tiers().get(i).memberRefs();
      TierDamping last = previous == null || i >= previous.damping().size() ? null
          : previous.damping().get(i);
      if (last == null || !last.members().equals(members)) {
        // A new or re-composed tier has no history to damp against.
        effective.add(tier);
        memory.add(new TierDamping(members, tier.healthy(), -1, null));
        continue;
      }
      int effectiveHealthy;
      TierDamping now2;
      if (tier.healthy() <= last.effectiveHealthy() || !damping) {
        if (last.isPending() && tier.healthy() < last.pendingHealthy()) {
          flaps++;
        }
        effectiveHealthy = tier.healthy();
        now2 = new TierDamping(members, effectiveHealthy, -1, null);
      } else {
        Instant since = last.pendingSince();
        if (since == null) {
          since = now;
        } else if (tier.healthy() < last.pendingHealthy()) {
          flaps++;
          since = now;
        }
        if (!now.isBefore(since.plus(hold))) {
          effectiveHealthy = tier.healthy();
          now2 = new TierDamping(members, effectiveHealthy, -1, null);
          if (last.pendingSince() != null) {
            heldFor.set(i, Duration.between(last.pendingSince(), now));
          }
        } else {
          effectiveHealthy = last.effectiveHealthy();
          now2 = new TierDamping(members, effectiveHealthy, tier.healthy(), since);
          Instant due = since.plus(hold);
          wake = wake == null || due.isBefore(wake) ? due : wake;
        }
      }
      effective.add(tier.withHealthy(effectiveHealthy));
      memory.add(now2);
    }
    return new Damped(effective, memory, flaps, Optional.ofNullable(wake), heldFor);
  }

  private static ReasonCode reasonCode(DecisionState previous, DecisionInputs inputs,
      List<TierHealth> raw, Split split) {
    if (previous == null) {
      return ReasonCode.INITIAL;
    }
    if (split.panic()) {
      return ReasonCode.ALL_TIERS_UNHEALTHY;
    }
    int changed = firstChangedTier(previous.split(), split);
    if (changed >= inputs.tiers().size()) {
      // The tier that lost its load is gone: its members left (a VirtualDestination's last
      // backing service deleted), not unhealthy. explain() has no health to report for it.
      return ReasonCode.MEMBERSHIP_CHANGED;
    }
    if (changed >= 0) {
      if (split.loadOf(changed) < previous.split().loadOf(changed)
          || previous.split().panic() && split.activeTier() > 0) {
        boolean stale = changed < inputs.tiers().size()
            && inputs.tiers().get(changed).hasHealth(EndpointHealth.STALE);
        return stale ? ReasonCode.CLUSTER_STALE : ReasonCode.TIER_UNHEALTHY;
      }
      return ReasonCode.TIER_RECOVERED;
    }
    DesiredConfig before = previous.config();
    if (before.generation() != inputs.generation() || !before.hosts().equals(inputs.hosts())
        || !before.ports().equals(inputs.ports()) || !before.outlier().equals(inputs.outlier())) {
      return ReasonCode.POLICY_CHANGED;
    }
    Set<Object> membersBefore = before.tiers().stream().flatMap(t -> t.members().stream())
        .collect(Collectors.toCollection(HashSet::new));
    Set<Object> membersNow = inputs.tiers().stream().flatMap(t -> t.memberRefs().stream())
        .collect(Collectors.toCollection(HashSet::new));
    return membersBefore.equals(membersNow) && before.tiers().size() == inputs.tiers().size()
        ? ReasonCode.ENDPOINTS_CHANGED : ReasonCode.MEMBERSHIP_CHANGED;
  }

  private static int firstChangedTier(Split before, Split after) {
    int n = Math.max(before.tierLoadPercent().size(), after.tierLoadPercent().size());
    for (int i = 0; i < n; i++) {
      if (before.loadOf(i) != after.loadOf(i)) {
        return i;
      }
    }
    return before.panic() != after.panic() ? Math.max(0, after.activeTier()) : -1;
  }

  /** The reason as a sentence, e.g. "tier 0 a/b/c healthy 0/2 (< 71%): 100% to tier 1 d/e/f". */
  static String explain(ReasonCode code, DecisionState previous, DecisionInputs inputs,
      List<TierHealth> raw, Split split, List<Duration> heldFor) {
    String outcome = describeSplit(inputs, split);
    return switch (code) {
      case INITIAL -> "initial decision: " + outcome;
      case ALL_TIERS_UNHEALTHY -> "no tier has a healthy endpoint ("
          + raw.stream().map(t -> "tier " + t.index() + " " + t.healthy() + "/" + t.total())
              .collect(Collectors.joining(", "))
          + "): failing open, " + outcome;
      case TIER_UNHEALTHY, CLUSTER_STALE, TIER_RECOVERED -> {
        int tier = firstChangedTier(previous.split(), split);
        TierHealth health = raw.get(Math.min(tier, raw.size() - 1));
        String members = inputs.tiers().get(health.index()).describeMembers();
        String threshold = thresholdText(inputs.splitPolicy(), code != ReasonCode.TIER_RECOVERED);
        // Ejections are named: readiness alone never explains an outlier-driven failover, and
        // the operator's next question is which signals ejected what.
        String detail = code == ReasonCode.CLUSTER_STALE
            ? health.unknown() + " endpoint(s) of a stale cluster, "
            : health.ejected() > 0 ? health.ejected() + " ejected by outlier detection, " : "";
        Duration observed = health.index() < heldFor.size() ? heldFor.get(health.index()) : null;
        String held = code != ReasonCode.TIER_RECOVERED ? ""
            : observed != null ? ", held for " + observed.toMillis() + "ms"
            : inputs.minHealthyDuration().isZero() ? "" : ", counted at once, not damped";
        yield "tier " + health.index() + " " + members + " healthy " + health.healthy() + "/"
            + health.total() + " (" + detail + threshold + held + "): " + outcome;
      }
      case POLICY_CHANGED -> policyChange(previous.config(), inputs) + ": " + outcome;
      case MEMBERSHIP_CHANGED -> "backing services changed: "
          + inputs.tiers().stream().map(t -> "tier " + t.index() + " " + t.describeMembers())
              .collect(Collectors.joining("; "))
          + ": " + outcome;
      case ENDPOINTS_CHANGED -> "endpoints changed ("
          + raw.stream().map(t -> "tier " + t.index() + " healthy " + t.healthy() + "/" + t.total())
              .collect(Collectors.joining(", "))
          + "): " + outcome;
      case DESTINATION_REMOVED -> "destination removed";
    };
  }

  /** What about the destination's policy changed, most specific first. */
  private static String policyChange(DesiredConfig before, DecisionInputs inputs) {
    if (before.generation() != inputs.generation()) {
      return "destination generation " + before.generation() + " -> " + inputs.generation();
    }
    if (!before.outlier().equals(inputs.outlier())) {
      return "outlier detection now " + inputs.outlier();
    }
    return "hosts or ports now " + inputs.hosts() + " " + inputs.ports().stream()
        .map(p -> p.number() + "/" + p.protocol()).toList();
  }

  private static String thresholdText(SplitPolicy policy, boolean below) {
    int percent = policy instanceof SplitPolicy.Threshold t ? t.percent()
        : ((SplitPolicy.Overprovisioned) policy).spillBelowPercent();
    return (below ? "< " : ">= ") + percent + "%";
  }

  private static String describeSplit(DecisionInputs inputs, Split split) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < split.tierLoadPercent().size(); i++) {
      int load = split.loadOf(i);
      if (load > 0) {
        parts.add(load + "% to tier " + i + " " + inputs.tiers().get(i).describeMembers());
      }
    }
    if (parts.isEmpty()) {
      return "no endpoints to route to";
    }
    return String.join(", ", parts) + (split.panic() ? " (panic: all its endpoints)" : "");
  }
}
