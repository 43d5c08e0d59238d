package io.meshfed.rules.model;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Service Mesh Hub's VirtualMesh: a named group of meshes that trust each other, so one
 * FailoverService may span them. In meshfed a mesh is a cluster label ({@link
 * ClusterInfo#MESH_LABEL}), and so is its VirtualMesh ({@link ClusterInfo#VIRTUAL_MESH_LABEL}):
 * the members of a VirtualMesh are the meshes of the clusters that report it.
 *
 * @param name the VirtualMesh's name
 * @param meshes the meshes grouped under it
 */
public record VirtualMesh(String name, Set<String> meshes) {

  public VirtualMesh {
    meshes = Set.copyOf(meshes);
  }

  /** Whether every one of {@code members} is grouped under this VirtualMesh. */
  public boolean groups(Collection<String> members) {
    return meshes.containsAll(members);
  }

  /**
   * The VirtualMeshes the clusters report: a cluster with both labels puts its mesh into its
   * VirtualMesh. A cluster without a mesh label adds nothing (its VirtualMesh would have no
   * member). Sorted by name.
   */
  public static java.util.List<VirtualMesh> fromClusters(Collection<ClusterInfo> clusters) {
    Map<String, Set<String>> members = new TreeMap<>();
    for (ClusterInfo cluster : clusters) {
      if (cluster.mesh() != null && cluster.virtualMesh() != null) {
        members.computeIfAbsent(cluster.virtualMesh(), k -> new TreeSet<>()).add(cluster.mesh());
      }
    }
    return members.entrySet().stream().map(e -> new VirtualMesh(e.getKey(), e.getValue()))
        .toList();
  }
}
