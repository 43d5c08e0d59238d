package io.meshfed.agent.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshfed.agent.schema.AppliedObjects;
import io.meshfed.agent.schema.Crds;
import io.meshfed.agent.schema.KubeRules;
import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.EndpointHealth;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.WeightedEndpoint;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes objects obey the API server's rules for Services and EndpointSlices
 * ({@link KubeRules}) and the published mcs-api schema for ServiceImport, carry the MCS labels,
 * and give every endpoint its own port.
 */
class KubernetesApplierTest {

  private final KubernetesApplier applier = new KubernetesApplier("meshfed");

  private static <T> T typed(GenericKubernetesResource r, Class<T> type) {
    return Serialization.unmarshal(Serialization.asJson(r), type);
  }

  private static List<EndpointSlice> slices(List<GenericKubernetesResource> objects) {
    return objects.stream().filter(o -> o.getKind().equals("EndpointSlice"))
        .map(o -> typed(o, EndpointSlice.class)).toList();
  }

  /** Every object as the API server would judge it; empty when all would be admitted. */
  static List<String> apiServerErrors(List<GenericKubernetesResource> objects) {
    return AppliedObjects.kubernetesErrors(objects);
  }

  @Test
  void aMemberOn9080InOneClusterAnd9081InAnotherGetsItsOwnPortInEachSlice() {
    List<GenericKubernetesResource> objects = applier.desired(Destinations.splitAcrossPorts());
    assertThat(apiServerErrors(objects)).isEmpty();
    List<EndpointSlice> slices = slices(objects);
    assertThat(slices).hasSize(2);
    assertThat(slices).allSatisfy(s -> assertThat(s.getPorts()).singleElement()
        .satisfies(p -> assertThat(p.getName()).isEqualTo("http-9080")));
    assertThat(slices).extracting(
        s -> s.getMetadata().getLabels().get("multicluster.kubernetes.io/source-cluster")
            + " " + s.getPorts().get(0).getPort() + " "
            + s.getEndpoints().stream().map(e -> e.getAddresses().get(0)).toList())
        .containsExactly("mgmt-cluster 9080 [10.0.0.11, 10.0.0.12]",
            "remote-cluster 9081 [10.1.0.21]");
    // The Service still exposes 9080; its targetPort is resolved per endpoint by the slices.
    Service service = typed(objects.get(0), Service.class);
    assertThat(service.getSpec().getPorts()).singleElement()
        .satisfies(p -> assertThat(p.getPort()).isEqualTo(9080));
  }

  @Test
  void aServiceImportAndSlicesWithTheMcsLabels() {
    List<GenericKubernetesResource> objects = applier.desired(Destinations.failedOver(2));
    assertThat(apiServerErrors(objects)).isEmpty();
    Service service = typed(objects.get(0), Service.class);
    assertThat(service.getSpec().getSelector()).isNullOrEmpty();
    String name = service.getMetadata().getName();

    GenericKubernetesResource serviceImport = objects.get(1);
    assertThat(serviceImport.getApiVersion()).isEqualTo("multicluster.x-k8s.io/v1alpha1");
    assertThat(serviceImport.getKind()).isEqualTo("ServiceImport");
    assertThat(serviceImport.getMetadata().getName()).isEqualTo(name);
    assertThat(Ownership.isOwned(serviceImport.getMetadata().getLabels())).isTrue();

    List<EndpointSlice> slices = slices(objects);
    assertThat(slices).extracting(s -> s.getMetadata().getLabels()).allSatisfy(labels ->
        assertThat(labels)
            .containsEntry("kubernetes.io/service-name", name)
            .containsEntry("multicluster.kubernetes.io/service-name", name)
            .containsEntry("endpointslice.kubernetes.io/managed-by", "agent.meshfed.io")
            .containsKey("multicluster.kubernetes.io/source-cluster"));
    assertThat(slices).flatExtracting(EndpointSlice::getEndpoints)
        .extracting(e -> e.getAddresses().get(0) + "=" + e.getConditions().getReady())
        .containsExactly("10.0.0.11=false", "10.0.0.12=false", "10.1.0.21=true");
    assertThat(applier.kinds()).contains(KubernetesApplier.SERVICE_IMPORT);
    assertThat(KubernetesApplier.SERVICE_IMPORT.optional()).isTrue();
  }

  @Test
  void sniRoutingIsWrittenAsForAutoAndAckedAsNotServedHere() {
    FederatedDestination auto = Destinations.failedOver(2);
    FederatedDestination sni = FederatedDestination.newBuilder(auto)
        .setClientMode(io.meshfed.avro.ClientMode.SNI_ROUTING).build();
    List<GenericKubernetesResource> objects = applier.desired(sni);
    assertThat(apiServerErrors(objects)).isEmpty();
    // Clients here keep reaching the destination; kube-proxy cannot add the mTLS.
    assertThat(objects).isEqualTo(applier.desired(auto));
    assertThat(applier.cannotServe(sni)).isEqualTo(KubernetesApplier.SNI_ROUTING_NOT_SERVED)
        .contains("sniRouting").contains("kube-proxy originates no mTLS");
    assertThat(applier.cannotServe(auto)).isNull();
  }

