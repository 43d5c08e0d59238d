package io.meshfed.agent.apply;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditionsBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.WeightedEndpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Mesh-neutral Kubernetes: a selector-less {@code Service} per destination and the
 * {@code EndpointSlice}s behind it, labelled as the Multi-Cluster Services API does
 * ({@code multicluster.kubernetes.io/service-name}, {@code endpointslice.kubernetes.io/managed-by}),
 * so kube-proxy or any MCS-aware data plane routes to the endpoints meshfed chose. Endpoints
 * with traffic are ready; the rest are listed not ready, so the slice shows the whole
 * destination. Slices hold at most 1,000 endpoints and one address type each, as the API
 * requires.
 */
public final class KubernetesApplier implements ConfigApplier {

  public static final ObjectKind SERVICE = new ObjectKind("v1", "Service", "services");
  public static final ObjectKind ENDPOINT_SLICE =
      new ObjectKind("discovery.k8s.io/v1", "EndpointSlice", "endpointslices");
  public static final String MCS_SERVICE_NAME = "multicluster.kubernetes.io/service-name";
  public static final String SERVICE_NAME = "kubernetes.io/service-name";
  public static final String SLICE_MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
  public static final String SLICE_MANAGER = "agent.meshfed.io";
  public static final int MAX_ENDPOINTS_PER_SLICE = 1000;

  private final String namespace;

  public KubernetesApplier(String namespace) {
    this.namespace = namespace;
  }

  @Override
  public List<ObjectKind> kinds() {
    return List.of(SERVICE, ENDPOINT_SLICE);
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
            .withAppProtocol(p.getProtocol().toLowerCase(Locale.ROOT))
            .withTargetPort(new IntOrString(p.getTargetPort())).build()).toList())
        .endSpec()
        .build()));

    Map<String, List<Endpoint>> byAddressType = new LinkedHashMap<>();
    Map<String, Integer> portOf = new HashMap<>();
    for (DestinationTier tier : fd.getTiers()) {
      for (WeightedEndpoint e : tier.getEndpoints()) {
        boolean carriesTraffic = e.getWeight() > 0;
        byAddressType.computeIfAbsent(addressType(e.getAddress()), t -> new ArrayList<>())
            .add(new EndpointBuilder()
                .withAddresses(e.getAddress())
                .withConditions(new EndpointConditionsBuilder().withReady(carriesTraffic)
                    .withServing(carriesTraffic).withTerminating(false).build())
                .withZone(e.getZone())
                .build());
        portOf.putIfAbsent(e.getAddress(), e.getPort());
      }
    }
    int endpointPort = portOf.values().stream().findFirst()
        .orElse(fd.getPorts().isEmpty() ? 0 : fd.getPorts().get(0).getTargetPort());
    for (Map.Entry<String, List<Endpoint>> group : byAddressType.entrySet()) {
      List<Endpoint> endpoints = group.getValue();
      for (int chunk = 0; chunk * MAX_ENDPOINTS_PER_SLICE < endpoints.size(); chunk++) {
        List<Endpoint> slice = endpoints.subList(chunk * MAX_ENDPOINTS_PER_SLICE,
            Math.min(endpoints.size(), (chunk + 1) * MAX_ENDPOINTS_PER_SLICE));
        String sliceName = Ownership.baseName(fd.getDestination(), 50) + "-"
            + group.getKey().toLowerCase(Locale.ROOT) + "-" + chunk;
        out.add(generic(new EndpointSliceBuilder()
            .withMetadata(meta(fd, sliceName, Map.of(SERVICE_NAME, name, MCS_SERVICE_NAME, name,
                SLICE_MANAGED_BY, SLICE_MANAGER)))
            .withAddressType(group.getKey())
            .withEndpoints(slice)
            .withPorts(fd.getPorts().stream().map(p -> new EndpointPortBuilder()
                .withName(portName(p)).withPort(endpointPort).withProtocol("TCP")
                .withAppProtocol(p.getProtocol().toLowerCase(Locale.ROOT)).build()).toList())
            .build()));
      }
    }
    return out;
  }

  private ObjectMeta meta(FederatedDestination fd, String name, Map<String, String> extra) {
    Map<String, String> labels = new LinkedHashMap<>(Ownership.labels(fd.getDestination()));
    labels.putAll(extra);
    return new ObjectMetaBuilder().withName(name).withNamespace(namespace).withLabels(labels)
        .withAnnotations(Map.of(Ownership.DESTINATION_ANNOTATION,
            Ownership.destinationKey(fd.getDestination())))
        .build();
  }

  static String addressType(String address) {
    if (address.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      return "IPv4";
    }
    return address.contains(":") ? "IPv6" : "FQDN";
  }

  private static String portName(DestinationPort p) {
    return p.getProtocol().toLowerCase(Locale.ROOT) + "-" + p.getNumber();
  }

  private static GenericKubernetesResource generic(HasMetadata typed) {
    return Serialization.unmarshal(Serialization.asJson(typed), GenericKubernetesResource.class);
  }
}
