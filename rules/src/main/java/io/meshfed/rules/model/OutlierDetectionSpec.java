package io.meshfed.rules.model;

import java.util.List;

/**
 * OutlierDetectionPolicy: ejection parameters for the destinations it selects; a null
 * parameter takes its default.
 */
public record OutlierDetectionSpec(List<Selector> destinations, Integer consecutiveErrors,
    Long intervalMillis, Long baseEjectionTimeMillis, Integer maxEjectionPercent) {

  public OutlierDetectionSpec {
    destinations = destinations == null ? List.of() : List.copyOf(destinations);
  }
}
