package io.meshfed.rules.model;

import java.util.Map;

/**
 * An ObjectSelector: every field that is set must match; a null field or empty label map
 * matches anything.
 */
public record Selector(Map<String, String> labels, String name, String namespace, String cluster) {

  public Selector {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }

  public static Selector byLabels(Map<String, String> labels) {
    return new Selector(labels, null, null, null);
  }

  public boolean matches(Service service) {
    return matches(service.labels(), service.ref().name(), service.ref().namespace(),
        service.ref().cluster());
  }

  /** Matches a destination resource; the cluster field does not apply to resources. */
  public boolean matches(Meta resource) {
    return matches(resource.labels(), resource.id().name(), resource.id().namespace(), null);
  }

  private boolean matches(Map<String, String> objectLabels, String objectName,
      String objectNamespace, String objectCluster) {
    if (name != null && !name.equals(objectName)) {
      return false;
    }
    if (namespace != null && !namespace.equals(objectNamespace)) {
      return false;
    }
    if (cluster != null && objectCluster != null && !cluster.equals(objectCluster)) {
      return false;
    }
    return labels.entrySet().stream()
        .allMatch(e -> e.getValue().equals(objectLabels.get(e.getKey())));
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("{");
    if (!labels.isEmpty()) {
      text.append("labels=").append(labels);
    }
    append(text, "name", name);
    append(text, "namespace", namespace);
    append(text, "cluster", cluster);
    return text.append('}').toString();
  }

  private static void append(StringBuilder text, String field, String value) {
    if (value != null) {
      text.append(text.length() > 1 ? ", " : "").append(field).append('=').append(value);
    }
  }
}
