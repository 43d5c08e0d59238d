package io.meshfed.rules.health;

import java.time.Duration;
import java.time.Instant;

/**
 * Consecutive-error outlier detection over health signals, as a pure state machine.
 *
 * <ul>
 *   <li>A run of errors counts while every error falls within {@code interval} of the run's first
 *       error; a later error starts a new run, a success ends it.
 *   <li>When a run reaches {@code consecutiveErrors} the endpoint is ejected for
 *       {@code baseEjectionTime × ejections} (Envoy's multiplier), provided fewer than
 *       {@code maxEjectionPercent} of its service's endpoints are ejected already.
 *   <li>The ejection ends when its time passes; the multiplier drops by one for every
 *       {@code interval} the endpoint then stays un-ejected.
 *   <li>Signals while ejected, and signals older than the newest one applied (they describe the
 *       past), change nothing.
 * </ul>
 */
public final class OutlierDetector {

  private OutlierDetector() {}

  /** Whether one more endpoint may be ejected when {@code ejected} of {@code total} already are. */
  public static boolean mayEject(int ejected, int total, int maxEjectionPercent) {
    return total > 0 && ejected * 100L < (long) maxEjectionPercent * total;
  }

  public static OutlierState onSuccess(OutlierState state, Instant at) {
    if (isOutOfOrder(state, at) || state.isEjected(at)) {
      return state;
    }
    return new OutlierState(0, null, state.ejections(), state.ejectedUntil(), at);
  }

  /**
   * Applies an error at {@code at}. {@code mayEject} is the caller's answer to
   * {@link #mayEject} for the endpoint's service at this moment.
   */
  public static OutlierState onError(OutlierState state, Instant at, OutlierSettings settings,
      boolean mayEject) {
    if (isOutOfOrder(state, at) || state.isEjected(at)) {
      return state;
    }
    boolean continuesRun = state.runStartedAt() != null
        && !at.isAfter(state.runStartedAt().plus(settings.interval()));
    int errors = continuesRun ? state.consecutiveErrors() + 1 : 1;
    Instant runStart = continuesRun ? state.runStartedAt() : at;
    if (errors >= settings.consecutiveErrors() && mayEject) {
      int ejections = decayedEjections(state, at, settings.interval()) + 1;
      Instant until = at.plus(settings.baseEjectionTime().multipliedBy(ejections));
      return new OutlierState(0, null, ejections, until, at);
    }
    return new OutlierState(errors, runStart, state.ejections(), state.ejectedUntil(), at);
  }

  /** When this endpoint's health changes by the passing of time alone, or null. */
  public static Instant nextChangeAt(OutlierState state, Instant now) {
    return state.isEjected(now) ? state.ejectedUntil() : null;
  }

  private static int decayedEjections(OutlierState state, Instant at, Duration interval) {
    if (state.ejectedUntil() == null || state.ejections() == 0) {
      return state.ejections();
    }
    long quietIntervals = Duration.between(state.ejectedUntil(), at).toMillis()
        / Math.max(1, interval.toMillis());
    return (int) Math.max(0, state.ejections() - quietIntervals);
  }

  private static boolean isOutOfOrder(OutlierState state, Instant at) {
    return state.lastSignalAt() != null && at.isBefore(state.lastSignalAt());
  }
}
