package io.meshfed.agent.apply;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.meshfed.avro.FederatedDestination;
import java.util.List;

/**
 * Turns a destination's desired config into the Kubernetes objects that realise it in this
 * cluster. {@link #desired} is a pure function; the {@link Reconciler} diffs and applies.
 */
public interface ConfigApplier {

  /** The kinds this applier writes, so the reconciler can find and prune what it owns. */
  List<ObjectKind> kinds();

  /** Every object the destination needs in this cluster, each labelled with its ownership. */
  List<GenericKubernetesResource> desired(FederatedDestination destination);

  /**
   * What of {@code destination} this applier writes but cannot serve in this cluster, as one
   * sentence for the ack (the destination's status shows it as this cluster's WARNING), or null
   * when it serves all of it. E.g. a clientMode whose guarantee its data plane cannot give.
   */
  default String cannotServe(FederatedDestination destination) {
    return null;
  }

  /** The destination's config left this cluster (its objects are being pruned). */
  default void withdrawn(io.meshfed.avro.ResourceRef destination) {}

  /**
   * A kind of object: API version, kind and plural. An {@code optional} kind is written only
   * where the cluster serves it (its CRD comes from another project, e.g. MCS's ServiceImport);
   * where it does not, the reconciler skips it with a warning instead of failing every apply.
   */
  record ObjectKind(String apiVersion, String kind, String plural, boolean optional) {

    public ObjectKind(String apiVersion, String kind, String plural) {
      this(apiVersion, kind, plural, false);
    }

    public String group() {
      int slash = apiVersion.indexOf('/');
      return slash < 0 ? "" : apiVersion.substring(0, slash);
    }

    public String version() {
      int slash = apiVersion.indexOf('/');
      return slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
    }
  }
}
