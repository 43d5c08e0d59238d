package io.meshfed.rules.status;

import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;
import java.util.List;

/**
 * Status of a federation resource, as written to its status subresource.
 *
 * @param id the resource
 * @param observedGeneration the generation this status describes
 * @param state overall state
 * @param validationErrors why it is INVALID
 * @param warnings what to look at (unresolved references, several services per cluster,
 *     default outlier detection)
 * @param clusters per-cluster application results (destinations only)
 * @param selectedBackingServices the backing services in use
 * @param appliedPolicies the FailoverPolicy and OutlierDetectionPolicy that apply to a
 *     destination (Gloo Mesh's appliedDestinationPolicies); empty for a policy
 * @param conditions Kubernetes-style conditions: Valid and Accepted on every resource, Applied
 *     and Conflict on destinations
 * @param meshes of a FailoverService, Service Mesh Hub's per-mesh ApprovalStatus; else empty
 * @param reach of a policy, the destinations it selects (bounded, see {@link PolicyReach});
 *     {@link PolicyReach#NONE} for a destination
 */
public record ResourceStatus(ResourceId id, long observedGeneration, ResourceState state,
    List<String> validationErrors, List<String> warnings, List<ClusterStatus> clusters,
    List<ServiceRef> selectedBackingServices, List<ResourceId> appliedPolicies,
    List<Condition> conditions, List<MeshStatus> meshes, PolicyReach reach) {

  /** A status without a policy's reach (a destination's). */
  public ResourceStatus(ResourceId id, long observedGeneration, ResourceState state,
      List<String> validationErrors, List<String> warnings, List<ClusterStatus> clusters,
      List<ServiceRef> selectedBackingServices, List<ResourceId> appliedPolicies,
      List<Condition> conditions, List<MeshStatus> meshes) {
    this(id, observedGeneration, state, validationErrors, warnings, clusters,
        selectedBackingServices, appliedPolicies, conditions, meshes, PolicyReach.NONE);
  }

  /** A status that names no applied policies, conditions or meshes. */
  public ResourceStatus(ResourceId id, long observedGeneration, ResourceState state,
      List<String> validationErrors, List<String> warnings, List<ClusterStatus> clusters,
      List<ServiceRef> selectedBackingServices) {
    this(id, observedGeneration, state, validationErrors, warnings, clusters,
        selectedBackingServices, List.of(), List.of(), List.of());
  }

  /**
   * Per-cluster result.
   *
   * @param latestEpoch the epoch of the latest decision for this cluster, or -1 (none yet)
   * @param conditions the cluster's {@code Applied} condition
   */
  public record ClusterStatus(String cluster, long appliedGeneration, long appliedEpoch,
      ResourceState state, String message, long latestEpoch, List<Condition> conditions) {

    public ClusterStatus(String cluster, long appliedGeneration, long appliedEpoch,
        ResourceState state, String message) {
      this(cluster, appliedGeneration, appliedEpoch, state, message, -1, List.of());
    }

    public ClusterStatus {
      conditions = List.copyOf(conditions);
    }
  }

  public ResourceStatus {
    validationErrors = List.copyOf(validationErrors);
    warnings = List.copyOf(warnings);
    clusters = List.copyOf(clusters);
    selectedBackingServices = List.copyOf(selectedBackingServices);
    appliedPolicies = List.copyOf(appliedPolicies);
    conditions = List.copyOf(conditions);
    meshes = List.copyOf(meshes);
    reach = reach == null ? PolicyReach.NONE : reach;
  }

  public int numSelectedBackingServices() {
    return selectedBackingServices.size();
  }

  /** The condition of this type, or null. */
  public Condition condition(String type) {
    return conditions.stream().filter(c -> c.type().equals(type)).findFirst().orElse(null);
  }
}
