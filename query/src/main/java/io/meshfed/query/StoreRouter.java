package io.meshfed.query;

import io.meshfed.topology.decide.DestinationPartitioner;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Where a destination's state lives and how to read it. The decision stage partitions by
 * destination with {@link DestinationPartitioner}; {@code queryMetadataForKey} is asked with the
 * same function, so the answer names the instance that owns the key. Reads of the local active
 * store are "fresh"; during a rebalance a local standby may answer, flagged stale.
 */
public final class StoreRouter {

  /** Where a key lives. */
  public record Location(HostInfo active, Set<HostInfo> standbys, int partition) {}

  /**
   * A value read from a store, whether it came from a standby, and how many changelog records
   * that standby is behind (0 for the active copy, -1 if unknown).
   */
  public record Read<V>(Optional<V> value, boolean stale, long lag) {
    Read(Optional<V> value, boolean stale) {
      this(value, stale, 0);
    }
  }

  private final KafkaStreams streams;
  private final HostInfo self;

  public StoreRouter(KafkaStreams streams, HostInfo self) {
    this.streams = streams;
    this.self = self;
  }

  public HostInfo self() {
    return self;
  }

  /** The owner of {@code destinationKey} in {@code store}, or 503 while nobody owns it. */
  public Location locate(String store, String destinationKey) {
    KeyQueryMetadata metadata;
    try {
      metadata = streams.queryMetadataForKey(store, destinationKey,
          DestinationPartitioner.<Object>byKey());
    } catch (IllegalStateException e) {
      throw QueryException.unavailable("the topology is not running: " + e.getMessage());
    }
    if (metadata == null || metadata.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
      throw QueryException.unavailable("no instance owns " + destinationKey
          + " right now (rebalancing)");
    }
    return new Location(metadata.activeHost(), metadata.standbyHosts(), metadata.partition());
  }

  public boolean isLocal(HostInfo host) {
    return self.equals(host);
  }

  /** Reads {@code key} from the local copy of {@code store}'s partition. */
  public <V> Read<V> readLocal(String store, int partition, String key) {
    try {
      ReadOnlyKeyValueStore<String, V> active = streams.store(StoreQueryParameters
          .fromNameAndType(store, QueryableStoreTypes.<String, V>keyValueStore())
          .withPartition(partition));
      return new Read<>(Optional.ofNullable(active.get(key)), false);
    } catch (InvalidStateStoreException notActiveHere) {
      try {
        ReadOnlyKeyValueStore<String, V> standby = streams.store(StoreQueryParameters
            .fromNameAndType(store, QueryableStoreTypes.<String, V>keyValueStore())
            .withPartition(partition).enableStaleStores());
        return new Read<>(Optional.ofNullable(standby.get(key)), true, lag(store, partition));
      } catch (InvalidStateStoreException none) {
        throw QueryException.unavailable("store " + store + " partition " + partition
            + " is not queryable here right now: " + none.getMessage());
      }
    }
  }

  private long lag(String store, int partition) {
    try {
      var info = streams.allLocalStorePartitionLags().getOrDefault(store, java.util.Map.of())
          .get(partition);
      return info == null ? -1 : info.offsetLag();
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /** Entries of {@code store}'s partition whose keys start with {@code prefix}, in key order. */
  public <V> Read<List<V>> prefixLocal(String store, int partition, String prefix) {
    List<V> out = new ArrayList<>();
    try {
      ReadOnlyKeyValueStore<String, V> active = streams.store(StoreQueryParameters
          .fromNameAndType(store, QueryableStoreTypes.<String, V>keyValueStore())
          .withPartition(partition));
      try (var it = active.prefixScan(prefix,
          new org.apache.kafka.common.serialization.StringSerializer())) {
        it.forEachRemaining(kv -> out.add(kv.value));
      }
      return new Read<>(Optional.of(out), false);
    } catch (InvalidStateStoreException e) {
      throw QueryException.unavailable("store " + store + " partition " + partition
          + " is not queryable here right now: " + e.getMessage());
    }
  }

  /** Every entry of {@code store} this instance holds as active, mapped. */
  public <V, R> List<R> scanLocal(String store, Function<V, R> map) {
    List<R> out = new ArrayList<>();
    try {
      ReadOnlyKeyValueStore<String, V> all = streams.store(StoreQueryParameters
          .fromNameAndType(store, QueryableStoreTypes.<String, V>keyValueStore()));
      try (var it = all.all()) {
        it.forEachRemaining(kv -> out.add(map.apply(kv.value)));
      }
    } catch (InvalidStateStoreException e) {
      throw QueryException.unavailable("store " + store + " is not queryable: " + e.getMessage());
    }
    return out;
  }

  /** Every instance of the application (for list endpoints that gather). */
  public List<HostInfo> instances() {
    return streams.metadataForAllStreamsClients().stream().map(m -> m.hostInfo()).distinct()
        .toList();
  }
}
