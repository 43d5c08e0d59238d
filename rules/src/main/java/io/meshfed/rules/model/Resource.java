package io.meshfed.rules.model;

import java.util.List;

/** A federation resource: metadata plus the spec of its kind. */
public sealed interface Resource {

  Meta meta();

  default ResourceId id() {
    return meta().id();
  }

  /** A resource that defines a destination: FailoverService or VirtualDestination. */
  sealed interface Destination extends Resource {
    /** Hostnames the destination claims. */
    List<String> hostnames();

    /** Clusters it is visible to; empty means every cluster. */
    List<String> visibleClusters();

    default boolean isVisibleTo(String cluster) {
      return visibleClusters().isEmpty() || visibleClusters().contains(cluster);
    }

    /** Meshes it is visible to; empty means every mesh (and clusters reporting none). */
    default List<String> visibleMeshes() {
      return List.of();
    }

    /**
     * Whether clients in {@code cluster} see it: listed in {@code clusters} (or none listed), and
     * in one of the listed {@code meshes} by the cluster's {@link ClusterInfo#MESH_LABEL} (or
     * none listed). A cluster reporting no mesh is in none of them.
     */
    default boolean isVisibleTo(ClusterInfo cluster) {
      String mesh = cluster.mesh();
      return isVisibleTo(cluster.name()) && (visibleMeshes().isEmpty()
          || (mesh != null && visibleMeshes().contains(mesh)));
    }
  }

  record FailoverService(Meta meta, FailoverServiceSpec spec) implements Destination {
    @Override
    public List<String> hostnames() {
      return spec.hostname() == null ? List.of() : List.of(spec.hostname());
    }

    @Override
    public List<String> visibleClusters() {
      return spec.clusters();
    }

    @Override
    public List<String> visibleMeshes() {
      return spec.meshes();
    }
  }

  record VirtualDestination(Meta meta, VirtualDestinationSpec spec) implements Destination {
    @Override
    public List<String> hostnames() {
      return spec.hosts();
    }

    @Override
    public List<String> visibleClusters() {
      return spec.clusters();
    }
  }

  record FailoverPolicy(Meta meta, FailoverPolicySpec spec) implements Resource {}

  record OutlierDetectionPolicy(Meta meta, OutlierDetectionSpec spec) implements Resource {}
}
