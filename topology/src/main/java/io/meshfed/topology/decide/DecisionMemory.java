package io.meshfed.topology.decide;

import io.meshfed.rules.decision.DecisionState;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.topology.RoutingKeys;
import io.meshfed.topology.state.ClientDecision;
import io.meshfed.topology.state.ClientDecisions;
import io.meshfed.topology.state.Stores;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The rules' decision state per (destination, client cluster), stored so that each distinct
 * config of a destination is written once however many clients it was decided for (see
 * {@link ClientDecision} for why), and the clients' small records of a destination as one
 * record (see {@link ClientDecisions} for why). A client's record points at a numbered slot of
 * its destination's configs; a slot nobody points at any more is reused or deleted.
 *
 * <p>Reads go through a view per destination, loaded on first use by a get and a prefix scan and
 * kept beside the stores (a revived or migrated task gets a new processor and so a new view).
 */
final class DecisionMemory {

  private static final StringSerializer KEYS = new StringSerializer();

  private final KeyValueStore<String, ClientDecisions> clients;
  private final KeyValueStore<String, DesiredConfig> configs;
  private final Map<String, Destination> view = new HashMap<>();

  /** One destination: states by client, and which slot holds which shared config. */
  private static final class Destination {
    final Map<String, DecisionState> states = new HashMap<>();
    final Map<String, Integer> slotOf = new HashMap<>();
    /** What is stored for each client (rewritten as a whole when one of them changes). */
    final Map<String, ClientDecision> stored = new HashMap<>();
    Map<Integer, Content> slots = new HashMap<>();
    /** The last epoch stored with the clients (0: none stored yet). */
    long lastEpoch;
  }

  /**
   * A shared config with its hash computed once. Configs are compared by value, and a config's
   * value is every endpoint of every tier: hashed afresh at each set and map operation, the
   * grouping of a 100-client destination's configs was a fifth of a zone outage's evaluation
   * time. An unchanged client keeps its slot's instance; a changed one is hashed once.
   */
  private record Content(DesiredConfig config, int hash) {
    static Content of(DesiredConfig config) {
      return new Content(config, config.hashCode());
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Content c && c.hash == hash
          && (c.config == config || c.config.equals(config));
    }
  }

  DecisionMemory(ProcessorContext<String, ?> context) {
    this.clients = context.getStateStore(Stores.DECISIONS);
    this.configs = context.getStateStore(Stores.DECISION_CONFIGS);
  }

  /** The destination's states by client (read-only to callers; change them here). */
  Map<String, DecisionState> states(String destination) {
    return load(destination).states;
  }

  /** The last epoch stored with the destination's clients; 0 when none is. */
  long lastEpoch(String destination) {
    return load(destination).lastEpoch;
  }

