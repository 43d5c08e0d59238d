package io.meshfed.agent.lifecycle;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.rules.status.RestartEpochs;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's restart epoch ({@link RestartEpochs}), kept in the ConfigMap
 * {@value #NAME} of the agent's namespace: {@code epoch} and whether that start was
 * {@code announced} (its first heartbeat reached Kafka). A start that never announced failed,
 * and the next start reuses its epoch. The ConfigMap lives in the cluster because the epoch
 * must survive the pod; Kafka would do too, but reading back one key of a compacted events
 * topic costs a scan of the partition.
 *
 * <p>Without the ConfigMap (RBAC missing, API server away) the epoch is
 * {@link RestartEpochs#UNKNOWN}: nothing is fenced, the agent runs as before epochs existed.
 */
public final class RestartEpochStore {

  public static final String NAME = "meshfed-agent-restart-epoch";
  private static final Logger LOG = LoggerFactory.getLogger(RestartEpochStore.class);

  private final KubernetesClient client;
  private final String namespace;
  private final AtomicBoolean announced = new AtomicBoolean();
  private long epoch = RestartEpochs.UNKNOWN;

  public RestartEpochStore(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  /** Takes this start's epoch and records it as not yet announced. */
  public long begin() {
    try {
      ConfigMap last = client.configMaps().inNamespace(namespace).withName(NAME).get();
      long lastEpoch = RestartEpochs.UNKNOWN;
      boolean lastAnnounced = false;
      if (last != null && last.getData() != null) {
        try {
          lastEpoch = Long.parseLong(last.getData().getOrDefault("epoch", "-1"));
        } catch (NumberFormatException e) {
          LOG.warn("ConfigMap {}/{}: epoch {} is not a number; starting at 0", namespace, NAME,
              last.getData().get("epoch"));
        }
        lastAnnounced = "true".equals(last.getData().get("announced"));
      }
      long next = RestartEpochs.next(lastEpoch, lastAnnounced);
      write(last, next, false);
      epoch = next;
    } catch (RuntimeException e) {
      LOG.warn("could not record the agent's restart epoch in ConfigMap {}/{} ({}); acks are"
          + " not fenced", namespace, NAME, e.toString());
      epoch = RestartEpochs.UNKNOWN;
    }
    return epoch;
  }

  public long epoch() {
    return epoch;
  }

  /**
   * This start's epoch reached Kafka (first heartbeat sent): a later start takes the next one.
   * Once; called off the producer's I/O thread by the caller.
   */
  public void announced() {
    if (epoch < 0 || !announced.compareAndSet(false, true)) {
      return;
    }
    try {
      write(client.configMaps().inNamespace(namespace).withName(NAME).get(), epoch, true);
    } catch (RuntimeException e) {
      announced.set(false); // the next heartbeat tries again
      LOG.warn("could not mark restart epoch {} announced in ConfigMap {}/{}: {}", epoch,
          namespace, NAME, e.toString());
    }
  }

  private void write(ConfigMap existing, long value, boolean wasAnnounced) {
    Map<String, String> data = Map.of("epoch", Long.toString(value),
        "announced", Boolean.toString(wasAnnounced));
    var ops = client.configMaps().inNamespace(namespace);
    if (existing == null) {
      ops.resource(new ConfigMapBuilder().withNewMetadata().withName(NAME)
          .withNamespace(namespace).addToLabels("app.kubernetes.io/part-of", "meshfed")
          .endMetadata().withData(data).build()).create();
    } else {
      existing.setData(data);
      ops.resource(existing).update();
    }
  }
}
