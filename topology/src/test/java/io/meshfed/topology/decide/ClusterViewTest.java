package io.meshfed.topology.decide;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.state.JsonSerde;
import io.meshfed.topology.state.KnownCluster;
import io.meshfed.topology.state.Stores;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fleet-silence rule on {@link ClusterView} alone (no registry, no driver): silence of every
 * cluster at once is not counted against any of them; silence of one while others are heard is.
 * The same behaviour end to end is FleetSilenceTopologyTest.
 */
class ClusterViewTest {

  private static final Duration TTL = Duration.ofSeconds(30);
  private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
  private static final String A = "east";
  private static final String B = "west";

  private final MockProcessorContext<String, Object> context = new MockProcessorContext<>();
  private KeyValueStore<String, KnownCluster> store;

  @BeforeEach
  void store() {
    store = org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
            org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(Stores.CLUSTERS),
            Serdes.String(), new JsonSerde<>(KnownCluster.class))
        .withLoggingDisabled().build();
    store.init(context.getStateStoreContext(), store);
  }

  @Test
  void everyClusterSilentAtOnceForTwiceTheTtlTurnsNoneStale() {
    ClusterView view = new ClusterView(store, TTL);
    view.onHeartbeat(A, beat(T0), T0);
    view.onHeartbeat(B, beat(T0), T0);
    view.recheckStaleness(T0, c -> false);

    for (int s = 1; s <= 60; s++) {
      assertThat(view.recheckStaleness(T0.plusSeconds(s), c -> false)).isFalse();
    }
    assertThat(view.isStale(A, T0.plusSeconds(60))).isFalse();
    // The bus is back: B is heard first; A has the rest of its TTL.
    view.onHeartbeat(B, beat(T0.plusSeconds(60)), T0.plusSeconds(60));
    assertThat(view.isStale(A, T0.plusSeconds(61))).isFalse();
    assertThat(view.recheckStaleness(T0.plusSeconds(61), c -> false)).isFalse();
  }

  @Test
  void oneClusterSilentWhileAnotherIsHeardTurnsStale() {
    ClusterView view = new ClusterView(store, TTL);
    view.onHeartbeat(A, beat(T0), T0);
    view.onHeartbeat(B, beat(T0), T0);
    view.recheckStaleness(T0, c -> false);
    for (int s = 5; s <= 30; s += 5) {
      view.onHeartbeat(B, beat(T0.plusSeconds(s)), T0.plusSeconds(s));
    }
    assertThat(view.isStale(A, T0.plusSeconds(31))).as("nobody heard after A's TTL yet")
        .isFalse();
    view.onHeartbeat(B, beat(T0.plusSeconds(35)), T0.plusSeconds(35));
    assertThat(view.recheckStaleness(T0.plusSeconds(35), c -> false)).isTrue();
    assertThat(view.isStale(A, T0.plusSeconds(35))).isTrue();
    assertThat(view.isStale(B, T0.plusSeconds(35))).isFalse();
  }

  @Test
  void aRevivedTaskCountsItsOwnDowntimeAsTheFleetsGap() {
    ClusterView before = new ClusterView(store, TTL);
    before.onHeartbeat(A, beat(T0), T0);
    before.onHeartbeat(B, beat(T0.minusSeconds(10)), T0.minusSeconds(10));

    // The task comes back 90 s later (a new processor over the same store).
    ClusterView after = new ClusterView(store, TTL);
    Instant back = T0.plusSeconds(90);
    assertThat(after.isStale(A, back)).isFalse();
    after.recheckStaleness(back, c -> false);
    // B had been silent 10 s when the fleet went quiet: stale 20 s after A is heard again
    // (A beats every 5 s, as agents do; a longer pause of the whole fleet would be a gap too).
    for (int s = 0; s <= 15; s += 5) {
      after.onHeartbeat(A, beat(back.plusSeconds(s)), back.plusSeconds(s));
    }
    assertThat(after.isStale(B, back.plusSeconds(15))).isFalse();
    after.onHeartbeat(A, beat(back.plusSeconds(20)), back.plusSeconds(20));
    after.onHeartbeat(A, beat(back.plusSeconds(25)), back.plusSeconds(25));
    assertThat(after.isStale(B, back.plusSeconds(25))).isTrue();
    assertThat(store.get(B).receivedAt()).as("the excused gap is in the store")
        .isEqualTo(T0.minusSeconds(10).plusSeconds(90));
  }

  private static ClusterHeartbeat beat(Instant at) {
    return (ClusterHeartbeat) Bookinfo.heartbeat(A, at).value;
  }
}
