package io.meshfed.rules.membership;

import java.util.List;

/** Members selected for a destination, in a stable order, and the warnings selection raised. */
public record MembershipResult(List<Member> members, List<String> warnings) {
  public MembershipResult {
    members = List.copyOf(members);
    warnings = List.copyOf(warnings);
  }
}
