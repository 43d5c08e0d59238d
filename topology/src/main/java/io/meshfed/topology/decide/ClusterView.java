package io.meshfed.topology.decide;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.rules.health.HealthRules;
import io.meshfed.rules.model.ClusterInfo;
import io.meshfed.topology.state.KnownCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * What the decide task knows of every cluster (heartbeats arrive broadcast to every task), and
 * which of them are stale. Keeps a deserialized view of the store (JSON parsing of cluster state
 * was once the largest cost of an evaluation) and the {@link ClusterInfo} map the rules take,
 * rebuilt only when a cluster changes — not per evaluation. Silence the whole fleet shares is
 * not counted against any cluster ({@link FleetSilence}): a broker outage or the topology's own
 * downtime is not an outage of every cluster.
 *
 * <p>One reason to change: how cluster liveness and locality are tracked.
 */
final class ClusterView {

  private final KeyValueStore<String, KnownCluster> store;
  private final Duration ttl;
  private final Map<String, KnownCluster> known = new TreeMap<>();
  private final FleetSilence fleet;
  private Map<String, ClusterInfo> infos;
  /** The clusters found stale at the last check; null before the first. */
  private Set<String> stale;

  ClusterView(KeyValueStore<String, KnownCluster> store, Duration ttl) {
    this.store = store;
    this.ttl = ttl;
    try (KeyValueIterator<String, KnownCluster> all = store.all()) {
      all.forEachRemaining(kv -> known.put(kv.key, kv.value));
    }
    this.fleet = new FleetSilence(ttl, known.values().stream().map(KnownCluster::receivedAt)
        .filter(Objects::nonNull).max(Instant::compareTo).orElse(null));
  }

  /**
   * Records a heartbeat. True when the decisions of every destination may change: the cluster
   * is new, came back from stale, or changed its region, zones or labels. A routine heartbeat of
   * a live cluster wakes nothing.
   */
  boolean onHeartbeat(String cluster, ClusterHeartbeat heartbeat, Instant now) {
    excuse(fleet.gapEndingAt(now), now);
    fleet.heard(now);
    KnownCluster previous = known.get(cluster);
    if (previous != null && heartbeat.getTime().isBefore(previous.sentAt())) {
      return false; // out of order
    }
    KnownCluster next = new KnownCluster(cluster, heartbeat.getAgentVersion(),
        heartbeat.getRegion(), heartbeat.getZones(), heartbeat.getLabels(),
        heartbeat.getMeshKind().name(), heartbeat.getTime(), now, heartbeat.getStartedAt(),
        heartbeat.getRestartEpoch());
    store.put(cluster, next);
    known.put(cluster, next);
    boolean wasStale = previous == null
        || HealthRules.isStale(previous.toClusterInfo(), now, ttl);
    boolean localityChanged = previous != null && (!Objects.equals(previous.region(),
        next.region()) || !previous.zones().equals(next.zones())
        || !previous.labels().equals(next.labels()));
    infos = null;
    if (wasStale || localityChanged) {
      if (stale != null) {
        stale.remove(cluster);
      }
      return true;
    }
    return false;
  }

  /**
   * The first heartbeat after a fleet-wide gap: the gap is excused for every cluster — its
   * silence resumes counting where it stood when the fleet fell silent. Written to the store
   * ({@code receivedAt} becomes "counted as heard at"), so a task revived after the outage does
   * not count the gap again.
   */
  private void excuse(Duration gap, Instant now) {
    if (gap.isZero()) {
      return;
    }
    for (String name : List.copyOf(known.keySet())) {
      KnownCluster stored = store.get(name);
      if (stored == null || stored.receivedAt() == null) {
        continue;
      }
      Instant shifted = stored.receivedAt().plus(gap);
      KnownCluster excused = stored.heardAt(shifted.isAfter(now) ? now : shifted);
      store.put(name, excused);
      known.put(name, excused);
    }
    infos = null;
  }

  /**
   * Whether the cluster is stale at {@code now}: unknown, or silent for longer than the TTL,
   * counting its silence only up to when the whole fleet fell silent while the fleet still is.
   */
  boolean isStale(String cluster, Instant now) {
    KnownCluster c = known.get(cluster);
    return HealthRules.isStale(c == null ? null : c.toClusterInfo(), fleet.countedUntil(now),
        ttl);
  }

  /**
   * Re-judges staleness; true when the set of stale clusters changed since the last check.
   * A cluster whose events topic still holds unread records ({@code behind}) is not stale: its
   * heartbeats may be among them (a backlog is not silence), so it counts as heard from now, in
   * this view only, until the backlog is read. While the whole fleet is silent, silence counts
   * only up to when it fell silent ({@link FleetSilence}).
   */
  boolean recheckStaleness(Instant now, Predicate<String> behind) {
    Instant countedUntil = fleet.countedUntil(now);
    Set<String> staleNow = new HashSet<>();
    for (var entry : Map.copyOf(known).entrySet()) {
      String name = entry.getKey();
      KnownCluster cluster = entry.getValue();
      if (HealthRules.isStale(cluster.toClusterInfo(), countedUntil, ttl)) {
        if (behind.test(name)) {
          known.put(name, cluster.heardAt(now));
          infos = null;
          continue;
        }
        staleNow.add(name);
      }
    }
    boolean changed = stale != null && !stale.equals(staleNow);
    stale = staleNow;
    return changed;
  }

  /** The cluster agent's restart epoch from its last heartbeat, or -1 (unknown). */
  long restartEpoch(String cluster) {
    KnownCluster c = known.get(cluster);
    return c == null ? -1 : c.restartEpoch();
  }

  /** Every known cluster as the rules see it, by name (sorted). */
  Map<String, ClusterInfo> infos() {
    if (infos == null) {
      Map<String, ClusterInfo> built = new TreeMap<>();
      known.forEach((name, cluster) -> built.put(name, cluster.toClusterInfo()));
      infos = Collections.unmodifiableMap(built);
    }
    return infos;
  }
}
