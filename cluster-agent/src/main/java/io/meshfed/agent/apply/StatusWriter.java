package io.meshfed.agent.apply;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshfed.agent.publish.ClusterPublisher;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.schema.StatusDocument;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the {@code PolicyStatus} the topology computed into the resource's status subresource,
 * as a {@link StatusDocument}. A status for an older uid (the resource was deleted and
 * re-created) or for a resource that is gone is skipped. Like every API call of the agent, a
 * write is retried through {@link Backoff} (409, 429 with its Retry-After, 5xx, no answer):
 * it used to be tried once, and a status the API server answered 429 or 500 was lost until
 * the topology wrote another (found by the fault suite's api-faults class).
 */
public final class StatusWriter implements Consumer<SpecificRecord> {

  private static final Logger LOG = LoggerFactory.getLogger(StatusWriter.class);
  private final KubernetesClient client;
  private final Backoff backoff;

  public StatusWriter(KubernetesClient client) {
    this(client, Backoff.STATUS);
  }

  public StatusWriter(KubernetesClient client, Backoff backoff) {
    this.client = client;
    this.backoff = backoff;
  }

  @Override
  public void accept(SpecificRecord record) {
    if (!(record instanceof PolicyStatus status)) {
      return;
    }
    var ref = status.getResource();
    try {
      write(client, ClusterPublisher.crd(ref.getKind()), ref.getNamespace(), ref.getName(),
          live -> status.getUid().isEmpty() || status.getUid().equals(
              live.getMetadata().getUid()), StatusDocument.of(status), backoff);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.warn("could not write status of {}/{}/{}: {}", ref.getKind(), ref.getNamespace(),
          ref.getName(), e.toString());
    }
  }

  /**
   * Writes {@code status} into the status subresource of {@code namespace/name}, read again on
   * every try (a 409 means someone wrote in between) and retried through {@code backoff};
   * false when the object is gone or {@code applies} refuses it (another uid).
   */
  public static boolean write(KubernetesClient client, ResourceDefinitionContext crd,
      String namespace, String name, Predicate<GenericKubernetesResource> applies,
      Object status, Backoff backoff) throws Exception {
    var ops = client.genericKubernetesResources(crd).inNamespace(namespace);
    return backoff.run(() -> {
      GenericKubernetesResource live = ops.withName(name).get();
      if (live == null || !applies.test(live)) {
        return false;
      }
      live.setAdditionalProperty("status", status);
      ops.resource(live).updateStatus();
      return true;
    }, Backoff::retryable);
  }
}
