package io.meshfed.topology.decide;

import io.meshfed.rules.decision.DecisionState;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.topology.RoutingKeys;
import io.meshfed.topology.state.ClientDecision;
import io.meshfed.topology.state.Stores;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The rules' decision state per (destination, client cluster), stored so that each distinct
 * config of a destination is written once however many clients it was decided for (see
 * {@link ClientDecision} for why). A client's record points at a numbered slot of its
 * destination's configs; a slot nobody points at any more is deleted.
 *
 * <p>Reads go through a view per destination, loaded on first use by two prefix scans and kept
 * beside the stores (a revived or migrated task gets a new processor and so a new view).
 */
final class DecisionMemory {

  private static final StringSerializer KEYS = new StringSerializer();

  private final KeyValueStore<String, ClientDecision> clients;
  private final KeyValueStore<String, DesiredConfig> configs;
  private final Map<String, Destination> view = new HashMap<>();

  /** One destination: states by client, and which slot holds which shared config. */
  private static final class Destination {
    final Map<String, DecisionState> states = new HashMap<>();
    final Map<String, Integer> slotOf = new HashMap<>();
    final Map<Integer, DesiredConfig> slots = new HashMap<>();
    final Map<DesiredConfig, Integer> slotByContent = new HashMap<>();
    final Map<Integer, Integer> references = new HashMap<>();
  }

  DecisionMemory(ProcessorContext<String, ?> context) {
    this.clients = context.getStateStore(Stores.DECISIONS);
    this.configs = context.getStateStore(Stores.DECISION_CONFIGS);
  }

  /** The destination's states by client (read-only to callers; change them here). */
  Map<String, DecisionState> states(String destination) {
    return load(destination).states;
  }

  void put(String destination, String client, DecisionState state) {
    Destination d = load(destination);
    DesiredConfig shared = ClientDecision.shared(state.config());
    Integer slot = d.slotByContent.get(shared);
    if (slot == null) {
      slot = 0;
      while (d.slots.containsKey(slot)) {
        slot++;
      }
      configs.put(slotKey(destination, slot), shared);
      d.slots.put(slot, shared);
      d.slotByContent.put(shared, slot);
    }
    Integer previous = d.slotOf.put(client, slot);
    d.references.merge(slot, 1, Integer::sum);
    clients.put(RoutingKeys.join(destination, client), new ClientDecision(state.epoch(),
        state.split(), slot, state.config().epoch(), state.damping(), state.flaps()));
    d.states.put(client, state);
    if (previous != null) {
      release(destination, d, previous);
    }
  }

  void remove(String destination, String client) {
    Destination d = load(destination);
    clients.delete(RoutingKeys.join(destination, client));
    d.states.remove(client);
    Integer slot = d.slotOf.remove(client);
    if (slot != null) {
      release(destination, d, slot);
    }
  }

  /** Drops the view of a destination that is gone (its entries are removed one by one). */
  void forget(String destination) {
    view.remove(destination);
  }

  private void release(String destination, Destination d, int slot) {
    int left = d.references.merge(slot, -1, Integer::sum);
    if (left <= 0) {
      d.references.remove(slot);
      d.slotByContent.remove(d.slots.remove(slot));
      configs.delete(slotKey(destination, slot));
    }
  }

  private Destination load(String destination) {
    return view.computeIfAbsent(destination, key -> {
      Destination d = new Destination();
      try (KeyValueIterator<String, DesiredConfig> it =
          configs.prefixScan(RoutingKeys.prefix(key), KEYS)) {
        it.forEachRemaining(kv -> {
          int slot = Integer.parseInt(RoutingKeys.rest(kv.key));
          d.slots.put(slot, kv.value);
          d.slotByContent.put(kv.value, slot);
        });
      }
      try (KeyValueIterator<String, ClientDecision> it =
          clients.prefixScan(RoutingKeys.prefix(key), KEYS)) {
        it.forEachRemaining(kv -> {
          String client = RoutingKeys.rest(kv.key);
          DesiredConfig shared = d.slots.get(kv.value.config());
          if (shared != null) {
            d.states.put(client, kv.value.state(client, shared));
            d.slotOf.put(client, kv.value.config());
            d.references.merge(kv.value.config(), 1, Integer::sum);
          }
        });
      }
      return d;
    });
  }

  /** The key of a shared config: {@code destination|slot}. */
  static String slotKey(String destination, int slot) {
    return RoutingKeys.join(destination, Integer.toString(slot));
  }
}
