package io.meshfed.rules.status;

import io.meshfed.rules.model.ResourceId;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * What a destination's status is derived from besides its findings.
 *
 * @param targetClusters the client clusters it is visible to
 * @param acks the latest acknowledgement per cluster
 * @param latestEpochs per client cluster, the epoch of the latest decision (absent: none yet);
 *     a cluster whose ack is older than this has not applied the latest failover
 * @param meshOf the mesh each known cluster reports (clusters without a mesh absent)
 * @param listedMeshes a FailoverService's {@code meshes}; null for a VirtualDestination (no
 *     per-mesh status)
 * @param conflicts hostname claims this destination lost (also among its validation errors)
 * @param appliedPolicies the FailoverPolicy and OutlierDetectionPolicy that apply
 */
public record StatusInputs(Collection<String> targetClusters, Map<String, ClusterAck> acks,
    Map<String, Long> latestEpochs, Map<String, String> meshOf, List<String> listedMeshes,
    List<String> conflicts, List<ResourceId> appliedPolicies) {

  public StatusInputs {
    targetClusters = List.copyOf(targetClusters);
    acks = Map.copyOf(acks);
    latestEpochs = Map.copyOf(latestEpochs);
    meshOf = Map.copyOf(meshOf);
    listedMeshes = listedMeshes == null ? null : List.copyOf(listedMeshes);
    conflicts = List.copyOf(conflicts);
    appliedPolicies = List.copyOf(appliedPolicies);
  }

  /** Only targets and acks (no epochs, meshes, conflicts or policies). */
  public static StatusInputs of(Collection<String> targetClusters,
      Map<String, ClusterAck> acks) {
    return new StatusInputs(targetClusters, acks, Map.of(), Map.of(), null, List.of(),
        List.of());
  }
}
