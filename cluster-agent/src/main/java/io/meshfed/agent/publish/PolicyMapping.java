package io.meshfed.agent.publish;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.meshfed.avro.ClientModeSpec;
import io.meshfed.avro.ClusterObjectRef;
import io.meshfed.avro.ClusterWeight;
import io.meshfed.avro.FailoverPolicySpec;
import io.meshfed.avro.FailoverServiceSpec;
import io.meshfed.avro.ObjectSelector;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.OutlierDetectionPolicySpec;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PortMapping;
import io.meshfed.avro.PortSpec;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.TargetPort;
import io.meshfed.avro.TierOrdering;
import io.meshfed.avro.VirtualDestinationSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A meshfed custom resource as the API server returns it → the {@code PolicyEvent} the agent
 * publishes. Deliberately lenient: a value of the wrong type becomes "missing", and meshfed's
 * validation (in the topology) then names the field in the resource's status — the agent never
 * silently drops a resource it cannot read.
 *
 * <p>Lenient is not silent for numbers: {@link #numberProblems} names each number that was
 * written but cannot be read (not a whole number, or out of the field's range), so
 * {@code meshfed apply} can refuse the file with what was written, rather than letting
 * validation report the fallback value ({@code -1 is outside the port range}). An out-of-range
 * number maps to the fallback too, never to a wrapped-around value.
 */
public final class PolicyMapping {

  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

  private PolicyMapping() {}

  public static PolicyEvent toEvent(ResourceKind kind, GenericKubernetesResource r) {
    Object avroSpec = spec(kind, r, new ArrayList<>());
    var meta = r.getMetadata();
    return PolicyEvent.newBuilder()
        .setKind(kind)
        .setNamespace(meta.getNamespace())
        .setName(meta.getName())
        .setUid(meta.getUid() == null ? "" : meta.getUid())
        .setGeneration(meta.getGeneration() == null ? 0 : meta.getGeneration())
        .setCreationTimestamp(meta.getCreationTimestamp() == null ? Instant.EPOCH
            : Instant.parse(meta.getCreationTimestamp()))
        .setLabels(meta.getLabels() == null ? Map.of() : meta.getLabels())
        .setSpec(avroSpec)
        .build();
  }

  /**
   * Each number field of {@code r} that holds something other than a whole number in the field's
   * range, as a sentence naming the field and what was written, e.g.
   * {@code spec.port.number: "abc" is not an integer}; empty when every number reads.
   */
  public static List<String> numberProblems(ResourceKind kind, GenericKubernetesResource r) {
    List<String> problems = new ArrayList<>();
    spec(kind, r, problems);
    return problems;
  }

  private static Object spec(ResourceKind kind, GenericKubernetesResource r,
      List<String> problems) {
    Map<String, Object> spec = map(r.getAdditionalProperties().get("spec"));
    return switch (kind) {
      case FailoverService -> failoverService(spec, problems);
      case VirtualDestination -> virtualDestination(spec, problems);
      case FailoverPolicy -> failoverPolicy(spec, problems);
      case OutlierDetectionPolicy -> outlierPolicy(spec, problems);
      default -> throw new IllegalArgumentException("not a meshfed kind: " + kind);
    };
  }

  static FailoverServiceSpec failoverService(Map<String, Object> spec, List<String> problems) {
    Map<String, Object> port = map(spec.get("port"));
    List<ClusterObjectRef> backing = new ArrayList<>();
    for (Object item : list(spec.get("backingServices"))) {
      Map<String, Object> kube = map(map(item).get("kubeService"));
      backing.add(new ClusterObjectRef(string(kube.get("name")), string(kube.get("namespace")),
          string(kube.get("clusterName"))));
    }
    List<String> meshes = new ArrayList<>();
    for (Object mesh : list(spec.get("meshes"))) {
      Object name = mesh instanceof Map<?, ?> m ? m.get("name") : mesh;
      if (name != null) {
        meshes.add(name.toString());
      }
    }
    Object threshold = spec.get("failoverThresholdPercent");
    return FailoverServiceSpec.newBuilder()
        .setHostname(nullableString(spec.get("hostname")))
        .setPort(port.isEmpty() ? null : new PortSpec(
            number(port.get("number"), -1L, "spec.port.number", problems),
            string(port.get("protocol"))))
        .setMeshes(meshes)
        .setClusters(strings(spec.get("clusters")))
        .setBackingServices(backing)
        .setFailoverThresholdPercent(threshold == null ? null
            : integer(threshold, -1, "spec.failoverThresholdPercent", problems))
        .build();
  }

  static VirtualDestinationSpec virtualDestination(Map<String, Object> spec,
      List<String> problems) {
    List<PortMapping> ports = new ArrayList<>();
    List<?> items = list(spec.get("ports"));
    for (int i = 0; i < items.size(); i++) {
      Map<String, Object> p = map(items.get(i));
      Map<String, Object> target = map(p.get("targetPort"));
      String field = "spec.ports[" + i + "]";
      ports.add(new PortMapping(number(p.get("number"), -1L, field + ".number", problems),
          string(p.get("protocol")), target.isEmpty() ? null : new TargetPort(
              target.containsKey("number") ? number(target.get("number"), -1L,
                  field + ".targetPort.number", problems) : null,
              nullableString(target.get("name")))));
    }
    return VirtualDestinationSpec.newBuilder()
        .setHosts(strings(spec.get("hosts")))
        .setServices(selectors(spec.get("services")))
        .setExternalServices(selectors(spec.get("externalServices")))
        .setExternalWorkloads(selectors(spec.get("externalWorkloads")))
        .setPorts(ports)
        .setClusters(strings(spec.get("clusters")))
        .setClientMode(clientMode(spec))
        .build();
  }

  /**
   * Gloo's {@code clientMode} oneof as written: the names of the members set, null when the
   * field is absent. A value that is not an object sets none, which validation reports.
   */
  static ClientModeSpec clientMode(Map<String, Object> spec) {
    if (!spec.containsKey("clientMode")) {
      return null;
    }
    return new ClientModeSpec(List.copyOf(map(spec.get("clientMode")).keySet()));
  }

  static FailoverPolicySpec failoverPolicy(Map<String, Object> spec, List<String> problems) {
    List<ClusterWeight> weights = new ArrayList<>();
    map(spec.get("weights")).forEach((cluster, weight) -> weights.add(new ClusterWeight(cluster,
        integer(weight, 0, "spec.weights." + cluster, problems))));
    TierOrdering ordering;
    try {
      ordering = TierOrdering.valueOf(string(spec.getOrDefault("ordering", "LOCALITY"))
          .toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      ordering = TierOrdering.LOCALITY;
    }
    Object threshold = spec.get("failoverThresholdPercent");
    return FailoverPolicySpec.newBuilder()
        .setDestinations(selectors(spec.get("destinations")))
        .setOrdering(ordering)
        .setPriorityLabels(strings(spec.get("priorityLabels")))
        .setClusterOrder(strings(spec.get("clusterOrder")))
        .setWeights(weights)
        .setFailoverThresholdPercent(threshold == null ? null
            : integer(threshold, -1, "spec.failoverThresholdPercent", problems))
        .setMinHealthyDurationMillis(durationMillis(spec.get("minHealthyDuration")))
        .build();
  }

  static OutlierDetectionPolicySpec outlierPolicy(Map<String, Object> spec,
      List<String> problems) {
    Map<String, Object> o = map(spec.get("outlierDetection"));
    return new OutlierDetectionPolicySpec(selectors(spec.get("destinations")),
        new OutlierDetection(
            o.containsKey("consecutiveErrors") ? integer(o.get("consecutiveErrors"), 0,
                "spec.outlierDetection.consecutiveErrors", problems) : null,
            durationMillis(o.get("interval")),
            durationMillis(o.get("baseEjectionTime")),
            o.containsKey("maxEjectionPercent")
                ? integer(o.get("maxEjectionPercent"), -1,
                    "spec.outlierDetection.maxEjectionPercent", problems) : null));
  }

  /** Go-style durations as Istio writes them: {@code 500ms}, {@code 10s}, {@code 1m}. */
  static Long durationMillis(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof Number n) {
      return n.longValue();
    }
    Matcher m = DURATION.matcher(value.toString().trim());
    if (!m.matches()) {
      return -1L; // reported by validation as not positive
    }
    double amount = Double.parseDouble(m.group(1));
    long unit = switch (m.group(2)) {
      case "ms" -> 1;
      case "s" -> 1_000;
      case "m" -> 60_000;
      default -> 3_600_000;
    };
    return Math.round(amount * unit);
  }

  private static List<ObjectSelector> selectors(Object value) {
    List<ObjectSelector> out = new ArrayList<>();
    for (Object item : list(value)) {
      Map<String, Object> s = map(item);
      Map<String, String> labels = new LinkedHashMap<>();
      map(s.get("labels")).forEach((k, v) -> labels.put(k, String.valueOf(v)));
      out.add(ObjectSelector.newBuilder().setLabels(labels)
          .setName(nullableString(s.get("name"))).setNamespace(nullableString(s.get("namespace")))
          .setCluster(nullableString(s.get("cluster"))).build());
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private static List<?> list(Object value) {
    return value instanceof List<?> l ? l : List.of();
  }

  private static List<String> strings(Object value) {
    return list(value).stream().map(String::valueOf).toList();
  }

  private static String string(Object value) {
    return value == null ? "" : value.toString();
  }

  private static String nullableString(Object value) {
    return value == null ? null : value.toString();
  }

  /**
   * A whole number within {@code long}, or {@code fallback} with a problem naming {@code field}
   * and what was written: text that is not an integer, a fraction, or a number out of range
   * (YAML reads {@code 99999999999999999999} as a BigInteger, whose longValue() wraps around).
   */
  private static Long number(Object value, Long fallback, String field, List<String> problems) {
    Long n = whole(value, Long.MIN_VALUE, Long.MAX_VALUE, field, problems);
    return n == null ? fallback : n;
  }

  /** As {@link #number}, within {@code int}: the Avro field is an int. */
  private static int integer(Object value, int fallback, String field, List<String> problems) {
    Long n = whole(value, Integer.MIN_VALUE, Integer.MAX_VALUE, field, problems);
    return n == null ? fallback : n.intValue();
  }

  private static Long whole(Object value, long min, long max, String field,
      List<String> problems) {
    if (value == null) {
      return null;
    }
    String text = value.toString().trim();
    // A value's excerpt, never all of it: a 3 MB "number" must not become a 3 MB message (nor
    // a 3 MB BigDecimal, whose parsing is quadratic); no long in range needs 40 characters.
    String shown = text.length() > 40 ? text.substring(0, 40) + "… (" + text.length()
        + " characters)" : text;
    if (text.length() > 40) {
      problems.add(field + ": \"" + shown + "\" is not an integer in range (" + min + " to "
          + max + ")");
      return null;
    }
    java.math.BigDecimal exact;
    try {
      exact = new java.math.BigDecimal(text);
    } catch (NumberFormatException e) {
      problems.add(field + ": \"" + shown + "\" is not an integer");
      return null;
    }
    if (exact.stripTrailingZeros().scale() > 0) {
      problems.add(field + ": " + shown + " is not an integer");
      return null;
    }
    if (exact.compareTo(java.math.BigDecimal.valueOf(min)) < 0
        || exact.compareTo(java.math.BigDecimal.valueOf(max)) > 0) {
      problems.add(field + ": " + shown + " is out of range (" + min + " to " + max + ")");
      return null;
    }
    return exact.longValueExact();
  }
}
