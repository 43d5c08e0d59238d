package io.meshfed.rules.model;

/** What kind of backend a member is. */
public enum BackendKind {
  /** A Kubernetes Service; at most one per cluster may back a VirtualDestination. */
  SERVICE,
  /** An external service (outside the mesh); several may be selected. */
  EXTERNAL_SERVICE,
  /** An external workload (a VM); at most one per cluster, like services. */
  EXTERNAL_WORKLOAD
}
