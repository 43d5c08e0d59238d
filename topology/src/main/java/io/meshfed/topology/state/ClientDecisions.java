package io.meshfed.topology.state;

import java.util.Map;
import java.util.TreeMap;

/**
 * Every client cluster's {@link ClientDecision} of one destination, stored as one record
 * ({@link Stores#DECISIONS}, keyed by destination).
 *
 * <p>Why one record per destination and not one per client: an evaluation that changes a
 * destination's answer changes it for most of its clients at once — a zone outage moves all 100
 * clients of each of 1,000 FailoverServices — and each stored record is a put, a changelog record
 * in the transaction, a JSON encode and a producer batch entry. One record per destination makes
 * that 1 record instead of 100, for the price of rewriting the small per-client records of
 * clients that did not change (~150 bytes of JSON each: a destination visible to 1,000 clusters
 * writes ~150 KB, far below the 1 MiB record limit up to several thousand clients). The shared
 * configs stay in their own records ({@link Stores#DECISION_CONFIGS}), where a large endpoint
 * list is written once per distinct content, not once per evaluation.
 *
 * <p>It also carries the destination's last epoch, which used to be a record of its own in
 * {@code decide-epochs}: every evaluation that decides something changes a client's record
 * anyway, so the epoch rides along and an evaluation writes one record fewer. A destination
 * with no clients left (deleted, invalid, visible to nobody) keeps a record with none, so that
 * its epochs go on where they stopped if it comes back.
 *
 * @param byClient by client cluster name, sorted (so equal contents encode to equal bytes)
 * @param lastEpoch the destination's last decision epoch; 0 in records written before it was
 *     carried here (the epoch is then in {@code decide-epochs}, read as a floor)
 */
public record ClientDecisions(Map<String, ClientDecision> byClient, long lastEpoch) {

  public ClientDecisions {
    byClient = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(byClient));
  }
}