  @Test
  void atMostOneThousandEndpointsPerSlice() {
    List<GenericKubernetesResource> objects = applier.desired(Destinations.wide(2500));
    assertThat(apiServerErrors(objects)).isEmpty();
    List<EndpointSlice> slices = slices(objects);
    assertThat(slices).hasSize(3);
    assertThat(slices).allSatisfy(s -> assertThat(s.getEndpoints()).hasSizeLessThanOrEqualTo(1000));
    assertThat(slices.stream().mapToInt(s -> s.getEndpoints().size()).sum()).isEqualTo(2500);
    assertThat(slices).extracting(s -> s.getMetadata().getName()).doesNotHaveDuplicates();
  }

  @Test
  void addressTypesFollowTheAddressesAndNeverMix() {
    assertThat(KubernetesApplier.addressType("10.0.0.1")).isEqualTo("IPv4");
    assertThat(KubernetesApplier.addressType("fd00::1")).isEqualTo("IPv6");
    assertThat(KubernetesApplier.addressType("reviews.example.com")).isEqualTo("FQDN");
    assertThat(KubernetesApplier.addressType("300.1.1.1")).isNotEqualTo("IPv4");
    FederatedDestination mixed = FederatedDestination.newBuilder(Destinations.failedOver(1))
        .setTiers(List.of(new DestinationTier(0, 100, List.of(), List.of(
            Destinations.endpoint("10.0.0.1", 50, "mgmt-cluster"),
            Destinations.endpoint("fd00::1", 25, "mgmt-cluster"),
            Destinations.endpoint("reviews.example.com", 25, "mgmt-cluster")))))
        .setActiveTier(0).build();
    List<GenericKubernetesResource> objects = applier.desired(mixed);
    assertThat(apiServerErrors(objects)).isEmpty();
    assertThat(slices(objects)).extracting(EndpointSlice::getAddressType)
        .containsExactly("IPv4", "IPv6", "FQDN");
  }

  @Test
  void namesStayValidForLongDestinationsAndClusters() {
    var longRef = new io.meshfed.avro.ResourceRef(io.meshfed.avro.ResourceKind.VirtualDestination,
        "a-very-long-namespace-name-for-testing-names", "an-equally-long-destination-name");
    String cluster = "c".repeat(63);
    FederatedDestination fd = FederatedDestination.newBuilder(Destinations.failedOver(1))
        .setDestination(longRef)
        .setPorts(List.of(new DestinationPort(9080, "HTTP", 9080),
            new DestinationPort(65535, "HTTPS", 8443)))
        .setTiers(List.of(new DestinationTier(0, 100, List.of(), List.of(
            Destinations.endpoint("10.0.0.1", 100, cluster)))))
        .setActiveTier(0).build();
    List<GenericKubernetesResource> objects = applier.desired(fd);
    assertThat(apiServerErrors(objects)).isEmpty();
    // The second destination port has no per-endpoint port in the config: its targetPort.
    assertThat(slices(objects)).singleElement().satisfies(s -> assertThat(s.getPorts())
        .extracting(p -> p.getName() + ":" + p.getPort())
        .containsExactly("http-9080:9080", "https-65535:8443"));
  }

  @Test
  void eachEndpointsOwnPortsGoIntoItsSlice() {
    FederatedDestination fd = FederatedDestination.newBuilder(Destinations.failedOver(1))
        .setPorts(List.of(new DestinationPort(8080, "HTTP", 9080),
            new DestinationPort(8443, "GRPC", 9091)))
        .setTiers(List.of(new DestinationTier(0, 100, List.of(), List.of(
            WeightedEndpoint.newBuilder(Destinations.endpoint("10.0.0.11", 100, "mgmt-cluster"))
                .setPort(9080).setPorts(List.of(9080, 9092)).build()))))
        .setActiveTier(0).build();
    List<GenericKubernetesResource> objects = applier.desired(fd);
    assertThat(apiServerErrors(objects)).isEmpty();
    assertThat(slices(objects)).singleElement().satisfies(s -> assertThat(s.getPorts())
        .extracting(p -> p.getName() + ":" + p.getPort())
        .containsExactly("http-8080:9080", "grpc-8443:9092"));
  }

