package io.meshfed.destination;

import io.meshfed.avro.FederatedDestination;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * Every client cluster's federated destinations, as last written to its config topic, and the
 * subscriptions to wake when one of a client's destinations changes. A change wakes all of that
 * client's subscriptions; each recomputes its answer and sends only a difference, so a wake-up
 * that does not concern it costs a lookup and sends nothing.
 */
public final class DestinationIndex {

  private final Map<String, Map<String, FederatedDestination>> byClient =
      new ConcurrentHashMap<>();
  private final Map<String, Set<Runnable>> listeners = new ConcurrentHashMap<>();

  /** Records the destination under its config-topic key; null removes it. */
  public void put(String clientCluster, String key, FederatedDestination destination) {
    Map<String, FederatedDestination> destinations =
        byClient.computeIfAbsent(clientCluster, c -> new ConcurrentHashMap<>());
    FederatedDestination previous = destination == null ? destinations.remove(key)
        : destinations.put(key, destination);
    if (previous != null || destination != null) {
      listeners.getOrDefault(clientCluster, Set.of()).forEach(Runnable::run);
    }
  }

  /** The client's destinations right now. */
  public List<FederatedDestination> destinations(String clientCluster) {
    return List.copyOf(byClient.getOrDefault(clientCluster, Map.of()).values());
  }

  /** Calls {@code onChange} after every change of the client's destinations. */
  public Runnable subscribe(String clientCluster, Runnable onChange) {
    listeners.computeIfAbsent(clientCluster, c -> new CopyOnWriteArraySet<>()).add(onChange);
    return () -> listeners.getOrDefault(clientCluster, Set.of()).remove(onChange);
  }

  /** Open subscriptions, for metrics and tests. */
  public int subscriptions() {
    return listeners.values().stream().mapToInt(Set::size).sum();
  }
}
