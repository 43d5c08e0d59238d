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
 * @param byClient by client cluster name, sorted (so equal contents encode to equal bytes)
 */
public record ClientDecisions(Map<String, ClientDecision> byClient) {

  public ClientDecisions {
    byClient = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(byClient));
  }
}
