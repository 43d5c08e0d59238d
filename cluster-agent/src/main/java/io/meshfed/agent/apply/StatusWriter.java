package io.meshfed.agent.apply;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.agent.publish.ClusterPublisher;
import io.meshfed.avro.ClusterApplyStatus;
import io.meshfed.avro.PolicyStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the {@code PolicyStatus} the topology computed into the resource's status subresource
 * (Service Mesh Hub's shape: observedGeneration, state, validationErrors, per-cluster results,
 * plus selected backing services). A status for an older uid (the resource was deleted and
 * re-created) or for a resource that is gone is skipped.
 */
public final class StatusWriter implements Consumer<SpecificRecord> {

  private static final Logger LOG = LoggerFactory.getLogger(StatusWriter.class);
  private final KubernetesClient client;

  public StatusWriter(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public void accept(SpecificRecord record) {
    if (!(record instanceof PolicyStatus status)) {
      return;
    }
    var ref = status.getResource();
    var ops = client.genericKubernetesResources(ClusterPublisher.crd(ref.getKind()))
        .inNamespace(ref.getNamespace()).withName(ref.getName());
    try {
      GenericKubernetesResource live = ops.get();
      if (live == null || (!status.getUid().isEmpty()
          && !status.getUid().equals(live.getMetadata().getUid()))) {
        return;
      }
      live.setAdditionalProperty("status", toMap(status));
      client.genericKubernetesResources(ClusterPublisher.crd(ref.getKind()))
          .inNamespace(ref.getNamespace()).resource(live).updateStatus();
    } catch (RuntimeException e) {
      LOG.warn("could not write status of {}/{}/{}: {}", ref.getKind(), ref.getNamespace(),
          ref.getName(), e.toString());
    }
  }

  static Map<String, Object> toMap(PolicyStatus s) {
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
      clusters.put(c.getCluster(), entry);
    }
    out.put("clusters", clusters);
    out.put("numSelectedBackingServices", s.getNumSelectedBackingServices());
    out.put("selectedBackingServices", s.getSelectedBackingServices().stream()
        .map(b -> b.getClusterName() + "/" + b.getNamespace() + "/" + b.getName()).toList());
    return out;
  }
}
