package io.meshfed.bench.chaos;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One fault class's figures, as faults.md and faults.json report them. Counts that a class
 * does not measure stay null and are written as "—" / null, never as a made-up zero.
 */
final class FaultResult {
  final String name;
  String injected;
  long injectedCount;
  long decisionsDuring;
  long expectedDecisions;
  double maxRecoverySeconds;
  /** What {@link #maxRecoverySeconds} measures, when a class says; null: the generic "recover". */
  String recoveryMeasure;
  /** Each fault's recovery, where a class measures them one by one. */
  final List<Double> recoverySeconds = new ArrayList<>();
  long lostTransitions;
  long epochsOutOfPlace;
  boolean finalEqualsOracle;
  Long threadDeaths;
  Long deadLettered;
  Long deadLetterExpected;
  Long deadLetteredWithHeaders;
  Long resourcesInvalid;
  Long resourcesExpected;
  /** Whether the processes a class watches (an agent) ended ready; null when not measured. */
  Boolean alive;
  /**
   * Whether what a class checks beyond the common oracle held (api-faults: every fault injected
   * often enough, the agent's objects as desired; agent-restart: the last-known-good config
   * served while Kafka was away); null when the class has no such check. The findings say
   * which part failed.
   */
  Boolean classOracle;
  double seconds;
  /** When the class began, and the machine's load while it ran (null: not sampled). */
  java.time.Instant started;
  Double loadMin;
  Double loadMax;
  Double loadMean;
  final Map<String, Long> perKind = new LinkedHashMap<>();
  final List<String> findings = new ArrayList<>();

  FaultResult(String name) {
    this.name = name;
  }

  /** Everything the oracle and the bookkeeping demand of a fault class held. */
  boolean passed() {
    // More decisions than the flips explain fails too: each is a change of traffic nobody's
    // input asked for.
    return lostTransitions == 0 && decisionsDuring == expectedDecisions
        && epochsOutOfPlace == 0 && finalEqualsOracle
        && (threadDeaths == null || threadDeaths == 0)
        && (deadLetterExpected == null || (deadLetterExpected.equals(deadLettered)
            && deadLetterExpected.equals(deadLetteredWithHeaders)))
        && (resourcesExpected == null || resourcesExpected.equals(resourcesInvalid))
        && (alive == null || alive) && (classOracle == null || classOracle);
  }
}
