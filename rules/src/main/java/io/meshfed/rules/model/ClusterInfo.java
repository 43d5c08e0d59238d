package io.meshfed.rules.model;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * What meshfed knows of a cluster from its agent's heartbeats.
 *
 * @param name cluster name
 * @param region region, or null
 * @param zones zones the cluster spans
 * @param labels cluster labels (priority labels compare these)
 * @param lastHeartbeat time of the last heartbeat, or null if none arrived yet
 */
public record ClusterInfo(String name, String region, Set<String> zones,
    Map<String, String> labels, Instant lastHeartbeat) {

  /**
   * The cluster label naming the mesh a cluster belongs to (set on the agent with
   * {@code meshfed.agent.labels}); a FailoverService's {@code meshes} match it. In Service Mesh
   * Hub a mesh is one control plane, so a cluster is in at most one mesh.
   */
  public static final String MESH_LABEL = "meshfed.io/mesh";

  /**
   * The cluster label naming the VirtualMesh its mesh is grouped under ({@link VirtualMesh}): a
   * FailoverService may list several meshes, or have backing services in several, only when one
   * VirtualMesh groups them all.
   */
  public static final String VIRTUAL_MESH_LABEL = "meshfed.io/virtual-mesh";

  public ClusterInfo {
    zones = Set.copyOf(zones);
    labels = Map.copyOf(labels);
  }

  /** The mesh this cluster reports it belongs to, or null. */
  public String mesh() {
    return labels.get(MESH_LABEL);
  }

  /** The VirtualMesh this cluster's mesh is grouped under, or null. */
  public String virtualMesh() {
    return labels.get(VIRTUAL_MESH_LABEL);
  }

  public static ClusterInfo of(String name, String region, String zone, Instant lastHeartbeat) {
    return new ClusterInfo(name, region, zone == null ? Set.of() : Set.of(zone), Map.of(),
        lastHeartbeat);
  }
}
