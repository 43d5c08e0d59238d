package io.meshfed.rules.validation;

import io.meshfed.rules.model.Meta;
import io.meshfed.rules.model.Resource.Destination;
import io.meshfed.rules.model.ResourceId;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hostnames are unique across destinations: the oldest destination (creationTimestamp, then
 * kind/namespace/name) keeps a contested hostname and every newer claimant is INVALID with a
 * conflict reason. The answer depends only on the set of destinations, not on arrival order.
 */
public final class HostnameClaims {

  private HostnameClaims() {}

  /** Conflict errors of each losing destination; winners and unopposed destinations are absent. */
  public static Map<ResourceId, Findings> conflicts(Collection<? extends Destination> destinations) {
    List<? extends Destination> oldestFirst = destinations.stream()
        .sorted(Comparator.comparing(Destination::meta, Meta.OLDEST_FIRST)).toList();
    Map<String, Destination> owner = new HashMap<>();
    Map<ResourceId, Findings> losers = new LinkedHashMap<>();
    for (Destination destination : oldestFirst) {
      for (String host : destination.hostnames()) {
        if (host == null) {
          continue;
        }
        Destination holder = owner.putIfAbsent(host, destination);
        if (holder != null && !holder.id().equals(destination.id())) {
          losers.merge(destination.id(), Findings.error("hostname \"" + host
              + "\" is already claimed by " + holder.id() + " (created "
              + holder.meta().created() + "); the oldest destination keeps a hostname"),
              Findings::plus);
        }
      }
    }
    return losers;
  }
}
