package io.meshfed.rules.shift;

import io.meshfed.rules.model.ServiceRef;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/**
 * The guide's TrafficPolicy {@code trafficShift} step: clients keep calling the selected
 * Kubernetes services and are shifted to a FailoverService's hostname. A TrafficPolicy acts in
 * the cluster it is applied in (its agent reads it there); see {@link TrafficShifts}.
 *
 * @param namespace metadata.namespace
 * @param name metadata.name
 * @param generation metadata.generation
 * @param created creationTimestamp; the oldest policy keeps a service several select
 * @param services {@code destinationSelector[].kubeServiceRefs.services[]}; entries and their
 *     fields may be null from bad input
 * @param shiftTo {@code trafficShift.destinations[].failoverService}; may hold nulls
 */
public record TrafficPolicy(String namespace, String name, long generation, Instant created,
    List<KubeServiceRef> services, List<FailoverServiceRef> shiftTo) {

  /** Oldest first, then namespace and name: the order conflicts are decided in. */
  public static final Comparator<TrafficPolicy> OLDEST_FIRST = Comparator
      .comparing(TrafficPolicy::created).thenComparing(TrafficPolicy::namespace)
      .thenComparing(TrafficPolicy::name);

  public TrafficPolicy {
    services = services == null ? List.of() : java.util.Collections.unmodifiableList(
        new java.util.ArrayList<>(services));
    shiftTo = shiftTo == null ? List.of() : java.util.Collections.unmodifiableList(
        new java.util.ArrayList<>(shiftTo));
  }

  /** {@code namespace/name}, how status and logs name the policy. */
  public String key() {
    return namespace + "/" + name;
  }

  /** A selected Kubernetes service (skv2 ClusterObjectRef); any field may be missing. */
  public record KubeServiceRef(String name, String namespace, String clusterName) {
    /** The reference; only once {@link TrafficShifts#validate} found every field. */
    public ServiceRef ref() {
      return new ServiceRef(clusterName, namespace, name);
    }
  }

  /** A FailoverService by name and namespace (skv2 ObjectRef). */
  public record FailoverServiceRef(String name, String namespace) {
    @Override
    public String toString() {
      return namespace + "/" + name;
    }
  }
}
