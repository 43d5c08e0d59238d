package io.meshfed.rules.decision;

import io.meshfed.rules.split.Split;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link EndpointWeights#assign} remembered across the clients of one evaluation. A
 * destination's clients are given the same tier inputs (one list instance, built once) and
 * mostly reach the same split, so the weights — every endpoint of every tier — are computed
 * once per distinct split, not once per client, and every such client's config holds the same
 * tiers instance, which later stages recognise by identity instead of comparing or encoding
 * the endpoints again. The answer is {@code assign}'s: a pure function of its arguments.
 *
 * <p>Use one per evaluation: it keeps what it computed until dropped.
 */
public final class WeightsMemo {

  private final Map<List<TierInput>, Map<Split, List<DesiredConfig.Tier>>> byInputs =
      new IdentityHashMap<>();

  List<DesiredConfig.Tier> assign(List<TierInput> tiers, Split split) {
    return byInputs.computeIfAbsent(tiers, t -> new HashMap<>())
        .computeIfAbsent(split, s -> List.copyOf(EndpointWeights.assign(tiers, s)));
  }
}
