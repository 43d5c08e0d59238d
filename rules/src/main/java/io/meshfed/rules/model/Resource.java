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
