package io.meshfed.rules.model;

/** How a FailoverPolicy orders the members of a VirtualDestination into tiers. */
public enum TierOrdering {
  /** Same cluster, then same zone, then same region, then the rest. */
  LOCALITY,
  /** Clusters agreeing with the client cluster on more of the listed labels come first. */
  PRIORITY_LABELS,
  /** One tier per listed cluster, in the listed order; unlisted clusters form a last tier. */
  CLUSTER_ORDER
}
