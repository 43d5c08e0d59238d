package io.meshfed.rules.decision;

import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.split.Split;
import io.meshfed.rules.split.TierHealth;
import java.time.Instant;
import java.util.List;

/**
 * One entry of the decision log.
 *
 * @param destination the destination
 * @param clientCluster the client cluster
 * @param epoch one more than the previous decision's
 * @param before split before, or null for the first decision
 * @param after split after
 * @param reasonCode machine-readable reason
 * @param reason the reason as a sentence
 * @param inputs tier health that led to it (raw, before damping)
 * @param generation destination generation
 * @param time when it was decided
 * @param config the config each client cluster applies as a result
 */
public record Decision(ResourceId destination, String clientCluster, long epoch, Split before,
    Split after, ReasonCode reasonCode, String reason, List<TierHealth> inputs, long generation,
    Instant time, DesiredConfig config) {

  public Decision {
    inputs = List.copyOf(inputs);
  }
}
