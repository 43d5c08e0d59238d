package io.meshfed.rules.decision;

import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.split.TierHealth;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/** A tier's members with their endpoints; members sorted by reference on construction. */
public record TierInput(int index, List<MemberInput> members) {

  public TierInput {
    members = members.stream().sorted(Comparator.comparing(MemberInput::ref)).toList();
  }

  /** Endpoint counts by health. */
  public TierHealth health() {
    int healthy = 0;
    int ejected = 0;
    int unknown = 0;
    int total = 0;
    for (MemberInput member : members) {
      for (EndpointInput endpoint : member.endpoints()) {
        total++;
        switch (endpoint.health()) {
          case HEALTHY -> healthy++;
          case EJECTED -> ejected++;
          case STALE -> unknown++;
          case UNHEALTHY -> { }
        }
      }
    }
    return new TierHealth(index, healthy, ejected, unknown, total);
  }

  public List<ServiceRef> memberRefs() {
    return members.stream().map(MemberInput::ref).toList();
  }

  /** Members as a person reads them: {@code a/b/c, d/e/f}, or {@code (no members)}. */
  public String describeMembers() {
    return members.isEmpty() ? "(no members)"
        : members.stream().map(m -> m.ref().toString()).collect(Collectors.joining(", "));
  }

  boolean hasHealth(EndpointHealth health) {
    return members.stream().flatMap(m -> m.endpoints().stream())
        .anyMatch(e -> e.health() == health);
  }
}
