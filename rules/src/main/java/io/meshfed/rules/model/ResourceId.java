package io.meshfed.rules.model;

import java.util.Comparator;
import java.util.Objects;

/** Identity of a federation resource: kind, namespace and name. Prints as {@code Kind/ns/name}. */
public record ResourceId(Kind kind, String namespace, String name) implements Comparable<ResourceId> {

  private static final Comparator<ResourceId> ORDER = Comparator.comparing(ResourceId::kind)
      .thenComparing(ResourceId::namespace).thenComparing(ResourceId::name);

  public ResourceId {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
  }

  /** Parses {@code Kind/namespace/name}. */
  public static ResourceId parse(String text) {
    String[] parts = text.split("/", -1);
    if (parts.length != 3 || parts[1].isEmpty() || parts[2].isEmpty()) {
      throw new IllegalArgumentException("resource id '" + text + "' is not Kind/namespace/name");
    }
    try {
      return new ResourceId(Kind.valueOf(parts[0]), parts[1], parts[2]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("resource id '" + text + "': unknown kind '" + parts[0]
          + "'");
    }
  }

  @Override
  public int compareTo(ResourceId other) {
    return ORDER.compare(this, other);
  }

  @Override
  public String toString() {
    return kind + "/" + namespace + "/" + name;
  }
}
