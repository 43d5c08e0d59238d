package io.meshfed.rules.status;

import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.Meta;
import io.meshfed.rules.model.Resource;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.Selector;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * The destinations a FailoverPolicy or OutlierDetectionPolicy selects, as its status lists them
 * (Gloo Mesh: a policy's report names the destinations it selects; the Service Mesh Hub guide's
 * TrafficPolicy status lists its trafficTargets). Selection is the same {@link Selector} match
 * the decisions use; which of several selecting policies wins a destination is on the
 * destination's status ({@code appliedDestinationPolicies} and a warning), not here.
 *
 * <p><b>Bounded.</b> The list holds the first {@link #LISTED_LIMIT} destinations in id order and
 * {@code total} counts them all. A policy selecting by namespace or with an empty selector can
 * select every destination (10,000 at the target scale, ~60 bytes each): its status is one Kafka
 * record (refused above 1 MiB) and one status-subresource write per change, so an unbounded list
 * would make status size and churn grow with the fleet.
 *
 * @param listed the first {@link #LISTED_LIMIT} selected destinations, in {@link ResourceId}
 *     order
 * @param total how many destinations the policy selects
 */
public record PolicyReach(List<ResourceId> listed, int total) {

  /** At most this many destinations are named; the count covers the rest. */
  public static final int LISTED_LIMIT = 100;

  /** Selects nothing (and what an INVALID policy reports: it applies to nothing). */
  public static final PolicyReach NONE = new PolicyReach(List.of(), 0);

  public PolicyReach {
    listed = List.copyOf(listed);
    if (listed.size() > LISTED_LIMIT || total < listed.size()) {
      throw new IllegalArgumentException("reach lists " + listed.size() + " of " + total);
    }
  }

  /** Bounds {@code selected} (any order, no duplicates needed) to the listed form. */
  public static PolicyReach of(Collection<ResourceId> selected) {
    TreeSet<ResourceId> sorted = new TreeSet<>(selected);
    return new PolicyReach(sorted.stream().limit(LISTED_LIMIT).toList(), sorted.size());
  }

  /** The destination selectors of a FailoverPolicy or OutlierDetectionPolicy; else none. */
  public static List<Selector> selectors(Resource policy) {
    if (policy instanceof Resource.FailoverPolicy fp) {
      return fp.spec().destinations();
    }
    if (policy instanceof Resource.OutlierDetectionPolicy od) {
      return od.spec().destinations();
    }
    return List.of();
  }

  /**
   * Whether {@code policy} selects the destination: any of its selectors matches. A
   * FailoverPolicy never selects a FailoverService, whose tiers are its own backingServices
   * (the decisions do not consult FailoverPolicies for it), so it is not listed there.
   */
  public static boolean selects(Resource policy, Meta destination) {
    if (policy instanceof Resource.FailoverPolicy
        && destination.id().kind() == Kind.FailoverService) {
      return false;
    }
    return selectors(policy).stream().anyMatch(s -> s.matches(destination));
  }

  /** Whether some selected destinations are not listed. */
  public boolean truncated() {
    return total > listed.size();
  }
}
