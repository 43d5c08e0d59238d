package io.meshfed.agent.apply;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.meshfed.avro.ClientMode;
import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.WeightedEndpoint;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Istio ({@code networking.istio.io/v1}): one {@code ServiceEntry} per destination with the
 * hosts, ports and the endpoints that have a share of the traffic (locality
 * {@code region/zone}, the decided weight), and one {@code DestinationRule} per host with the
 * outlier detection. meshfed decides failover itself and expresses it in the endpoint weights
 * of one Envoy cluster, so Istio's own locality failover is switched off rather than left to
 * second-guess it.
 *
 * <p><b>No subsets.</b> The DestinationRule once carried a {@code tier-N} subset per tier that
 * no VirtualService used. They are gone rather than wired up: a VirtualService splitting by
 * subset would apply the tier loads a second time on top of the endpoint weights that already
 * carry them, would put each tier in its own Envoy cluster (outlier detection and the panic
 * threshold would then act per tier, not per destination as meshfed decides), and every subset
 * costs each proxy an extra cluster for nothing. Endpoints keep their {@code meshfed.io/tier}
 * label for people reading the ServiceEntry.
 *
 * <p><b>Panic.</b> Istio maps {@code minHealthPercent} to Envoy's healthy panic threshold and
 * leaves it at 0 — panic off — when unset. With {@code maxEjectionPercent: 100} and the standby
 * tier absent from the ServiceEntry, proxies would eject every endpoint of a failing tier and
 * answer 503 until meshfed's failover reaches them. meshfed's own rule is "all down: panic,
 * every endpoint eligible, never fail closed", so {@code minHealthPercent} is 1: a proxy uses
 * only non-ejected endpoints while any is left and spreads over all of them once none is
 * (for pools over 100 endpoints: once fewer than 1% are healthy; Istio takes whole percents).
 *
 * <p><b>Weights</b> are relative (Envoy's {@code load_balancing_weight}), never assumed to sum
 * to 100. Istio reads a weight of 0 as unset, i.e. 1, so an endpoint without a share (see
 * {@link TrafficShare}) is left out instead of written with 0; an endpoint with a share but
 * weight 0 (percentages rounded down) is written with weight 1. Envoy requires the weights of
 * a locality to sum to at most 2^32-1; larger totals are scaled down proportionally, keeping
 * every endpoint at 1 or more.
 *
 * <p><b>clientMode</b> (Gloo Mesh). {@code AUTO} writes no TLS settings: Istio's auto mTLS
 * decides per endpoint, and sends mTLS only to endpoints labelled
 * {@code security.istio.io/tlsMode: istio}, which these endpoints are not (the agent cannot see
 * whether a member's pod has a sidecar), so clients send plaintext — meshfed's translation from
 * the start. {@code SNI_ROUTING} sets {@code tls.mode: ISTIO_MUTUAL} on the DestinationRule:
 * Gloo routes SNI-passthrough TLS through its east-west gateway so the member's sidecar
 * terminates the caller's mTLS; with no gateway between them, meshfed gives that guarantee
 * directly, and a member without a sidecar is unreachable, as in Gloo.
 */
public final class IstioApplier implements ConfigApplier {

  public static final ObjectKind SERVICE_ENTRY =
      new ObjectKind("networking.istio.io/v1", "ServiceEntry", "serviceentries");
  public static final ObjectKind DESTINATION_RULE =
      new ObjectKind("networking.istio.io/v1", "DestinationRule", "destinationrules");
  static final String TIER_LABEL = "meshfed.io/tier";
  static final String CLUSTER_LABEL = "meshfed.io/cluster";
  /** Envoy panics (all endpoints eligible) below this share of healthy endpoints. */
  static final int MIN_HEALTH_PERCENT = 1;
  /** Envoy: the weights of one locality must sum to at most the uint32 maximum. */
  static final long MAX_TOTAL_WEIGHT = 0xFFFF_FFFFL;

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
    List<WeightedEndpoint> sharing = new ArrayList<>();
    List<Integer> tierOf = new ArrayList<>();
    for (DestinationTier tier : fd.getTiers()) {
      for (WeightedEndpoint e : tier.getEndpoints()) {
        if (TrafficShare.hasShare(fd, tier, e)) {
          sharing.add(e);
          tierOf.add(tier.getIndex());
        }
      }
    }
    long[] weights = envoyWeights(sharing);
    List<Map<String, Object>> endpoints = new ArrayList<>();
    boolean allIps = true;
    for (int n = 0; n < sharing.size(); n++) {
      WeightedEndpoint e = sharing.get(n);
      allIps &= !KubernetesApplier.addressType(e.getAddress()).equals("FQDN");
      Map<String, Object> endpoint = new LinkedHashMap<>();
      endpoint.put("address", e.getAddress());
      Map<String, Object> endpointPorts = new LinkedHashMap<>();
      for (int i = 0; i < fd.getPorts().size(); i++) {
        DestinationPort p = fd.getPorts().get(i);
        endpointPorts.put(portName(p), KubernetesApplier.endpointPort(e, i, p));
      }
      endpoint.put("ports", endpointPorts);
      endpoint.put("labels", Map.of(TIER_LABEL, String.valueOf(tierOf.get(n)),
          CLUSTER_LABEL, e.getCluster()));
      String locality = locality(e);
      if (locality != null) {
        endpoint.put("locality", locality);
      }
      endpoint.put("weight", weights[n]);
      endpoints.add(endpoint);
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
    // Envoy's panic threshold: fail open only when no endpoint is left, as meshfed does.
    outlier.put("minHealthPercent", MIN_HEALTH_PERCENT);
    Map<String, Object> trafficPolicy = new LinkedHashMap<>();
    trafficPolicy.put("outlierDetection", outlier);
    trafficPolicy.put("loadBalancer", Map.of("localityLbSetting", Map.of("enabled", false)));
    if (fd.getClientMode() == ClientMode.SNI_ROUTING) {
      // Gloo's sniRouting, without a gateway: the client's sidecar originates Istio mTLS to
      // each member's sidecar, which sees the caller's identity. Members need sidecars.
      trafficPolicy.put("tls", Map.of("mode", "ISTIO_MUTUAL"));
    }
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("host", host);
    spec.put("trafficPolicy", trafficPolicy);
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

  /**
   * The weights to write for the endpoints with a share, in order: each at least 1 (0 would
   * read as 1 anyway), scaled down proportionally when their total would overflow Envoy's
   * uint32 sum.
   */
  static long[] envoyWeights(List<WeightedEndpoint> sharing) {
    long[] out = new long[sharing.size()];
    BigInteger total = BigInteger.ZERO;
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.max(1L, TrafficShare.weight(sharing.get(i)));
      total = total.add(BigInteger.valueOf(out[i]));
    }
    if (total.compareTo(BigInteger.valueOf(MAX_TOTAL_WEIGHT)) > 0) {
      // floor(w * budget / total) sums to at most budget; the max(1, ...) adds at most n.
      BigInteger budget = BigInteger.valueOf(MAX_TOTAL_WEIGHT - out.length);
      for (int i = 0; i < out.length; i++) {
        out[i] = Math.max(1L, BigInteger.valueOf(out[i]).multiply(budget)
            .divide(total).longValueExact());
      }
    }
    return out;
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
