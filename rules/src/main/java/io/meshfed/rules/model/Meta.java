package io.meshfed.rules.model;

import java.time.Instant;
import java.util.Comparator;
import java.util.Map;

/**
 * Metadata of a federation resource.
 *
 * @param id kind, namespace, name
 * @param uid Kubernetes uid
 * @param generation metadata.generation
 * @param created creationTimestamp; the oldest resource wins conflicts
 * @param labels metadata.labels, which policies select destinations by
 */
public record Meta(ResourceId id, String uid, long generation, Instant created,
    Map<String, String> labels) {

  /** Oldest first; ties broken by kind, namespace and name so the order is total. */
  public static final Comparator<Meta> OLDEST_FIRST =
      Comparator.comparing(Meta::created).thenComparing(Meta::id);

  public Meta {
    labels = Map.copyOf(labels);
  }

  public static Meta of(ResourceId id, String uid, long generation, Instant created) {
    return new Meta(id, uid, generation, created, Map.of());
  }
}
