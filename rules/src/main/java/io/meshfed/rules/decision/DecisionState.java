package io.meshfed.rules.decision;

import io.meshfed.rules.split.Split;
import java.util.List;

/**
 * What the decider remembers between decisions for one (destination, client cluster).
 *
 * @param epoch epoch of the last decision
 * @param split split of the last decision
 * @param config config of the last decision
 * @param damping per-tier damping memory (updated even when no decision is emitted)
 * @param flaps recoveries that did not hold for minHealthyDuration, since the first decision
 */
public record DecisionState(long epoch, Split split, DesiredConfig config,
    List<TierDamping> damping, long flaps) {

  public DecisionState {
    damping = List.copyOf(damping);
  }
}
