package io.meshfed.rules.status;

import java.util.List;

/**
 * Service Mesh Hub's {@code ApprovalStatus} of a FailoverService in one mesh: the roll-up of
 * the per-cluster results of the clusters in that mesh.
 *
 * @param mesh the mesh name (a cluster's {@code meshfed.io/mesh} label)
 * @param acceptanceOrder the FailoverService's place among those accepted for its hostname in
 *     this mesh: always 0, since a hostname has one valid destination across the federation
 *     (the oldest claim wins, the others are INVALID and get no mesh entries)
 * @param state ACCEPTED when every cluster of the mesh applied the latest config, FAILED when
 *     one could not, PENDING otherwise (including a mesh no cluster reports yet)
 * @param errors the failing clusters' messages, or why the mesh is pending without clusters
 */
public record MeshStatus(String mesh, int acceptanceOrder, ResourceState state,
    List<String> errors) {

  public MeshStatus {
    errors = List.copyOf(errors);
  }
}
