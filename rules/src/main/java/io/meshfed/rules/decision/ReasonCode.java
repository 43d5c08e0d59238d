package io.meshfed.rules.decision;

/** Why a decision changed the config (mirrors the Avro {@code ReasonCode}). */
public enum ReasonCode {
  /** The first decision for this destination and client cluster. */
  INITIAL,
  /** A tier lost healthy endpoints and traffic moved to lower tiers. */
  TIER_UNHEALTHY,
  /** A tier stayed healthy for the damping period and took traffic back. */
  TIER_RECOVERED,
  /** No tier has a healthy endpoint: panic, failing open. */
  ALL_TIERS_UNHEALTHY,
  /** Backing services joined or left. */
  MEMBERSHIP_CHANGED,
  /** Endpoints, their health or their weights changed; the tier split did not. */
  ENDPOINTS_CHANGED,
  /** The destination's spec (hosts, ports, generation) or outlier settings changed. */
  POLICY_CHANGED,
  /** A cluster's heartbeat went stale and its endpoints count as unknown. */
  CLUSTER_STALE,
  /** The destination was deleted or became invalid or invisible to this client. */
  DESTINATION_REMOVED
}
