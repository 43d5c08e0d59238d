package io.meshfed.rules.split;

/**
 * Endpoint counts of one tier, the health input of a split.
 *
 * @param index tier index
 * @param healthy endpoints that are HEALTHY
 * @param ejected endpoints ejected by outlier detection
 * @param unknown endpoints of stale clusters
 * @param total all endpoints
 */
public record TierHealth(int index, int healthy, int ejected, int unknown, int total) {

  public TierHealth {
    if (healthy < 0 || ejected < 0 || unknown < 0 || healthy + ejected + unknown > total) {
      throw new IllegalArgumentException("inconsistent tier health " + healthy + "/" + ejected
          + "/" + unknown + " of " + total);
    }
  }

  /** Healthy share in whole percent, rounded down; 0 for an empty tier. */
  public int healthyPercent() {
    return total == 0 ? 0 : (int) (healthy * 100L / total);
  }

  public TierHealth withHealthy(int count) {
    return new TierHealth(index, count, ejected, unknown, total);
  }
}
