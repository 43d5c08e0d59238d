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
 */
public record ResourceStatus(ResourceId id, long observedGeneration, ResourceState state,
    List<String> validationErrors, List<String> warnings, List<ClusterStatus> clusters,
    List<ServiceRef> selectedBackingServices, List<ResourceId> appliedPolicies) {

  /** A status that names no applied policies. */
  public ResourceStatus(ResourceId id, long observedGeneration, ResourceState state,
      List<String> validationErrors, List<String> warnings, List<ClusterStatus> clusters,
      List<ServiceRef> selectedBackingServices) {
    this(id, observedGeneration, state, validationErrors, warnings, clusters,
        selectedBackingServices, List.of());
  }

  /** Per-cluster result. */
  public record ClusterStatus(String cluster, long appliedGeneration, long appliedEpoch,
      ResourceState state, String message) {}

  public ResourceStatus {
    validationErrors = List.copyOf(validationErrors);
    warnings = List.copyOf(warnings);
    clusters = List.copyOf(clusters);
    selectedBackingServices = List.copyOf(selectedBackingServices);
    appliedPolicies = List.copyOf(appliedPolicies);
  }

  public int numSelectedBackingServices() {
    return selectedBackingServices.size();
  }
}
