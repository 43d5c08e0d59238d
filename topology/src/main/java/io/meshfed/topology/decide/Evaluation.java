package io.meshfed.topology.decide;

import io.meshfed.rules.decision.DecideResult;
import io.meshfed.rules.decision.DecisionState;
import io.meshfed.rules.status.ResourceStatus;
import java.time.Instant;
import java.util.List;

/**
 * What one evaluation of a destination decided, before anything is written or sent: the
 * {@link DecisionLedger} applies it. Outcomes are in the order their epochs were assigned.
 *
 * @param destination the destination's key
 * @param outcomes per client cluster, in epoch order
 * @param lastEpoch the destination's last epoch after these outcomes
 * @param wakeAt the earliest time the answer could change by time alone, or null
 * @param status the destination's status, or null when it is gone
 * @param clientMode the clientMode every config of this evaluation carries
 */
record Evaluation(String destination, List<Outcome> outcomes, long lastEpoch, Instant wakeAt,
    StatusUpdate status, io.meshfed.avro.ClientMode clientMode) {

  /** How many client configs this evaluation changes (decisions and withdrawals). */
  int decisions() {
    int n = 0;
    for (Outcome outcome : outcomes) {
      if (outcome instanceof Retired
          || outcome instanceof Decided d && d.result().decision().isPresent()) {
        n++;
      }
    }
    return n;
  }

  /** What happens to one client cluster's config. */
  sealed interface Outcome {
    String client();
  }

  /** The destination is gone, invalid or invisible to the client: its config is withdrawn. */
  record Retired(String client, DecisionState state, long epoch) implements Outcome {}

  /**
   * The rules' answer for the client; a decision when {@code result.decision()} is present.
   *
   * @param stateChanged whether the decision memory differs from the stored one
   * @param reasonSuffix appended to the decision's reason ("" for none)
   */
  record Decided(String client, DecideResult result, boolean stateChanged, String reasonSuffix)
      implements Outcome {}

  /** The status to publish to the destination's source cluster (if it changed). */
  record StatusUpdate(String sourceCluster, ResourceStatus status, String uid) {}
}
