package io.meshfed.agent.apply;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.agent.publish.ClusterPublisher;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.schema.StatusDocument;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the {@code PolicyStatus} the topology computed into the resource's status subresource,
 * as a {@link StatusDocument}. A status for an older uid (the resource was deleted and
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
      live.setAdditionalProperty("status", StatusDocument.of(status));
      client.genericKubernetesResources(ClusterPublisher.crd(ref.getKind()))
          .inNamespace(ref.getNamespace()).resource(live).updateStatus();
    } catch (RuntimeException e) {
      LOG.warn("could not write status of {}/{}/{}: {}", ref.getKind(), ref.getNamespace(),
          ref.getName(), e.toString());
    }
  }
}