  /**
   * Records one evaluation's changes: new states for {@code changed} clients, none for
   * {@code removed} ones, and the destination's {@code lastEpoch}. The destination's distinct configs are recomputed from all its
   * clients: a config still in use keeps its slot, a new one takes over a slot whose config
   * is no longer used (an overwrite, not a delete and an insert), and only slots left over are
   * deleted. So the usual evaluation — every client moves to the same new content — writes one
   * config and the changed clients' small records.
   */
  void update(String destination, Map<String, DecisionState> changed, Collection<String> removed,
      long lastEpoch) {
    Destination d = load(destination);
    if (changed.isEmpty() && removed.isEmpty() && lastEpoch == d.lastEpoch) {
      return;
    }
    boolean write = lastEpoch != d.lastEpoch;
    d.lastEpoch = lastEpoch;
    for (String client : removed) {
      write |= d.stored.remove(client) != null;
      d.states.remove(client);
      d.slotOf.remove(client);
    }
    d.states.putAll(changed);

    Map<String, Content> contentOf = new HashMap<>();
    Set<Content> inUse = new LinkedHashSet<>();
    // The changed clients of one evaluation mostly hold the same tiers instance (WeightsMemo):
    // one Content for them, hashed once, instead of hashing every endpoint per client.
    Map<List<DesiredConfig.Tier>, List<Content>> byTiers = new IdentityHashMap<>();
    for (var e : new TreeMap<>(d.states).entrySet()) {
      Integer slot = d.slotOf.get(e.getKey());
      boolean same = !changed.containsKey(e.getKey()) && slot != null
          && d.slots.containsKey(slot);
      Content content = same ? d.slots.get(slot) : shared(e.getValue().config(), byTiers);
      contentOf.put(e.getKey(), content);
      inUse.add(content);
    }
    Map<Content, Integer> slotByContent = new HashMap<>();
    TreeSet<Integer> reusable = new TreeSet<>();
    for (var slot : new TreeMap<>(d.slots).entrySet()) {
      if (inUse.contains(slot.getValue()) && !slotByContent.containsKey(slot.getValue())) {
        slotByContent.put(slot.getValue(), slot.getKey());
      } else {
        reusable.add(slot.getKey());
      }
    }
    Map<Integer, Content> slots = new HashMap<>();
    Set<Integer> taken = new HashSet<>(slotByContent.values());
    for (Content content : inUse) {
      Integer slot = slotByContent.get(content);
      if (slot == null) {
        if (reusable.isEmpty()) {
          slot = 0;
          while (taken.contains(slot)) {
            slot++;
          }
        } else {
          slot = reusable.pollFirst();
        }
        taken.add(slot);
        configs.put(slotKey(destination, slot), content.config());
        slotByContent.put(content, slot);
      }
      slots.put(slot, content);
    }
    for (int unused : reusable) {
      configs.delete(slotKey(destination, unused));
    }
    d.slots = slots;

    for (var e : d.states.entrySet()) {
      String client = e.getKey();
      int slot = slotByContent.get(contentOf.get(client));
      Integer before = d.slotOf.put(client, slot);
      if (changed.containsKey(client) || before == null || before != slot) {
        DecisionState state = e.getValue();
        d.stored.put(client, new ClientDecision(state.epoch(), state.split(), slot,
            state.config().epoch(), state.damping(), state.flaps()));
        write = true;
      }
    }
    if (!write) {
      return;
    }
    if (d.stored.isEmpty() && lastEpoch == 0) {
      clients.delete(destination);
    } else {
      clients.put(destination, new ClientDecisions(d.stored, lastEpoch));
    }
  }

  /** The shared content of {@code config}: one already made for the same tiers, or a new one. */
  private static Content shared(DesiredConfig config,
      Map<List<DesiredConfig.Tier>, List<Content>> byTiers) {
    List<Content> sameTiers = byTiers.computeIfAbsent(config.tiers(), t -> new ArrayList<>(1));
    for (Content c : sameTiers) {
      DesiredConfig k = c.config();
      if (k.activeTier() == config.activeTier() && k.generation() == config.generation()
          && k.destination().equals(config.destination()) && k.hosts().equals(config.hosts())
          && k.ports().equals(config.ports())
          && java.util.Objects.equals(k.outlier(), config.outlier())) {
        return c;
      }
    }
    Content made = Content.of(ClientDecision.shared(config));
    sameTiers.add(made);
    return made;
  }

  /** Drops the view of a destination that is gone (its entries are removed one by one). */
  void forget(String destination) {
    view.remove(destination);
  }

  private Destination load(String destination) {
    return view.computeIfAbsent(destination, key -> {
      Destination d = new Destination();
      try (KeyValueIterator<String, DesiredConfig> it =
          configs.prefixScan(RoutingKeys.prefix(key), KEYS)) {
        it.forEachRemaining(kv -> d.slots.put(Integer.parseInt(RoutingKeys.rest(kv.key)),
            Content.of(kv.value)));
      }
      ClientDecisions stored = clients.get(key);
      if (stored != null) {
        d.lastEpoch = stored.lastEpoch();
        stored.byClient().forEach((client, decision) -> {
          Content shared = d.slots.get(decision.config());
          if (shared != null) {
            d.states.put(client, decision.state(client, shared.config()));
            d.slotOf.put(client, decision.config());
            d.stored.put(client, decision);
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
