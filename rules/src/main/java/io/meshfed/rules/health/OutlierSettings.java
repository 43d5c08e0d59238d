package io.meshfed.rules.health;

import io.meshfed.rules.model.OutlierDetectionSpec;
import java.time.Duration;

/**
 * Outlier detection parameters (Envoy/Istio semantics).
 *
 * @param consecutiveErrors errors in a row that eject an endpoint
 * @param interval window in which those errors must fall, and the period over which an
 *     endpoint's ejection multiplier decays by one
 * @param baseEjectionTime ejection time, multiplied by how often the endpoint was ejected
 * @param maxEjectionPercent no more ejections once this share of a service's endpoints is
 *     ejected
 */
public record OutlierSettings(int consecutiveErrors, Duration interval, Duration baseEjectionTime,
    int maxEjectionPercent) {

  /** The defaults that apply when no OutlierDetectionPolicy selects a destination. */
  public static final OutlierSettings DEFAULTS =
      new OutlierSettings(5, Duration.ofSeconds(10), Duration.ofSeconds(30), 100);

  /** The spec's values, with a default for each one it leaves out. */
  public static OutlierSettings of(OutlierDetectionSpec spec) {
    return new OutlierSettings(
        spec.consecutiveErrors() != null ? spec.consecutiveErrors() : DEFAULTS.consecutiveErrors,
        spec.intervalMillis() != null ? Duration.ofMillis(spec.intervalMillis()) : DEFAULTS.interval,
        spec.baseEjectionTimeMillis() != null ? Duration.ofMillis(spec.baseEjectionTimeMillis())
            : DEFAULTS.baseEjectionTime,
        spec.maxEjectionPercent() != null ? spec.maxEjectionPercent()
            : DEFAULTS.maxEjectionPercent);
  }

  @Override
  public String toString() {
    return "consecutiveErrors " + consecutiveErrors + ", interval " + interval.toMillis()
        + "ms, baseEjectionTime " + baseEjectionTime.toMillis() + "ms, maxEjectionPercent "
        + maxEjectionPercent;
  }
}
