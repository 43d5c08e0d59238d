package io.meshfed.rules.status;

import io.meshfed.rules.model.Meta;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.status.ResourceStatus.ClusterStatus;
import io.meshfed.rules.validation.Findings;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Derives a resource's status. For a destination, precedence is: INVALID (validation errors) →
 * FAILED (a cluster could not apply the current generation) → PENDING (a cluster has not
 * acknowledged it yet) → WARNING (warnings) → ACCEPTED. Like Service Mesh Hub, ACCEPTED means
 * applied in every cluster it targets. Policies are not applied per cluster: INVALID, WARNING or
 * ACCEPTED.
 */
public final class StatusRules {

  private StatusRules() {}

  public static ResourceStatus forDestination(Meta meta, Findings findings,
      List<ServiceRef> selected, Collection<String> targetClusters, Map<String, ClusterAck> acks) {
    return forDestination(meta, findings, selected, targetClusters, acks, List.of());
  }

  /**
   * As above, naming the policies that apply ({@code appliedPolicies}); an INVALID destination
   * has none, since nothing of it is applied.
   */
  public static ResourceStatus forDestination(Meta meta, Findings findings,
      List<ServiceRef> selected, Collection<String> targetClusters, Map<String, ClusterAck> acks,
      List<ResourceId> appliedPolicies) {
    if (!findings.isValid()) {
      return new ResourceStatus(meta.id(), meta.generation(), ResourceState.INVALID,
          findings.errors(), findings.warnings(), List.of(), List.of());
    }
    List<ClusterStatus> clusters = new ArrayList<>();
    boolean failed = false;
    boolean pending = false;
    for (String cluster : new TreeSet<>(targetClusters)) {
      ClusterAck ack = acks.get(cluster);
      ResourceState state;
      String message = null;
      if (ack == null || ack.generation() < meta.generation()) {
        state = ResourceState.PENDING;
        pending = true;
      } else if (!ack.applied()) {
        state = ResourceState.FAILED;
        message = ack.message();
        failed = true;
      } else {
        state = ResourceState.ACCEPTED;
      }
      clusters.add(new ClusterStatus(cluster, ack == null ? -1 : ack.generation(),
          ack == null ? -1 : ack.epoch(), state, message));
    }
    ResourceState overall = failed ? ResourceState.FAILED
        : pending ? ResourceState.PENDING
        : findings.warnings().isEmpty() ? ResourceState.ACCEPTED : ResourceState.WARNING;
    return new ResourceStatus(meta.id(), meta.generation(), overall, List.of(),
        findings.warnings(), clusters, selected, appliedPolicies);
  }

  public static ResourceStatus forPolicy(Meta meta, Findings findings) {
    ResourceState state = !findings.isValid() ? ResourceState.INVALID
        : findings.warnings().isEmpty() ? ResourceState.ACCEPTED : ResourceState.WARNING;
    return new ResourceStatus(meta.id(), meta.generation(), state, findings.errors(),
        findings.warnings(), List.of(), List.of());
  }
}
