package io.meshfed.agent.apply;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshfed.agent.apply.ConfigApplier.ObjectKind;
import io.meshfed.avro.ResourceRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the cluster hold exactly the desired objects of one destination: creates what is
 * missing, updates what differs (PUT with the {@code resourceVersion} it read — the mock API
 * server has no server-side apply, and a conflict is retried), deletes what it owns and no
 * longer wants, and leaves equal objects alone, so re-applying the same config writes nothing.
 * An object of the same name that the agent does not own is never touched: the apply fails
 * with a message saying so.
 */
public final class Reconciler {

  /** What one reconciliation did. */
  public record Result(int created, int updated, int deleted, int unchanged) {
    public int writes() {
      return created + updated + deleted;
    }

    Result plus(Result other) {
      return new Result(created + other.created, updated + other.updated,
          deleted + other.deleted, unchanged + other.unchanged);
    }
  }

  /** The apply cannot succeed as asked (a foreign object is in the way). */
  public static final class ConflictException extends RuntimeException {
    public ConflictException(String message) {
      super(message);
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

  private final KubernetesClient client;
  /** Optional kinds the API server answered 404 for; warned about once. */
  private final Set<String> unserved = ConcurrentHashMap.newKeySet();
  private final String namespace;
  private final List<ObjectKind> kinds;
  private final Backoff backoff;

  public Reconciler(KubernetesClient client, String namespace, List<ObjectKind> kinds,
      Backoff backoff) {
    this.client = client;
    this.namespace = namespace;
    this.kinds = List.copyOf(kinds);
    this.backoff = backoff;
  }

  public Result reconcile(ResourceRef destination, List<GenericKubernetesResource> desired)
      throws Exception {
    Result total = new Result(0, 0, 0, 0);
    Map<String, String> ours = Ownership.labels(destination);
    for (ObjectKind kind : kinds) {
      var ops = client.genericKubernetesResources(context(kind)).inNamespace(namespace);
      Map<String, GenericKubernetesResource> owned = new HashMap<>();
      List<GenericKubernetesResource> listed = list(kind,
          () -> ops.withLabels(ours).list().getItems());
      if (listed == null) {
        continue;
      }
      listed.stream()
          // Checked here too: ownership must not depend on the server honouring the selector.
          .filter(r -> r.getMetadata().getLabels() != null
              && r.getMetadata().getLabels().entrySet().containsAll(ours.entrySet()))
          .forEach(r -> owned.put(r.getMetadata().getName(), r));
      total = total.plus(reconcileKind(kind, desired, owned, null));
    }
    return total;
  }

  /**
   * Reconciles many destinations at once, as after reading the config topic from the start:
   * one LIST per kind instead of one per destination, and every owned object of a destination
   * not in {@code desired} is pruned. Failures are reported per destination, not thrown.
   */
  public Map<ResourceRef, Exception> reconcileAll(
      Map<ResourceRef, List<GenericKubernetesResource>> desired) throws Exception {
    Map<ResourceRef, Exception> failures = new LinkedHashMap<>();
    Map<String, ResourceRef> byId = new HashMap<>();
    desired.keySet().forEach(ref -> byId.put(Ownership.destinationId(ref), ref));
    for (ObjectKind kind : kinds) {
      var ops = client.genericKubernetesResources(context(kind)).inNamespace(namespace);
      Map<String, GenericKubernetesResource> existing = new HashMap<>();
      List<GenericKubernetesResource> listed = list(kind, () -> ops.list().getItems());
      if (listed == null) {
        continue;
      }
      listed.forEach(r -> existing.put(r.getMetadata().getName(), r));
      Map<String, Map<String, GenericKubernetesResource>> ownedById = new HashMap<>();
      for (GenericKubernetesResource r : existing.values()) {
        if (Ownership.isOwned(r.getMetadata().getLabels())) {
          String id = r.getMetadata().getLabels().get(Ownership.DESTINATION_LABEL);
          ownedById.computeIfAbsent(id, k -> new HashMap<>()).put(r.getMetadata().getName(), r);
        }
      }
      for (var entry : desired.entrySet()) {
        String id = Ownership.destinationId(entry.getKey());
        try {
          reconcileKind(kind, entry.getValue(),
              ownedById.getOrDefault(id, new HashMap<>()), existing);
        } catch (Exception e) {
          failures.put(entry.getKey(), e);
        }
        ownedById.remove(id);
      }
      for (Map<String, GenericKubernetesResource> orphans : ownedById.values()) {
        for (String name : orphans.keySet()) {
          backoff.run(() -> ops.withName(name).delete(), Backoff::retryable);
        }
      }
    }
    return failures;
  }

  /**
   * One kind of one destination: {@code owned} are its objects by name (consumed);
   * {@code existing}, when known, is every object of the kind by name (saves a GET per new
   * object to rule out a foreign one).
   */
  private Result reconcileKind(ObjectKind kind, List<GenericKubernetesResource> desired,
      Map<String, GenericKubernetesResource> owned,
      Map<String, GenericKubernetesResource> existing) throws Exception {
    var ops = client.genericKubernetesResources(context(kind)).inNamespace(namespace);
    int created = 0;
    int updated = 0;
    int deleted = 0;
    int unchanged = 0;
    for (GenericKubernetesResource want : desired) {
      if (!want.getKind().equals(kind.kind())) {
        continue;
      }
      String name = want.getMetadata().getName();
      GenericKubernetesResource have = owned.remove(name);
      if (have == null) {
        GenericKubernetesResource foreign = existing != null ? existing.get(name)
            : backoff.run(() -> ops.withName(name).get(), Backoff::retryable);
        if (foreign != null && !Ownership.isOwned(foreign.getMetadata().getLabels())) {
          throw new ConflictException(kind.kind() + " " + namespace + "/" + name
              + " exists and is not managed by meshfed (no " + Ownership.MANAGED_BY_LABEL + "="
              + Ownership.MANAGED_BY_VALUE + " label); it is left alone");
        }
        if (foreign == null) {
          foreign = create(ops, want);
          if (foreign == null) {
            created++;
            continue;
          }
          if (!Ownership.isOwned(foreign.getMetadata().getLabels())) {
            throw new ConflictException(kind.kind() + " " + namespace + "/" + name
                + " was created meanwhile by someone else (no " + Ownership.MANAGED_BY_LABEL
                + "=" + Ownership.MANAGED_BY_VALUE + " label); it is left alone");
          }
        }
        have = foreign;
      }
      if (holds(have, want)) {
        unchanged++;
      } else {
        backoff.run(() -> {
          // Re-read on every try: a 409 means someone else wrote in between.
          GenericKubernetesResource latest = ops.withName(name).get();
          return ops.resource(merge(latest, want)).update();
        }, Backoff::retryable);
        updated++;
      }
    }
    for (String stale : owned.keySet()) {
      backoff.run(() -> ops.withName(stale).delete(), Backoff::retryable);
      deleted++;
    }
    return new Result(created, updated, deleted, unchanged);
  }

  /** Whether every field the agent sets already has the wanted value. */
  static boolean holds(GenericKubernetesResource have, GenericKubernetesResource want) {
    return contains(have.getMetadata().getLabels(), want.getMetadata().getLabels())
        && contains(have.getMetadata().getAnnotations(), want.getMetadata().getAnnotations())
        && contains(have.getAdditionalProperties(), want.getAdditionalProperties());
  }

  @SuppressWarnings("unchecked")
  private static boolean contains(Object have, Object want) {
    if (want instanceof Map<?, ?> wantMap) {
      if (!(have instanceof Map<?, ?> haveMap)) {
        return wantMap.isEmpty() && have == null;
      }
      for (var e : wantMap.entrySet()) {
        if (!contains(haveMap.get(e.getKey()), e.getValue())) {
          return false;
        }
      }
      return true;
    }
    if (want instanceof List<?> wantList) {
      if (!(have instanceof List<?> haveList) || haveList.size() != wantList.size()) {
        return false;
      }
      for (int i = 0; i < wantList.size(); i++) {
        if (!contains(haveList.get(i), wantList.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (want instanceof Number w && have instanceof Number h) {
      return w.doubleValue() == h.doubleValue();
    }
    return Objects.equals(have, want);
  }

  /** The live object with the agent's fields laid over it (server-set fields survive). */
  @SuppressWarnings("unchecked")
  static GenericKubernetesResource merge(GenericKubernetesResource live,
      GenericKubernetesResource want) {
    GenericKubernetesResource out = new GenericKubernetesResource();
    out.setApiVersion(want.getApiVersion());
    out.setKind(want.getKind());
    out.setMetadata(live.getMetadata());
    Map<String, String> labels = new LinkedHashMap<>(
        Objects.requireNonNullElse(live.getMetadata().getLabels(), Map.of()));
    labels.putAll(want.getMetadata().getLabels());
    out.getMetadata().setLabels(labels);
    Map<String, String> annotations = new LinkedHashMap<>(
        Objects.requireNonNullElse(live.getMetadata().getAnnotations(), Map.of()));
    annotations.putAll(Objects.requireNonNullElse(want.getMetadata().getAnnotations(), Map.of()));
    out.getMetadata().setAnnotations(annotations);
    Map<String, Object> props = new LinkedHashMap<>(live.getAdditionalProperties());
    want.getAdditionalProperties().forEach((k, v) -> props.put(k, deepMerge(props.get(k), v)));
    props.forEach(out::setAdditionalProperty);
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Object deepMerge(Object live, Object want) {
    if (live instanceof Map<?, ?> l && want instanceof Map<?, ?> w) {
      Map<String, Object> merged = new LinkedHashMap<>((Map<String, Object>) l);
      ((Map<String, Object>) w).forEach((k, v) -> merged.put(k, deepMerge(merged.get(k), v)));
      return merged;
    }
    return want;
  }

  /**
   * Lists a kind; null when the kind is optional and the API server does not serve it (404:
   * its CRD is not installed), so the other kinds are still applied.
   */
  private List<GenericKubernetesResource> list(ObjectKind kind,
      Callable<List<GenericKubernetesResource>> list) throws Exception {
    try {
      List<GenericKubernetesResource> items = backoff.run(list, Backoff::retryable);
      unserved.remove(kind.apiVersion() + "/" + kind.kind());
      return items;
    } catch (KubernetesClientException e) {
      if (kind.optional() && e.getCode() == 404) {
        if (unserved.add(kind.apiVersion() + "/" + kind.kind())) {
          LOG.warn("{} {} is not served by this cluster (is its CRD installed?); not writing it",
              kind.apiVersion(), kind.kind());
        }
        return null;
      }
      throw e;
    }
  }

  /**
   * Creates {@code want}; null when created, or the object that is already there (409
   * AlreadyExists). A create is not retried on 409: the object exists — often because an
   * earlier try of this very create was done by the server although its answer never came (a
   * timeout) — and no retry can change that; it is read and updated instead.
   */
  private GenericKubernetesResource create(
      io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
          io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
          io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> ops,
      GenericKubernetesResource want) throws Exception {
    String name = want.getMetadata().getName();
    try {
      backoff.run(() -> ops.resource(want).create(),
          e -> Backoff.retryable(e) && ((KubernetesClientException) e).getCode() != 409);
      return null;
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      GenericKubernetesResource there =
          backoff.run(() -> ops.withName(name).get(), Backoff::retryable);
      if (there == null) {
        throw e; // gone again in between: the next reconcile creates it
      }
      return there;
    }
  }

  static ResourceDefinitionContext context(ObjectKind kind) {
    return contextFor(kind);
  }

  /** How the client addresses objects of this kind (no discovery needed). */
  public static ResourceDefinitionContext contextFor(ObjectKind kind) {
    return new ResourceDefinitionContext.Builder()
        .withGroup(kind.group())
        .withVersion(kind.version())
        .withKind(kind.kind())
        .withPlural(kind.plural())
        .withNamespaced(true)
        .build();
  }

  /** All objects of every kind this reconciler manages, for pruning destinations gone away. */
  public List<GenericKubernetesResource> allOwned() throws Exception {
    List<GenericKubernetesResource> out = new ArrayList<>();
    for (ObjectKind kind : kinds) {
      List<GenericKubernetesResource> listed = list(kind, () ->
          client.genericKubernetesResources(context(kind)).inNamespace(namespace)
              .withLabel(Ownership.MANAGED_BY_LABEL, Ownership.MANAGED_BY_VALUE).list()
              .getItems());
      if (listed != null) {
        out.addAll(listed.stream()
            .filter(r -> Ownership.isOwned(r.getMetadata().getLabels())).toList());
      }
    }
    return out;
  }
}
