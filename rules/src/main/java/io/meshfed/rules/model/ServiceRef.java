package io.meshfed.rules.model;

import java.util.Comparator;
import java.util.Objects;

/** A Kubernetes service in a named cluster. Prints as {@code cluster/namespace/name}. */
public record ServiceRef(String cluster, String namespace, String name)
    implements Comparable<ServiceRef> {

  private static final Comparator<ServiceRef> ORDER = Comparator.comparing(ServiceRef::cluster)
      .thenComparing(ServiceRef::namespace).thenComparing(ServiceRef::name);

  public ServiceRef {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
  }

  @Override
  public int compareTo(ServiceRef other) {
    return ORDER.compare(this, other);
  }

  @Override
  public String toString() {
    return cluster + "/" + namespace + "/" + name;
  }
}
