package io.meshfed.topology.state;

import io.meshfed.rules.decision.DecisionState;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.decision.TierDamping;
import io.meshfed.rules.split.Split;
import java.util.List;

/**
 * What the decide stage remembers of one (destination, client cluster): the rules'
 * {@link DecisionState} with its config replaced by a reference to the destination's shared
 * copy ({@link Stores#DECISION_CONFIGS}).
 *
 * <p>Why: a decision state carries the whole config it decided — every endpoint with its
 * weight, zone and health, ~200 bytes of JSON each — and every client cluster of a
 * FailoverService is sent the same content. Stored whole per client, a zone outage over 1,000
 * destinations visible to 100 clusters wrote 1.46 GB of decision-state changelog in one
 * benchmark section, three times the config topics themselves. Stored once per distinct content,
 * a client's record is its epoch, split and damping memory.
 *
 * @param config the slot of the destination's shared config
 * @param configEpoch the epoch the client's config carries
 */
public record ClientDecision(long epoch, Split split, int config, long configEpoch,
    List<TierDamping> damping, long flaps) {

  public ClientDecision {
    damping = List.copyOf(damping);
  }

  /** A config as stored once for every client it was decided for: no client, no epoch. */
  public static DesiredConfig shared(DesiredConfig config) {
    return new DesiredConfig(config.destination(), null, config.hosts(), config.ports(),
        config.tiers(), config.activeTier(), config.outlier(), 0, config.generation());
  }

  /** The rules' state of {@code client}, given the shared config this record points at. */
  public DecisionState state(String client, DesiredConfig shared) {
    return new DecisionState(epoch, split, new DesiredConfig(shared.destination(), client,
        shared.hosts(), shared.ports(), shared.tiers(), shared.activeTier(), shared.outlier(),
        configEpoch, shared.generation()), damping, flaps);
  }
}