  @Test
  void weightsAreRelativeAndOnlyEndpointsWithoutAShareAreNotReady() {
    WeightedEndpoint legacyRoundedDown = WeightedEndpoint.newBuilder(
        Destinations.endpoint("10.0.0.3", 0, "mgmt-cluster")).setHealth(EndpointHealth.HEALTHY)
        .build();
    FederatedDestination fd = FederatedDestination.newBuilder(Destinations.failedOver(1))
        .setTiers(List.of(
            new DestinationTier(0, 100, List.of(), List.of(
                Destinations.endpoint("10.0.0.1", 7, "mgmt-cluster"),
                Destinations.endpoint("10.0.0.2", 2_000_000_000, "mgmt-cluster"),
                legacyRoundedDown,
                Destinations.endpoint("10.0.0.4", 0, "mgmt-cluster"))),
            new DestinationTier(1, 0, List.of(), List.of(
                WeightedEndpoint.newBuilder(Destinations.endpoint("10.1.0.1", 0, "remote-cluster"))
                    .setHealth(EndpointHealth.HEALTHY).build()))))
        .setActiveTier(0).build();
    assertThat(slices(applier.desired(fd))).flatExtracting(EndpointSlice::getEndpoints)
        .extracting(e -> e.getAddresses().get(0) + "=" + e.getConditions().getReady())
        .containsExactly("10.0.0.1=true", "10.0.0.2=true", "10.0.0.3=true", "10.0.0.4=false",
            "10.1.0.1=false");
  }

  @Test
  void inPanicEveryEndpointOfTheLoadedTierIsReady() {
    FederatedDestination panic = FederatedDestination.newBuilder(Destinations.failedOver(1))
        .setTiers(List.of(new DestinationTier(0, 100, List.of(), List.of(
            Destinations.endpoint("10.0.0.1", 0, "mgmt-cluster"),
            Destinations.endpoint("10.0.0.2", 0, "mgmt-cluster")))))
        .setActiveTier(-1).build();
    assertThat(slices(applier.desired(panic))).flatExtracting(EndpointSlice::getEndpoints)
        .allSatisfy(e -> assertThat(e.getConditions().getReady()).isTrue());
  }

  /**
   * Hand-declared members (ExternalService addresses, probe targets) may name what no slice
   * admits; one such address would make the API server refuse its whole slice, and every
   * apply of the destination fail. They are left out; the rest of their cluster's slice stays.
   */
  @Test
  void addressesNoSliceAdmitsAreLeftOutAndTheRestOfTheSliceIsWritten() {
    List<String> declared = List.of("10.10.0.7", "127.0.0.2", "169.254.10.1", "0.0.0.0",
        "224.0.0.5", "fe80::1", "::1", "2001:db8::7", "ratings-vm", "VM.example.com",
        "vm_1.example.com", "vm.example.com", "vm2.example.com.");
    FederatedDestination fd = FederatedDestination.newBuilder(Destinations.failedOver(1))
        .setTiers(List.of(new DestinationTier(0, 100, List.of(), declared.stream()
            .map(a -> Destinations.endpoint(a, 10, "vm-datacenter")).toList())))
        .setActiveTier(0).build();
    List<GenericKubernetesResource> objects = applier.desired(fd);
    assertThat(apiServerErrors(objects)).isEmpty();
    assertThat(slices(objects)).flatExtracting(EndpointSlice::getEndpoints)
        .extracting(e -> e.getAddresses().get(0))
        .containsExactlyInAnyOrder("10.10.0.7", "2001:db8::7", "vm.example.com",
            "vm2.example.com.");
    // Without the filter, the API server's rules refuse those slices.
    List<String> refused = declared.stream()
        .filter(a -> KubernetesApplier.refusedInSlice(a) != null).toList();
    assertThat(refused).containsExactly("127.0.0.2", "169.254.10.1", "0.0.0.0", "224.0.0.5",
        "fe80::1", "::1", "ratings-vm", "VM.example.com", "vm_1.example.com");
    for (String address : refused) {
      Map<String, Object> map = Crds.asMap(applier.desired(Destinations.wide(1)).stream()
          .filter(o -> o.getKind().equals("EndpointSlice")).findFirst().orElseThrow());
      map.put("addressType", KubernetesApplier.addressType(address));
      @SuppressWarnings("unchecked")
      var endpoints = (List<Map<String, Object>>) map.get("endpoints");
      endpoints.get(0).put("addresses", List.of(address));
      assertThat(KubeRules.endpointSlice(map)).as(address).isNotEmpty();
    }
  }

  @Test
  void theRulesCatchWhatTheApiServerWouldReject() {
    // The checker is only worth something if it fails on bad objects.
    GenericKubernetesResource slice = applier.desired(Destinations.wide(3)).stream()
        .filter(o -> o.getKind().equals("EndpointSlice")).findFirst().orElseThrow();
    Map<String, Object> map = Crds.asMap(slice);
    map.put("addressType", "IPv6");
    assertThat(KubeRules.endpointSlice(map)).isNotEmpty();
    assertThat(KubeRules.portName("port", "https-reviews-65535")).isNotEmpty();
    assertThat(KubeRules.qualifiedName("label", "multicluster.kubernetes.io/")).isNotEmpty();
    assertThat(KubeRules.labelValue("label", "-x")).isNotEmpty();
  }
}
