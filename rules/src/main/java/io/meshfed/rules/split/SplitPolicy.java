package io.meshfed.rules.split;

/** How traffic spills from a tier as its healthy share drops. */
public sealed interface SplitPolicy {

  /** Envoy's default. */
  SplitPolicy DEFAULT = new Overprovisioned(1.4);

  /**
   * The policy a resource's {@code failoverThresholdPercent} asks for (a FailoverPolicy's or a
   * FailoverService's): plain threshold mode when set, else {@link #DEFAULT}. The value must have
   * passed validation (1-100).
   */
  static SplitPolicy forThreshold(Integer failoverThresholdPercent) {
    return failoverThresholdPercent == null ? DEFAULT : new Threshold(failoverThresholdPercent);
  }

  /**
   * Envoy priority load: tier health = min(100, factor × healthy/total × 100); a tier keeps all
   * traffic while its health is 100 (for 1.4: while at least 71.4 % of it is healthy) and spills the rest
   * to the next tiers in order.
   */
  record Overprovisioned(double factor) implements SplitPolicy {
    public Overprovisioned {
      if (!(factor >= 1.0)) {
        throw new IllegalArgumentException("overprovisioning factor " + factor + " must be >= 1");
      }
    }

    /** Healthy share (whole percent, rounded down) below which a tier spills: 71 for 1.4. */
    public int spillBelowPercent() {
      return (int) Math.floor(100.0 / factor);
    }
  }

  /**
   * Plain threshold (Kuma's default is 50 %): all traffic goes to the first tier whose healthy
   * share is at least {@code percent}.
   */
  record Threshold(int percent) implements SplitPolicy {
    public Threshold {
      if (percent < 1 || percent > 100) {
        throw new IllegalArgumentException("failover threshold " + percent + "% is outside 1-100");
      }
    }
  }
}
