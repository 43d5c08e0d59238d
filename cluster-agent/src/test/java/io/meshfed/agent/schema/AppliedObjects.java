package io.meshfed.agent.schema;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a real API server would say of the objects an applier writes: for Istio, Istio's
 * published networking.istio.io/v1 CRD schemas with their CEL rules ({@link IstioCel}) plus the
 * checks of Istio's validation webhook that the schema does not carry; for the Kubernetes
 * applier, the API server's own rules ({@link KubeRules}) and the published mcs-api schema for
 * ServiceImport. Shared by the appliers' tests and by the end-to-end tests of other modules
 * (this module's test jar), which check the objects the agents of a running stack wrote.
 */
public final class AppliedObjects {

  private static final Crds ISTIO = fromClasspath("/istio/networking-v1-crds.yaml");
  private static final Crds MCS = fromClasspath("/mcs-api/serviceimports.yaml");
  /** Protocols Istio's webhook accepts on a ServiceEntry port (pkg/config/protocol). */
  private static final Set<String> ISTIO_PROTOCOLS = Set.of("HTTP", "HTTPS", "GRPC", "GRPC-WEB",
      "HTTP2", "MONGO", "TCP", "TLS", "UDP", "REDIS", "MYSQL", "HBONE");

  private AppliedObjects() {}

  private static Crds fromClasspath(String resource) {
    try (InputStream in = Objects.requireNonNull(AppliedObjects.class.getResourceAsStream(
        resource), resource + " is not on the test classpath")) {
      return Crds.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every Istio object as the API server (Istio's CRD schema) and webhook would judge it. */
  @SuppressWarnings("unchecked")
  public static List<String> istioErrors(List<GenericKubernetesResource> objects) {
    List<String> errors = new ArrayList<>();
    for (GenericKubernetesResource o : objects) {
      Map<String, Object> map = Crds.asMap(o);
      String at = o.getKind() + " " + o.getMetadata().getName() + ": ";
      ISTIO.validate(map, new IstioCel()).forEach(e -> errors.add(at + e));
      KubeRules.metadata(map, false).forEach(e -> errors.add(at + e));
      Map<String, Object> spec = (Map<String, Object>) map.get("spec");
      if (o.getKind().equals("ServiceEntry")) {
        for (Map<String, Object> port : (List<Map<String, Object>>) spec.get("ports")) {
          if (!ISTIO_PROTOCOLS.contains(port.get("protocol"))) {
            errors.add(at + "unsupported protocol " + port.get("protocol"));
          }
        }
        for (Map<String, Object> e : (List<Map<String, Object>>) spec.getOrDefault("endpoints",
            List.of())) {
          String address = (String) e.get("address");
          if ("STATIC".equals(spec.get("resolution"))
              && !KubeRules.isIpv4(address) && !KubeRules.isIpv6(address)) {
            errors.add(at + "STATIC resolution needs IP endpoints, got " + address);
          }
          if (e.get("weight") instanceof Number w && w.longValue() == 0) {
            errors.add(at + "weight 0 reads as unset (1) in Istio: " + address);
          }
        }
        long total = ((List<Map<String, Object>>) spec.getOrDefault("endpoints", List.of()))
            .stream().mapToLong(e -> ((Number) e.get("weight")).longValue()).sum();
        if (total > 0xFFFF_FFFFL) {
          errors.add(at + "endpoint weights sum to " + total + ", over Envoy's uint32 limit");
        }
      }
    }
    return errors;
  }

  /** Every Kubernetes-applier object as the API server would judge it; empty when admitted. */
  public static List<String> kubernetesErrors(List<GenericKubernetesResource> objects) {
    List<String> errors = new ArrayList<>();
    for (GenericKubernetesResource o : objects) {
      Map<String, Object> map = Crds.asMap(o);
      String at = o.getKind() + " " + o.getMetadata().getName() + ": ";
      List<String> found = switch (o.getKind()) {
        case "Service" -> KubeRules.service(map);
        case "EndpointSlice" -> KubeRules.endpointSlice(map);
        case "ServiceImport" -> {
          List<String> e = new ArrayList<>(KubeRules.metadata(map, true));
          e.addAll(MCS.validate(map, StructuralValidator.NO_CEL));
          yield e;
        }
        default -> List.of("unexpected kind " + o.getKind());
      };
      found.forEach(e -> errors.add(at + e));
    }
    return errors;
  }
}
