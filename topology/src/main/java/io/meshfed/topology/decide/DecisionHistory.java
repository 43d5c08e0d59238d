package io.meshfed.topology.decide;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.topology.RoutingKeys;
import io.meshfed.topology.state.DecisionChunk;
import io.meshfed.topology.state.Stores;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The queryable history of a destination's decisions: at least its last
 * {@link Stores#DECISION_LOG_KEEP}, stored as one {@link DecisionChunk} per evaluation (split into
 * chunks of at most {@link DecisionChunk#MAX}) instead of one record per decision.
 *
 * <p>Where a chunk goes: slot {@code lastEpoch mod KEEP} of its destination. A chunk is only
 * overwritten by a later one whose last epoch has the same residue, so at least KEEP higher — all
 * of the overwritten chunk's decisions are older than the last KEEP. A chunk whose last epoch is
 * KEEP or more below the destination's newest is deleted (all its decisions are older than the
 * last KEEP), so a destination keeps at most KEEP + MAX − 1 decisions. Readers order by epoch.
 *
 * <p>The slots' last epochs are kept per destination beside the store, loaded by one prefix scan
 * on first use (a revived or migrated task gets a new processor and so a new view).
 */
final class DecisionHistory {

  private static final StringSerializer KEYS = new StringSerializer();
  private static final int KEEP = Stores.DECISION_LOG_KEEP;

  private final KeyValueStore<String, DecisionChunk> store;
  /** Per destination: the last epoch of the chunk in each slot, 0 for an empty slot. */
  private final Map<String, long[]> slots = new HashMap<>();

  DecisionHistory(KeyValueStore<String, DecisionChunk> store) {
    this.store = store;
  }

  /** Stores one evaluation's decisions of {@code destination}, in epoch order. */
  void append(String destination, List<FailoverDecision> decisions) {
    if (decisions.isEmpty()) {
      return;
    }
    long[] last = slots(destination);
    long newest = 0;
    for (int from = 0; from < decisions.size(); from += DecisionChunk.MAX) {
      DecisionChunk chunk = new DecisionChunk(decisions.subList(from,
          Math.min(decisions.size(), from + DecisionChunk.MAX)));
      int slot = slotOf(chunk.lastEpoch());
      store.put(key(destination, slot), chunk);
      last[slot] = chunk.lastEpoch();
    }
    for (long epoch : last) {
      newest = Math.max(newest, epoch);
    }
    for (int slot = 0; slot < KEEP; slot++) {
      if (last[slot] != 0 && last[slot] <= newest - KEEP) {
        store.delete(key(destination, slot));
        last[slot] = 0;
      }
    }
  }

  private long[] slots(String destination) {
    return slots.computeIfAbsent(destination, d -> {
      long[] last = new long[KEEP];
      try (KeyValueIterator<String, DecisionChunk> it =
          store.prefixScan(RoutingKeys.prefix(d), KEYS)) {
        it.forEachRemaining(kv -> last[Integer.parseInt(RoutingKeys.rest(kv.key))] =
            kv.value.lastEpoch());
      }
      return last;
    });
  }

  static int slotOf(long epoch) {
    return (int) Math.floorMod(epoch, (long) KEEP);
  }

  /** {@code destination|NNN}: the key of a slot ("%03d" without String.format). */
  static String key(String destination, int slot) {
    return RoutingKeys.join(destination, slot < 10 ? "00" + slot : slot < 100 ? "0" + slot
        : String.valueOf(slot));
  }
}
