package io.meshfed.rules.health;

import java.time.Instant;

/**
 * Outlier-detection state of one endpoint. Immutable; {@link OutlierDetector} computes the next
 * one.
 *
 * @param consecutiveErrors errors in the current run
 * @param runStartedAt time of the first error of the current run, or null
 * @param ejections how often it has been ejected (decays while it behaves)
 * @param ejectedUntil end of the current or last ejection, or null if never ejected
 * @param lastSignalAt time of the newest signal applied, or null
 */
public record OutlierState(int consecutiveErrors, Instant runStartedAt, int ejections,
    Instant ejectedUntil, Instant lastSignalAt) {

  public static final OutlierState CLEAN = new OutlierState(0, null, 0, null, null);

  public boolean isEjected(Instant now) {
    return ejectedUntil != null && now.isBefore(ejectedUntil);
  }
}
