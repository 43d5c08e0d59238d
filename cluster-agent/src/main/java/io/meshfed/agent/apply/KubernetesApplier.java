package io.meshfed.agent.apply;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditionsBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshfed.avro.ClientMode;
import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.WeightedEndpoint;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mesh-neutral Kubernetes, shaped as the Multi-Cluster Services API (KEP-1645, mcs-api) shapes
 * an imported service: a {@code ServiceImport} ({@code multicluster.x-k8s.io/v1alpha1}) for the
 * federated name, a selector-less {@code Service} of the same name that kube-proxy routes, and
 * the {@code EndpointSlice}s behind it, one per (source cluster, address type, port set) — so a
 * member listening on 9080 in one cluster and 9081 in another gets the right port in each —
 * labelled {@code multicluster.kubernetes.io/source-cluster},
 * {@code multicluster.kubernetes.io/service-name}, {@code kubernetes.io/service-name} and
 * {@code endpointslice.kubernetes.io/managed-by}. A slice holds at most 1,000 endpoints, as the
 * API requires; larger groups are split.
 *
 * <p><b>Weights.</b> kube-proxy cannot express weights: it spreads connections evenly over the
 * ready endpoints of a Service. So this applier expresses only <em>which</em> endpoints carry
 * traffic: an endpoint with a share of the decision (see {@link TrafficShare}) is ready and
 * serving, every other endpoint is listed not ready, so the slices still show the whole
 * destination. When a decision splits traffic across tiers (e.g. 70/30 during a partial
 * failover), kube-proxy turns it into an even split over the ready endpoints of the loaded
 * tiers; a full failover or failback is exact.
 *
 * <p><b>Ports.</b> The config carries one port per endpoint, the one resolved for the
 * destination's first port; further destination ports use their {@code targetPort}.
 *
 * <p><b>Addresses the API server refuses.</b> Members outside Kubernetes (ExternalService,
 * ExternalWorkload, the probe connector's targets) are declared by hand, and an EndpointSlice
 * admits fewer addresses than they may name: no loopback, link-local or unspecified IP, and a
 * name only as a lower-case DNS name of two labels or more. One such address makes the API
 * server refuse its whole slice — every other endpoint of that cluster with it — and the apply
 * of the destination fail on every retry. So such an endpoint is left out of the slices (kube-proxy
 * could not route to it anyway) and the agent warns once per destination and address; the
 * other appliers and the Destination API still carry it.
 */
public final class KubernetesApplier implements ConfigApplier {

  public static final ObjectKind SERVICE = new ObjectKind("v1", "Service", "services");
  public static final ObjectKind ENDPOINT_SLICE =
      new ObjectKind("discovery.k8s.io/v1", "EndpointSlice", "endpointslices");
  /** Optional: clusters without the MCS CRDs still get the Service and its slices. */
  public static final ObjectKind SERVICE_IMPORT = new ObjectKind(
      "multicluster.x-k8s.io/v1alpha1", "ServiceImport", "serviceimports", true);
  public static final String MCS_SERVICE_NAME = "multicluster.kubernetes.io/service-name";
  public static final String MCS_SOURCE_CLUSTER = "multicluster.kubernetes.io/source-cluster";
  public static final String SERVICE_NAME = "kubernetes.io/service-name";
  public static final String SLICE_MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
  /** Not {@code endpointslice-controller.k8s.io}: the built-in controller must leave them be. */
  public static final String SLICE_MANAGER = "agent.meshfed.io";
  public static final int MAX_ENDPOINTS_PER_SLICE = 1000;
  /** The ack's message for a sniRouting destination ({@link #cannotServe}). */
  public static final String SNI_ROUTING_NOT_SERVED = "clientMode sniRouting is not served in"
      + " this cluster: its agent writes Kubernetes Services and EndpointSlices"
      + " (meshfed.agent.applier=kubernetes) and kube-proxy originates no mTLS, so clients here"
      + " reach the members without it; use the istio applier for end-to-end mTLS";
  private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
  private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesApplier.class);
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private final String namespace;
  /** destination/address pairs already warned about, so a re-apply does not repeat it. */
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  public KubernetesApplier(String namespace) {
    this.namespace = namespace;
  }

  @Override
  public List<ObjectKind> kinds() {
    return List.of(SERVICE, SERVICE_IMPORT, ENDPOINT_SLICE);
  }

  @Override
  public List<GenericKubernetesResource> desired(FederatedDestination fd) {
    String name = Ownership.baseName(fd.getDestination(), 63);
    List<GenericKubernetesResource> out = new ArrayList<>();
    out.add(generic(new ServiceBuilder()
        .withMetadata(meta(fd, name, Map.of()))
        .withNewSpec()
        .withType("ClusterIP")
        .withPorts(fd.getPorts().stream().map(p -> new ServicePortBuilder()
            .withName(portName(p)).withPort(p.getNumber()).withProtocol("TCP")
            .withAppProtocol(appProtocol(p))
            .withTargetPort(new IntOrString(p.getTargetPort())).build()).toList())
        .endSpec()
        .build()));
    out.add(serviceImport(fd, name));

    // Group endpoints by what a slice must share: source cluster, address type and ports.
    Map<SliceKey, List<Endpoint>> groups = new LinkedHashMap<>();
    for (DestinationTier tier : fd.getTiers()) {
      for (WeightedEndpoint e : tier.getEndpoints()) {
        String refused = refusedInSlice(e.getAddress());
        if (refused != null) {
          if (warned.add(Ownership.destinationKey(fd.getDestination()) + " " + e.getAddress())) {
            LOG.warn("{}: endpoint {} of {}/{}/{} left out of the EndpointSlices: {}",
                Ownership.destinationKey(fd.getDestination()), e.getAddress(), e.getCluster(),
                e.getNamespace(), e.getService(), refused);
          }
          continue;
        }
        boolean carriesTraffic = TrafficShare.hasShare(fd, tier, e);
        SliceKey key = new SliceKey(e.getCluster(), addressType(e.getAddress()),
            endpointPorts(fd, e));
        groups.computeIfAbsent(key, k -> new ArrayList<>()).add(new EndpointBuilder()
            .withAddresses(e.getAddress())
            .withConditions(new EndpointConditionsBuilder().withReady(carriesTraffic)
                .withServing(carriesTraffic).withTerminating(false).build())
            .withZone(e.getZone())
            .build());
      }
    }
    for (Map.Entry<SliceKey, List<Endpoint>> group : groups.entrySet()) {
      SliceKey key = group.getKey();
      List<Endpoint> endpoints = group.getValue();
      for (int chunk = 0; chunk * MAX_ENDPOINTS_PER_SLICE < endpoints.size(); chunk++) {
        List<Endpoint> slice = endpoints.subList(chunk * MAX_ENDPOINTS_PER_SLICE,
            Math.min(endpoints.size(), (chunk + 1) * MAX_ENDPOINTS_PER_SLICE));
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(SERVICE_NAME, name);
        labels.put(MCS_SERVICE_NAME, name);
        labels.put(MCS_SOURCE_CLUSTER, key.cluster());
        labels.put(SLICE_MANAGED_BY, SLICE_MANAGER);
        out.add(generic(new EndpointSliceBuilder()
            .withMetadata(meta(fd, sliceName(name, key, chunk), labels))
            .withAddressType(key.addressType())
            .withEndpoints(slice)
            .withPorts(key.ports().stream().map(port -> new EndpointPortBuilder()
                .withName(port.name()).withPort(port.port()).withProtocol("TCP")
                .withAppProtocol(port.appProtocol()).build()).toList())
            .build()));
      }
    }
    return out;
  }

  /**
   * Gloo's sniRouting promises the caller's mTLS end to end to each member's sidecar; kube-proxy
   * forwards connections as they are and originates no TLS. The objects are still written (the
   * same as for auto, so clients here keep reaching the destination) and the ack says what is
   * missing, so this cluster reads as a WARNING rather than as serving the mode.
   */
  @Override
  public String cannotServe(FederatedDestination fd) {
    return fd.getClientMode() == ClientMode.SNI_ROUTING ? SNI_ROUTING_NOT_SERVED : null;
  }

  /** What an MCS-aware consumer (e.g. CoreDNS's multicluster plugin) resolves. */
  private GenericKubernetesResource serviceImport(FederatedDestination fd, String name) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion(SERVICE_IMPORT.apiVersion());
    r.setKind(SERVICE_IMPORT.kind());
    r.setMetadata(meta(fd, name, Map.of()));
    List<Map<String, Object>> ports = new ArrayList<>();
    for (DestinationPort p : fd.getPorts()) {
      Map<String, Object> port = new LinkedHashMap<>();
      port.put("name", portName(p));
      port.put("protocol", "TCP");
      port.put("appProtocol", appProtocol(p));
      port.put("port", p.getNumber());
      ports.add(port);
    }
    Map<String, Object> spec = new LinkedHashMap<>();
    // ClusterSetIP: one virtual IP for the federated name. meshfed allocates none itself; the
    // Service above has the cluster IP, and an MCS implementation may publish it in spec.ips.
    spec.put("type", "ClusterSetIP");
    spec.put("ports", ports);
    r.setAdditionalProperty("spec", spec);
    return r;
  }

  /** The endpoint's port under each destination port's name. */
  private static List<SlicePort> endpointPorts(FederatedDestination fd, WeightedEndpoint e) {
    List<SlicePort> ports = new ArrayList<>();
    for (int i = 0; i < fd.getPorts().size(); i++) {
      DestinationPort p = fd.getPorts().get(i);
      ports.add(new SlicePort(portName(p), endpointPort(e, i, p), appProtocol(p)));
    }
    return ports;
  }

  /**
   * The port on endpoint {@code e} for destination port {@code p} (index {@code i}): its own
   * from {@code WeightedEndpoint.ports} when the destination has several ports; from a topology
   * that predates that list, {@code port} for the first and the targetPort for the others.
   */
  static int endpointPort(WeightedEndpoint e, int i, DestinationPort p) {
    if (i < e.getPorts().size()) {
      return e.getPorts().get(i);
    }
    return i == 0 ? e.getPort() : p.getTargetPort();
  }

  /**
   * {@code <service>-<cluster>-<addresstype>-<ports hash>-<chunk>}: stable while the group
   * exists, unique per group, and a DNS-1123 subdomain (at most 63 + 1 + 63 + 26 characters).
   */
  private static String sliceName(String service, SliceKey key, int chunk) {
    StringBuilder ports = new StringBuilder();
    key.ports().forEach(p -> ports.append(p.name()).append('=').append(p.port()).append(','));
    return service + "-" + key.cluster() + "-" + key.addressType().toLowerCase(Locale.ROOT) + "-"
        + Ownership.hash(ports.toString()).substring(0, 8) + "-" + chunk;
  }

  private ObjectMeta meta(FederatedDestination fd, String name, Map<String, String> extra) {
    Map<String, String> labels = new LinkedHashMap<>(Ownership.labels(fd.getDestination()));
    labels.putAll(extra);
    return new ObjectMetaBuilder().withName(name).withNamespace(namespace).withLabels(labels)
        .withAnnotations(Map.of(Ownership.DESTINATION_ANNOTATION,
            Ownership.destinationKey(fd.getDestination())))
        .build();
  }

  /** IPv4 for a dotted quad, IPv6 for anything with a colon, FQDN otherwise. */
  static String addressType(String address) {
    if (IPV4.matcher(address).matches()) {
      return "IPv4";
    }
    return address.contains(":") ? "IPv6" : "FQDN";
  }

  /**
   * Why the API server would refuse {@code address} in an EndpointSlice of its address type
   * (discovery validation: ValidateNonSpecialIP for IPs, IsFullyQualifiedDomainName for
   * names), or null when it is admitted.
   */
  static String refusedInSlice(String address) {
    String type = addressType(address);
    if (type.equals("FQDN")) {
      String name = address.endsWith(".") ? address.substring(0, address.length() - 1) : address;
      String[] labels = name.split("\\.", -1);
      boolean ok = name.length() <= 253 && labels.length >= 2
          && Arrays.stream(labels).allMatch(l -> DNS_LABEL.matcher(l).matches());
      return ok ? null : "not an IP address, nor a lower-case DNS name of two labels or more";
    }
    InetAddress ip;
    try {
      // Only literals get here (a dotted quad, or something with a colon): no DNS lookup.
      ip = InetAddress.getByName(address);
    } catch (UnknownHostException | SecurityException e) {
      return "not a valid " + type + " address";
    }
    if (type.equals("IPv6") && !(ip instanceof Inet6Address)) {
      return "not a valid IPv6 address";
    }
    byte[] b = ip.getAddress();
    boolean linkLocalMulticast = b.length == 4
        ? (b[0] & 0xff) == 224 && b[1] == 0 && b[2] == 0
        : (b[0] & 0xff) == 0xff && (b[1] & 0x0f) == 0x02;
    if (ip.isAnyLocalAddress() || ip.isLoopbackAddress() || ip.isLinkLocalAddress()
        || linkLocalMulticast) {
      return "an unspecified, loopback or link-local address, which no EndpointSlice may hold";
    }
    return null;
  }

  /** {@code <protocol>-<number>}: at most 11 characters, a valid IANA service name. */
  static String portName(DestinationPort p) {
    return p.getProtocol().toLowerCase(Locale.ROOT) + "-" + p.getNumber();
  }

  private static String appProtocol(DestinationPort p) {
    return p.getProtocol().toLowerCase(Locale.ROOT);
  }

  private static GenericKubernetesResource generic(HasMetadata typed) {
    return Serialization.unmarshal(Serialization.asJson(typed), GenericKubernetesResource.class);
  }

  /** What every endpoint of one slice shares. */
  private record SliceKey(String cluster, String addressType, List<SlicePort> ports) {}

  private record SlicePort(String name, int port, String appProtocol) {}
}
