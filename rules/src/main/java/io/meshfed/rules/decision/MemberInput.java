package io.meshfed.rules.decision;

import io.meshfed.rules.model.ServiceRef;
import java.util.Comparator;
import java.util.List;

/**
 * A member of a tier with its endpoints.
 *
 * @param ref the backing service
 * @param weight relative weight inside the tier, at least 1
 * @param endpoints its endpoints; sorted by address and port on construction, so arrival order
 *     never changes a decision
 */
public record MemberInput(ServiceRef ref, int weight, List<EndpointInput> endpoints) {

  public MemberInput {
    if (weight < 1) {
      throw new IllegalArgumentException("member weight " + weight + " must be >= 1");
    }
    endpoints = endpoints.stream()
        .sorted(Comparator.comparing(EndpointInput::address).thenComparingInt(EndpointInput::port))
        .toList();
  }
}
