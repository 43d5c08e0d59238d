package io.meshfed.rules.model;

/** The federation resource kinds (group {@code meshfed.io}, version {@code v1alpha1}). */
public enum Kind {
  FailoverService, VirtualDestination, FailoverPolicy, OutlierDetectionPolicy;

  /** True for the kinds that define a destination clients can send traffic to. */
  public boolean isDestination() {
    return this == FailoverService || this == VirtualDestination;
  }
}
