package io.meshfed.agent.apply;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.WeightedEndpoint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Istio ({@code networking.istio.io/v1}): one {@code ServiceEntry} per destination with the
 * hosts, ports and the endpoints that carry traffic (locality {@code region/zone}, the decided
 * weight), and one {@code DestinationRule} per host with the outlier detection and one subset
 * per failover tier, in order. meshfed decides failover itself and expresses it in the
 * weights, so Istio's own locality failover is switched off rather than left to second-guess
 * it. An endpoint with weight 0 is left out: Istio reads a weight of 0 as "unset", i.e. 1.
 */
public final class IstioApplier implements ConfigApplier {

  public static final ObjectKind SERVICE_ENTRY =
      new ObjectKind("networking.istio.io/v1", "ServiceEntry", "serviceentries");
  public static final ObjectKind DESTINATION_RULE =
      new ObjectKind("networking.istio.io/v1", "DestinationRule", "destinationrules");
  static final String TIER_LABEL = "meshfed.io/tier";
  static final String CLUSTER_LABEL = "meshfed.io/cluster";
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private final String namespace;

  public IstioApplier(String namespace) {
    this.namespace = namespace;
  }

  @Override
  public List<ObjectKind> kinds() {
    return List.of(SERVICE_ENTRY, DESTINATION_RULE);
  }

  @Override
  public List<GenericKubernetesResource> desired(FederatedDestination fd) {
    List<GenericKubernetesResource> out = new ArrayList<>();
    out.add(serviceEntry(fd));
    for (int i = 0; i < fd.getHosts().size(); i++) {
      out.add(destinationRule(fd, fd.getHosts().get(i), i));
    }
    return out;
  }

  private GenericKubernetesResource serviceEntry(FederatedDestination fd) {
    List<Map<String, Object>> ports = new ArrayList<>();
    for (DestinationPort p : fd.getPorts()) {
      Map<String, Object> port = new LinkedHashMap<>();
      port.put("number", p.getNumber());
      port.put("protocol", p.getProtocol().toUpperCase(Locale.ROOT));
      port.put("name", portName(p));
      port.put("targetPort", p.getTargetPort());
      ports.add(port);
    }
    List<Map<String, Object>> endpoints = new ArrayList<>();
    boolean allIps = true;
    for (DestinationTier tier : fd.getTiers()) {
      for (WeightedEndpoint e : tier.getEndpoints()) {
        if (e.getWeight() <= 0) {
          continue;
        }
        allIps &= IPV4.matcher(e.getAddress()).matches() || e.getAddress().contains(":");
        Map<String, Object> endpoint = new LinkedHashMap<>();
        endpoint.put("address", e.getAddress());
        Map<String, Object> endpointPorts = new LinkedHashMap<>();
        for (DestinationPort p : fd.getPorts()) {
          endpointPorts.put(portName(p), e.getPort());
        }
        endpoint.put("ports", endpointPorts);
        endpoint.put("labels", Map.of(TIER_LABEL, String.valueOf(tier.getIndex()),
            CLUSTER_LABEL, e.getCluster()));
        String locality = locality(e);
        if (locality != null) {
          endpoint.put("locality", locality);
        }
        endpoint.put("weight", e.getWeight());
        endpoints.add(endpoint);
      }
    }
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("hosts", List.copyOf(fd.getHosts()));
    spec.put("ports", ports);
    spec.put("location", "MESH_INTERNAL");
    spec.put("resolution", allIps ? "STATIC" : "DNS");
    spec.put("endpoints", endpoints);
    return resource(SERVICE_ENTRY, Ownership.baseName(fd.getDestination(), 63), fd, spec);
  }

  private GenericKubernetesResource destinationRule(FederatedDestination fd, String host,
      int index) {
    OutlierDetection o = fd.getOutlierDetection();
    Map<String, Object> outlier = new LinkedHashMap<>();
    outlier.put("consecutive5xxErrors", o.getConsecutiveErrors() == null ? 5
        : o.getConsecutiveErrors());
    outlier.put("interval", duration(o.getIntervalMillis(), 10_000));
    outlier.put("baseEjectionTime", duration(o.getBaseEjectionTimeMillis(), 30_000));
    outlier.put("maxEjectionPercent", o.getMaxEjectionPercent() == null ? 100
        : o.getMaxEjectionPercent());
    Map<String, Object> trafficPolicy = new LinkedHashMap<>();
    trafficPolicy.put("outlierDetection", outlier);
    trafficPolicy.put("loadBalancer", Map.of("localityLbSetting", Map.of("enabled", false)));
    List<Map<String, Object>> subsets = new ArrayList<>();
    for (DestinationTier tier : fd.getTiers()) {
      subsets.add(Map.of("name", "tier-" + tier.getIndex(),
          "labels", Map.of(TIER_LABEL, String.valueOf(tier.getIndex()))));
    }
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("host", host);
    spec.put("trafficPolicy", trafficPolicy);
    spec.put("subsets", subsets);
    String base = Ownership.baseName(fd.getDestination(), 58);
    return resource(DESTINATION_RULE, base + "-h" + index, fd, spec);
  }

  private GenericKubernetesResource resource(ObjectKind kind, String name,
      FederatedDestination fd, Map<String, Object> spec) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion(kind.apiVersion());
    r.setKind(kind.kind());
    r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace)
        .withLabels(Ownership.labels(fd.getDestination()))
        .withAnnotations(Map.of(Ownership.DESTINATION_ANNOTATION,
            Ownership.destinationKey(fd.getDestination())))
        .build());
    r.setAdditionalProperty("spec", spec);
    return r;
  }

  static String portName(DestinationPort port) {
    return port.getProtocol().toLowerCase(Locale.ROOT) + "-" + port.getNumber();
  }

  private static String locality(WeightedEndpoint e) {
    if (e.getRegion() == null) {
      return null;
    }
    return e.getZone() == null ? e.getRegion() : e.getRegion() + "/" + e.getZone();
  }

  private static String duration(Long millis, long fallback) {
    long ms = millis == null ? fallback : millis;
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
  }
}
