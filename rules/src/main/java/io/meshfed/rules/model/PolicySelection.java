package io.meshfed.rules.model;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Which policy of a kind applies to a destination: of the valid policies whose selectors match
 * it, the oldest (creationTimestamp, then id). When several match, the others are named in a
 * warning, so the choice is visible and never depends on arrival order.
 */
public final class PolicySelection {

  /** The policy that applies, if any, and the warning about the ones that do not. */
  public record Selected<P extends Resource>(Optional<P> policy, List<String> warnings) {
    public Selected {
      warnings = List.copyOf(warnings);
    }
  }

  private PolicySelection() {}

  public static <P extends Resource> Selected<P> forDestination(Meta destination,
      Collection<P> validPolicies, Function<P, List<Selector>> selectors) {
    List<P> matching = validPolicies.stream()
        .filter(p -> selectors.apply(p).stream().anyMatch(s -> s.matches(destination)))
        .sorted(Comparator.comparing(Resource::meta, Meta.OLDEST_FIRST))
        .toList();
    if (matching.size() <= 1) {
      return new Selected<>(matching.stream().findFirst(), List.of());
    }
    P winner = matching.get(0);
    return new Selected<>(Optional.of(winner), List.of(matching.size() + " policies of kind "
        + winner.id().kind() + " select this destination ("
        + matching.stream().map(p -> p.id().toString()).collect(Collectors.joining(", "))
        + "); the oldest, " + winner.id() + ", applies"));
  }
}
