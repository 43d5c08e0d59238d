package io.meshfed.topology.decide;

import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.HealthOutcome;
import io.meshfed.avro.HealthSignal;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.avro.internal.MemberUpdate;
import io.meshfed.rules.health.OutlierDetector;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.health.OutlierState;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.topology.RoutingKeys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The members of the destinations a decide task owns: each member service's snapshot and
 * endpoints as the select stage sent them, and the outlier state of its endpoints. Keys are
 * {@code destination|cluster/ns/name} (and {@code ...|address:port} for outlier state), so one
 * prefix scan reads what an evaluation needs.
 *
 * <p>One reason to change: how member data and outlier state are stored.
 */
final class MemberTable {

  private static final StringSerializer KEYS = new StringSerializer();

  private final KeyValueStore<String, ServiceSnapshot> services;
  private final KeyValueStore<String, EndpointSnapshot> endpoints;
  private final KeyValueStore<String, OutlierState> outliers;

  MemberTable(KeyValueStore<String, ServiceSnapshot> services,
      KeyValueStore<String, EndpointSnapshot> endpoints,
      KeyValueStore<String, OutlierState> outliers) {
    this.services = services;
    this.endpoints = endpoints;
    this.outliers = outliers;
  }

  /**
   * What an evaluation reads of a destination's members, in one pass.
   *
   * @param services member snapshots in key order
   * @param endpoints each member's endpoints (null: none reported)
   * @param outliers outlier state by {@code cluster/ns/name|address:port}
   */
  record Members(Map<ServiceRef, ServiceSnapshot> services,
      Map<ServiceRef, EndpointSnapshot> endpoints, Map<String, OutlierState> outliers) {

    OutlierState outlier(ServiceRef member, String address, int port) {
      return outliers.isEmpty() ? null
          : outliers.get(RoutingKeys.join(RoutingKeys.service(member), address + ":" + port));
    }

    /** The earliest time an ejection of one of the members' endpoints starts or ends. */
    Instant nextOutlierChange(Instant now) {
      Instant next = null;
      for (OutlierState state : outliers.values()) {
        Instant at = OutlierDetector.nextChangeAt(state, now);
        if (at != null && (next == null || at.isBefore(next))) {
          next = at;
        }
      }
      return next;
    }
  }

  Members read(String destination) {
    Map<ServiceRef, ServiceSnapshot> snapshots = new LinkedHashMap<>();
    Map<ServiceRef, EndpointSnapshot> byRef = new HashMap<>();
    try (KeyValueIterator<String, ServiceSnapshot> it =
        services.prefixScan(RoutingKeys.prefix(destination), KEYS)) {
      it.forEachRemaining(kv -> {
        ServiceRef ref = RoutingKeys.parseService(RoutingKeys.rest(kv.key));
        snapshots.put(ref, kv.value);
        byRef.put(ref, endpoints.get(kv.key));
      });
    }
    Map<String, OutlierState> states = new HashMap<>();
    try (KeyValueIterator<String, OutlierState> it =
        outliers.prefixScan(RoutingKeys.prefix(destination), KEYS)) {
      it.forEachRemaining(kv -> states.put(RoutingKeys.rest(kv.key), kv.value));
    }
    return new Members(snapshots, byRef, states);
  }

  /**
   * Applies one update from the select stage; true when anything a decision depends on changed.
   * An unchanged snapshot (a resync) is neither written nor evaluated.
   *
   * @param settings the destination's outlier detection settings, asked for only by a health
   *     signal; null when the destination is unknown
   */
  boolean apply(String destination, MemberUpdate update, Supplier<OutlierSettings> settings,
      Instant now) {
    ServiceRef ref = AvroMapping.serviceRef(update.getMember());
    String member = RoutingKeys.join(destination, RoutingKeys.service(ref));
    if (update.getRemoved()) {
      services.delete(member);
      endpoints.delete(member);
      deletePrefix(outliers, RoutingKeys.prefix(member));
      return true;
    }
    if (update.getHealth() != null) {
      return applyHealth(member, update.getHealth(), settings, now);
    }
    boolean changed = false;
    // No service: an endpoints update (the select stage sends the service only when it makes
    // the service a member or the service changed; it is stored since then).
    if (update.getService() != null
        && !Objects.equals(services.get(member), update.getService())) {
      services.put(member, update.getService());
      changed = true;
    }
    EndpointSnapshot before = endpoints.get(member);
    if (!Objects.equals(before, update.getEndpoints())) {
      if (update.getEndpoints() == null) {
        endpoints.delete(member);
      } else {
        endpoints.put(member, update.getEndpoints());
      }
      changed = true;
    }
    return changed;
  }

  /** Outlier detection; true when the endpoint's ejection state changed. */
  private boolean applyHealth(String member, HealthSignal signal,
      Supplier<OutlierSettings> settingsOf, Instant now) {
    OutlierSettings settings = signal.getOutcome() == HealthOutcome.UNKNOWN_OUTCOME ? null
        : settingsOf.get();
    if (settings == null) {
      return false;
    }
    String key = RoutingKeys.join(member, signal.getAddress() + ":" + signal.getPort());
    OutlierState before = outliers.get(key);
    if (before == null) {
      before = OutlierState.CLEAN;
    }
    OutlierState after;
    if (signal.getOutcome() == HealthOutcome.SUCCESS) {
      after = OutlierDetector.onSuccess(before, signal.getTime());
    } else {
      int total = AvroMapping.endpoints(endpoints.get(member)).size();
      int ejected = 0;
      try (KeyValueIterator<String, OutlierState> it =
          outliers.prefixScan(RoutingKeys.prefix(member), KEYS)) {
        while (it.hasNext()) {
          if (it.next().value.isEjected(now)) {
            ejected++;
          }
        }
      }
      after = OutlierDetector.onError(before, signal.getTime(), settings,
          OutlierDetector.mayEject(ejected, Math.max(total, 1), settings.maxEjectionPercent()));
    }
    outliers.put(key, after);
    return before.isEjected(now) != after.isEjected(now);
  }

  private static <V> void deletePrefix(KeyValueStore<String, V> store, String prefix) {
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, V> it = store.prefixScan(prefix, KEYS)) {
      it.forEachRemaining(kv -> keys.add(kv.key));
    }
    keys.forEach(store::delete);
  }
}
