package io.meshfed.agent.apply;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.ResourceKind;
import io.meshfed.rules.shift.Shift;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Istio applier plus the guide's TrafficPolicy {@code trafficShift}: for each shift to a
 * FailoverService, a {@code VirtualService} for the selected service's cluster-local host
 * routing every request (HTTP, HTTP2, GRPC) or connection (TCP, TLS, HTTPS, MONGO) to the
 * FailoverService's hostname and port, so clients keep calling {@code reviews} and reach the
 * FailoverService. The VirtualServices belong to the FailoverService's config (its ownership
 * labels): when the FailoverService's config leaves the cluster they are pruned with its
 * ServiceEntry, and clients call their own {@code reviews} again rather than a host nothing
 * resolves.
 */
public final class ShiftingApplier implements ConfigApplier {

  public static final ObjectKind VIRTUAL_SERVICE =
      new ObjectKind("networking.istio.io/v1", "VirtualService", "virtualservices");
  /** The TrafficPolicy a VirtualService comes from, for people. */
  public static final String POLICY_ANNOTATION = "meshfed.io/traffic-policy";

  private final ConfigApplier istio;
  private final TrafficShiftSource shifts;
  private final String namespace;

  public ShiftingApplier(ConfigApplier istio, TrafficShiftSource shifts, String namespace) {
    this.istio = istio;
    this.shifts = shifts;
    this.namespace = namespace;
  }

  @Override
  public List<ObjectKind> kinds() {
    List<ObjectKind> kinds = new ArrayList<>(istio.kinds());
    kinds.add(VIRTUAL_SERVICE);
    return kinds;
  }

  @Override
  public List<GenericKubernetesResource> desired(FederatedDestination fd) {
    List<GenericKubernetesResource> out = new ArrayList<>(istio.desired(fd));
    if (fd.getDestination().getKind() == ResourceKind.FailoverService) {
      shifts.configured(fd);
      for (Shift shift : shifts.shiftsTo(fd.getDestination())) {
        out.add(virtualService(fd, shift));
      }
    }
    return out;
  }

  @Override
  public String cannotServe(FederatedDestination fd) {
    return istio.cannotServe(fd);
  }

  @Override
  public void withdrawn(io.meshfed.avro.ResourceRef destination) {
    shifts.withdrawn(destination);
  }

  GenericKubernetesResource virtualService(FederatedDestination fd, Shift shift) {
    Map<String, Object> destination = new LinkedHashMap<>();
    destination.put("host", shift.target().hostname());
    destination.put("port", Map.of("number", shift.target().port()));
    Map<String, Object> route = new LinkedHashMap<>();
    if (shift.isHttp()) {
      route.put("name", "meshfed-traffic-shift");
    }
    route.put("route", List.of(Map.of("destination", destination)));
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("hosts", List.of(shift.sourceHost()));
    spec.put(shift.isHttp() ? "http" : "tcp", List.of(route));
    String raw = ("ts-" + shift.policy().replace('/', '-') + "-" + shift.service().namespace()
        + "-" + shift.service().name()).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    String name = raw.length() <= 63 ? raw
        : raw.substring(0, 54).replaceAll("-+$", "") + "-" + Ownership.hash(raw).substring(0, 8);
    GenericKubernetesResource vs = new GenericKubernetesResource();
    vs.setApiVersion(VIRTUAL_SERVICE.apiVersion());
    vs.setKind(VIRTUAL_SERVICE.kind());
    vs.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace)
        .withLabels(Ownership.labels(fd.getDestination()))
        .withAnnotations(Map.of(Ownership.DESTINATION_ANNOTATION,
            Ownership.destinationKey(fd.getDestination()), POLICY_ANNOTATION, shift.policy()))
        .build());
    vs.setAdditionalProperty("spec", spec);
    return vs;
  }
}
