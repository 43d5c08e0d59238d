package io.meshfed.rules.tiers;

import io.meshfed.rules.membership.Member;
import java.util.List;

/**
 * One failover tier as a client cluster sees it: members with their relative weight.
 *
 * @param index position; 0 is the most preferred
 * @param members members and weights, in a stable order
 */
public record Tier(int index, List<WeightedMember> members) {

  /** A member and its relative weight inside the tier (default 1). */
  public record WeightedMember(Member member, int weight) {}

  public Tier {
    members = List.copyOf(members);
  }
}
