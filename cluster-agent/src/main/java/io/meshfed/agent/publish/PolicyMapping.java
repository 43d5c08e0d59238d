package io.meshfed.agent.publish;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
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
 */
public final class PolicyMapping {

  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

  private PolicyMapping() {}

  public static PolicyEvent toEvent(ResourceKind kind, GenericKubernetesResource r) {
    Map<String, Object> spec = map(r.getAdditionalProperties().get("spec"));
    Object avroSpec = switch (kind) {
      case FailoverService -> failoverService(spec);
      case VirtualDestination -> virtualDestination(spec);
      case FailoverPolicy -> failoverPolicy(spec);
      case OutlierDetectionPolicy -> outlierPolicy(spec);
      default -> throw new IllegalArgumentException("not a meshfed kind: " + kind);
    };
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

  static FailoverServiceSpec failoverService(Map<String, Object> spec) {
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
    return FailoverServiceSpec.newBuilder()
        .setHostname(nullableString(spec.get("hostname")))
        .setPort(port.isEmpty() ? null : new PortSpec(number(port.get("number"), -1L),
            string(port.get("protocol"))))
        .setMeshes(meshes)
        .setClusters(strings(spec.get("clusters")))
        .setBackingServices(backing)
        .build();
  }

  static VirtualDestinationSpec virtualDestination(Map<String, Object> spec) {
    List<PortMapping> ports = new ArrayList<>();
    for (Object item : list(spec.get("ports"))) {
      Map<String, Object> p = map(item);
      Map<String, Object> target = map(p.get("targetPort"));
      ports.add(new PortMapping(number(p.get("number"), -1L), string(p.get("protocol")),
          target.isEmpty() ? null : new TargetPort(target.containsKey("number")
              ? number(target.get("number"), -1L) : null, nullableString(target.get("name")))));
    }
    return VirtualDestinationSpec.newBuilder()
        .setHosts(strings(spec.get("hosts")))
        .setServices(selectors(spec.get("services")))
        .setExternalServices(selectors(spec.get("externalServices")))
        .setExternalWorkloads(selectors(spec.get("externalWorkloads")))
        .setPorts(ports)
        .setClusters(strings(spec.get("clusters")))
        .build();
  }

  static FailoverPolicySpec failoverPolicy(Map<String, Object> spec) {
    List<ClusterWeight> weights = new ArrayList<>();
    map(spec.get("weights")).forEach((cluster, weight) ->
        weights.add(new ClusterWeight(cluster, number(weight, 0L).intValue())));
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
            : number(threshold, -1L).intValue())
        .setMinHealthyDurationMillis(durationMillis(spec.get("minHealthyDuration")))
        .build();
  }

  static OutlierDetectionPolicySpec outlierPolicy(Map<String, Object> spec) {
    Map<String, Object> o = map(spec.get("outlierDetection"));
    return new OutlierDetectionPolicySpec(selectors(spec.get("destinations")),
        new OutlierDetection(
            o.containsKey("consecutiveErrors") ? number(o.get("consecutiveErrors"), 0L).intValue()
                : null,
            durationMillis(o.get("interval")),
            durationMillis(o.get("baseEjectionTime")),
            o.containsKey("maxEjectionPercent")
                ? number(o.get("maxEjectionPercent"), -1L).intValue() : null));
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

  private static Long number(Object value, Long fallback) {
    if (value instanceof Number n) {
      return n.longValue();
    }
    try {
      return value == null ? fallback : Long.parseLong(value.toString().trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}
