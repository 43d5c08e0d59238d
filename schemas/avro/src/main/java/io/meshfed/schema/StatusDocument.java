package io.meshfed.schema;

import io.meshfed.avro.ClusterApplyStatus;
import io.meshfed.avro.Condition;
import io.meshfed.avro.MeshApprovalStatus;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A resource's status as people read it — in the resource's status subresource and in the
 * query API alike (Service Mesh Hub's shape: observedGeneration, state, validationErrors,
 * per-mesh ApprovalStatus, plus per-cluster results, warnings, the selected backing services
 * and Kubernetes-style conditions).
 */
public final class StatusDocument {

  private StatusDocument() {}

  private static boolean isDestination(ResourceKind kind) {
    return kind == ResourceKind.FailoverService || kind == ResourceKind.VirtualDestination;
  }

  public static Map<String, Object> of(PolicyStatus s) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("observedGeneration", s.getObservedGeneration());
    out.put("state", s.getState().name());
    out.put("validationErrors", List.copyOf(s.getValidationErrors()));
    out.put("warnings", List.copyOf(s.getWarnings()));
    Map<String, Object> clusters = new LinkedHashMap<>();
    for (ClusterApplyStatus c : s.getClusters()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("state", c.getState().name());
      entry.put("appliedGeneration", c.getAppliedGeneration());
      entry.put("appliedEpoch", c.getAppliedEpoch());
      if (c.getMessage() != null) {
        entry.put("message", c.getMessage());
      }
      if (c.getLatestEpoch() >= 0) {
        entry.put("latestEpoch", c.getLatestEpoch());
      }
      entry.put("conditions", conditions(c.getConditions()));
      clusters.put(c.getCluster(), entry);
    }
    out.put("clusters", clusters);
    out.put("numSelectedBackingServices", s.getNumSelectedBackingServices());
    out.put("selectedBackingServices", s.getSelectedBackingServices().stream()
        .map(b -> b.getClusterName() + "/" + b.getNamespace() + "/" + b.getName()).toList());
    if (isDestination(s.getResource().getKind())) {
      // Gloo Mesh's shape: policy kind -> namespace/name of each, and kind -> how many.
      Map<String, List<String>> applied = new TreeMap<>();
      for (ResourceRef policy : s.getAppliedDestinationPolicies()) {
        applied.computeIfAbsent(policy.getKind().name(), k -> new ArrayList<>())
            .add(policy.getNamespace() + "/" + policy.getName());
      }
      Map<String, Integer> counts = new TreeMap<>();
      applied.forEach((kind, refs) -> counts.put(kind, refs.size()));
      out.put("appliedDestinationPolicies", applied);
      out.put("numAppliedDestinationPolicies", counts);
    }
    if (s.getResource().getKind() == ResourceKind.FailoverService) {
      // Service Mesh Hub's shape: mesh -> ApprovalStatus.
      Map<String, Object> meshes = new LinkedHashMap<>();
      for (MeshApprovalStatus m : s.getMeshes()) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("acceptanceOrder", m.getAcceptanceOrder());
        entry.put("state", m.getState().name());
        entry.put("errors", List.copyOf(m.getErrors()));
        meshes.put(m.getMesh(), entry);
      }
      out.put("meshes", meshes);
    }
    if (!isDestination(s.getResource().getKind())) {
      // A policy: the destinations it selects (Gloo Mesh's selected destinations), Kind/ns/name,
      // at most 100 of them; the count covers all.
      out.put("numSelectedDestinations", s.getNumSelectedDestinations());
      out.put("selectedDestinations", s.getSelectedDestinations().stream()
          .map(d -> d.getKind() + "/" + d.getNamespace() + "/" + d.getName()).toList());
    }
    out.put("conditions", conditions(s.getConditions()));
    return out;
  }

  /**
   * metav1.Condition's shape; times in RFC 3339 to the second, as the API server writes
   * metav1.Time.
   */
  private static List<Map<String, Object>> conditions(List<Condition> conditions) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Condition c : conditions) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("type", c.getType());
      entry.put("status", c.getStatus().name());
      entry.put("observedGeneration", c.getObservedGeneration());
      entry.put("lastTransitionTime",
          c.getLastTransitionTime().truncatedTo(ChronoUnit.SECONDS).toString());
      entry.put("reason", c.getReason());
      entry.put("message", c.getMessage());
      out.add(entry);
    }
    return out;
  }
}
