package io.meshfed.topology.decide;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.rules.decision.DecisionState;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.decision.TierDamping;
import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.split.Split;
import io.meshfed.topology.state.ClientDecisions;
import io.meshfed.topology.state.JsonSerde;
import io.meshfed.topology.state.Stores;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Decision states are stored with each distinct config of a destination once: what is read
 * back (by a new task over the same stores) is exactly what was put, and the shared copies
 * follow the clients that point at them.
 */
class DecisionMemoryTest {

  private static final String DEST = "FailoverService/bookinfo/reviews-failover";
  private static final ServiceRef PRIMARY = new ServiceRef("east-1", "bookinfo", "reviews");

  private final MockProcessorContext<String, Object> context = new MockProcessorContext<>();
  private KeyValueStore<String, ClientDecisions> clients;
  private KeyValueStore<String, DesiredConfig> configs;

  @BeforeEach
  void stores() {
    clients = store(Stores.DECISIONS, new JsonSerde<>(ClientDecisions.class));
    configs = store(Stores.DECISION_CONFIGS, new JsonSerde<>(DesiredConfig.class));
  }

  @Test
  void aHundredClientsWithTheSameContentShareOneConfig() {
    DecisionMemory memory = new DecisionMemory(context);
    memory.update(DEST, hundred(7, 40), List.of(), 7);
    assertThat(count(configs)).isEqualTo(1);
    assertThat(count(clients)).as("one record for the destination's clients").isEqualTo(1);
    assertThat(clients.get(DEST).byClient()).hasSize(100);

    Map<String, DecisionState> reloaded = new DecisionMemory(context).states(DEST);
    assertThat(reloaded).hasSize(100);
    for (int c = 0; c < 100; c++) {
      assertThat(reloaded.get(client(c))).isEqualTo(state(client(c), 7, 40));
    }
  }

  @Test
  void everyClientMovingToNewContentOverwritesTheOneConfig() {
    DecisionMemory memory = new DecisionMemory(context);
    memory.update(DEST, hundred(7, 40), List.of(), 7);
    memory.update(DEST, hundred(8, 100), List.of(), 8);
    assertThat(count(configs)).isEqualTo(1);
    assertThat(configs.get(DecisionMemory.slotKey(DEST, 0)).tiers().get(0).loadPercent())
        .isEqualTo(100);
    assertThat(new DecisionMemory(context).states(DEST).get(client(42)))
        .isEqualTo(state(client(42), 8, 100));
  }

  @Test
  void aConfigNobodyPointsAtIsReusedOrDeleted() {
    DecisionMemory memory = new DecisionMemory(context);
    memory.update(DEST, Map.of("a", state("a", 1, 100)), List.of(), 1);
    memory.update(DEST, Map.of("b", state("b", 2, 70)), List.of(), 2);
    assertThat(count(configs)).isEqualTo(2);

    memory.update(DEST, Map.of("a", state("a", 3, 70)), List.of(), 3); // slot 0 is unused now
    assertThat(count(configs)).isEqualTo(1);
    assertThat(configs.get(DecisionMemory.slotKey(DEST, 0))).isNull();

    memory.update(DEST, Map.of("b", state("b", 4, 10)), List.of(), 4); // takes the free number 0
    assertThat(count(configs)).isEqualTo(2);
    assertThat(configs.get(DecisionMemory.slotKey(DEST, 0))).isNotNull();
    assertThat(new DecisionMemory(context).states(DEST))
        .containsExactlyInAnyOrderEntriesOf(Map.of("a", state("a", 3, 70),
            "b", state("b", 4, 10)));

    memory.update(DEST, Map.of(), List.of("a", "b"), 6);
    assertThat(count(configs)).isZero();
    assertThat(clients.get(DEST).byClient()).as("no clients left").isEmpty();
    assertThat(new DecisionMemory(context).states(DEST)).isEmpty();
    assertThat(new DecisionMemory(context).lastEpoch(DEST))
        .as("the epoch outlives the clients, so a destination that comes back goes on from it")
        .isEqualTo(6);
  }

  @Test
  void aStateKeptWithNewDampingMemoryRewritesOnlyTheClient() {
    DecisionMemory memory = new DecisionMemory(context);
    memory.update(DEST, Map.of("a", state("a", 5, 100)), List.of(), 5);
    DecisionState before = state("a", 5, 100);
    DecisionState damped = new DecisionState(before.epoch(), before.split(), before.config(),
        List.of(new TierDamping(List.of(PRIMARY), 1, 3, Instant.parse("2026-12-01T00:00:00Z"))),
        before.flaps() + 1);
    memory.update(DEST, Map.of("a", damped), List.of(), 5);
    assertThat(count(configs)).isEqualTo(1);
    assertThat(new DecisionMemory(context).states(DEST).get("a")).isEqualTo(damped);
  }

  @Test
  void aRecordWrittenBeforeTheEpochWasCarriedReadsAsEpochZeroSoTheFloorDecides() {
    byte[] before = "{\"byClient\":{}}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    ClientDecisions old = new JsonSerde<>(ClientDecisions.class).deserializer()
        .deserialize("decide-decisions-by-destination-changelog", before);
    assertThat(old.byClient()).isEmpty();
    assertThat(old.lastEpoch()).isZero();
  }

  private static Map<String, DecisionState> hundred(long epoch, int load) {
    Map<String, DecisionState> states = new java.util.HashMap<>();
    for (int c = 0; c < 100; c++) {
      states.put(client(c), state(client(c), epoch, load));
    }
    return states;
  }

  private static String client(int c) {
    return String.format("client-%03d", c);
  }

  /** A decision of {@code epoch} putting {@code load} % on tier 0 and the rest on tier 1. */
  private static DecisionState state(String client, long epoch, int load) {
    List<DesiredConfig.WeightedEndpoint> endpoints = new ArrayList<>();
    for (int e = 0; e < 9; e++) {
      endpoints.add(new DesiredConfig.WeightedEndpoint("10.0.0." + e, 8080, load * 1000 + e,
          PRIMARY, "zone-" + (e % 3), "region-1", EndpointHealth.HEALTHY));
    }
    DesiredConfig config = new DesiredConfig(ResourceId.parse(DEST), client,
        List.of("reviews.global"), List.of(new DesiredConfig.Port(9080, "HTTP", 9080)),
        List.of(new DesiredConfig.Tier(0, load, List.of(PRIMARY), endpoints)), 0,
        OutlierSettings.DEFAULTS, epoch, 1);
    return new DecisionState(epoch, new Split(0, List.of(load, 100 - load), false), config,
        List.of(), 0);
  }

  private <V> KeyValueStore<String, V> store(String name, JsonSerde<V> serde) {
    KeyValueStore<String, V> store = org.apache.kafka.streams.state.Stores
        .keyValueStoreBuilder(org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(name),
            Serdes.String(), serde)
        .withLoggingDisabled().build();
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
    return store;
  }

  private static int count(KeyValueStore<String, ?> store) {
    int n = 0;
    try (KeyValueIterator<String, ?> all = store.all()) {
      while (all.hasNext()) {
        all.next();
        n++;
      }
    }
    return n;
  }
}
