package io.meshfed.topology.decide;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which destinations claim which hostname, for the spec-valid destinations of the replicated
 * destination store. Lets a task find a destination's rivals without scanning every destination;
 * the verdict itself is {@link io.meshfed.rules.validation.HostnameClaims}'s.
 */
final class HostnameIndex {

  private final Map<String, Set<String>> claimants = new HashMap<>();
  private final Map<String, List<String>> hostsOf = new HashMap<>();

  void put(String destinationKey, List<String> hosts) {
    remove(destinationKey);
    hostsOf.put(destinationKey, List.copyOf(hosts));
    hosts.forEach(h -> claimants.computeIfAbsent(h, k -> new TreeSet<>()).add(destinationKey));
  }

  /** Removes a destination; returns the hosts it claimed. */
  List<String> remove(String destinationKey) {
    List<String> hosts = hostsOf.remove(destinationKey);
    if (hosts == null) {
      return List.of();
    }
    for (String host : hosts) {
      Set<String> set = claimants.get(host);
      if (set != null) {
        set.remove(destinationKey);
        if (set.isEmpty()) {
          claimants.remove(host);
        }
      }
    }
    return hosts;
  }

  /** Every destination claiming any of {@code hosts}. */
  Set<String> claimantsOf(List<String> hosts) {
    Set<String> out = new TreeSet<>();
    hosts.forEach(h -> out.addAll(claimants.getOrDefault(h, Set.of())));
    return out;
  }

  List<String> hostsOf(String destinationKey) {
    return hostsOf.getOrDefault(destinationKey, List.of());
  }
}
