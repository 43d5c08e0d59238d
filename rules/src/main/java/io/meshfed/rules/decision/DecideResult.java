package io.meshfed.rules.decision;

import java.time.Instant;
import java.util.Optional;

/**
 * The outcome of {@link Decider#decide}: the state to keep, the decision if anything changed,
 * and when to evaluate again if time alone can change the answer (a pending failback).
 */
public record DecideResult(DecisionState state, Optional<Decision> decision,
    Optional<Instant> reevaluateAt) {}
