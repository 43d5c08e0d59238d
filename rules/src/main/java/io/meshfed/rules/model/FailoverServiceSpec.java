package io.meshfed.rules.model;

import java.util.List;

/**
 * Service Mesh Hub FailoverService: a hostname backed by services in decreasing priority.
 *
 * @param hostname DNS name clients use
 * @param port listening port
 * @param meshes meshes it is visible to (informational; visibility is by cluster)
 * @param clusters clusters it is visible to; empty means every cluster
 * @param backingServices backing services, highest priority first; may hold nulls from bad input
 * @param failoverThresholdPercent plain threshold mode, as a FailoverPolicy's (a meshfed field:
 *     the seed has none, and no FailoverPolicy selects a FailoverService); null means Envoy's
 *     overprovisioning mode
 */
public record FailoverServiceSpec(String hostname, PortSpec port, List<String> meshes,
    List<String> clusters, List<BackingService> backingServices,
    Integer failoverThresholdPercent) {

  /** A FailoverService without a failover threshold (Envoy's overprovisioning mode). */
  public FailoverServiceSpec(String hostname, PortSpec port, List<String> meshes,
      List<String> clusters, List<BackingService> backingServices) {
    this(hostname, port, meshes, clusters, backingServices, null);
  }

  /** One backing service reference; any field may be missing in bad input. */
  public record BackingService(String name, String namespace, String clusterName) {
    public ServiceRef ref() {
      return new ServiceRef(clusterName, namespace, name);
    }
  }

  public FailoverServiceSpec {
    meshes = meshes == null ? List.of() : List.copyOf(meshes);
    clusters = clusters == null ? List.of() : List.copyOf(clusters);
    backingServices = backingServices == null ? List.of() : List.copyOf(backingServices);
  }
}
