package io.meshfed.agent.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.meshfed.agent.schema.AppliedObjects;
import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.EndpointHealth;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.WeightedEndpoint;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Istio objects validate against Istio's published networking.istio.io/v1 CRD schemas
 * (src/test/resources/istio, with their CEL rules; see {@link AppliedObjects}) plus the checks of
 * Istio's validation webhook that the schema does not carry, and they mean what meshfed
 * decided: the endpoints with a share, relative weights, no dead subsets, and a panic
 * threshold that fails open like meshfed.
 */
class IstioApplierTest {

  private static final Pattern DNS_1123 = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  private final IstioApplier applier = new IstioApplier("meshfed");

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource r) {
    return (Map<String, Object>) r.getAdditionalProperties().get("spec");
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> endpoints(GenericKubernetesResource se) {
    return (List<Map<String, Object>>) spec(se).get("endpoints");
  }

  /** Every object as the API server (Istio's CRD schema) and Istio's webhook would judge it. */
  static List<String> istioErrors(List<GenericKubernetesResource> objects) {
    return AppliedObjects.istioErrors(objects);
  }

  @Test
  void serviceEntryValidatesAndCarriesTheEndpointsWithAShare() {
    List<GenericKubernetesResource> objects = applier.desired(Destinations.failedOver(2));
    assertThat(istioErrors(objects)).isEmpty();
    GenericKubernetesResource se = objects.get(0);
    assertThat(se.getApiVersion()).isEqualTo("networking.istio.io/v1");
    assertThat(se.getKind()).isEqualTo("ServiceEntry");
    assertThat(se.getMetadata().getName()).matches(DNS_1123).hasSizeLessThanOrEqualTo(63);
    assertThat(spec(se).get("hosts")).isEqualTo(List.of("reviews-failover.bookinfo.global"));
    // Only the endpoint with a share: the failed tier has no load.
    assertThat(endpoints(se)).singleElement().satisfies(e -> {
      assertThat(e.get("address")).isEqualTo("10.1.0.21");
      assertThat(e.get("weight")).isEqualTo(100L);
      assertThat(e.get("locality")).isEqualTo("eu-west-1/remote-cluster-a");
      assertThat(e.get("ports")).isEqualTo(Map.of("http-9080", 9080));
    });
  }

  @Test
  @SuppressWarnings("unchecked")
  void destinationRuleHasNoDeadSubsetsAndPanicsOnlyWhenNothingIsLeft() {
    GenericKubernetesResource dr = applier.desired(Destinations.failedOver(2)).get(1);
    assertThat(istioErrors(List.of(dr))).isEmpty();
    assertThat(dr.getKind()).isEqualTo("DestinationRule");
    Map<String, Object> spec = spec(dr);
    assertThat(spec.get("host")).isEqualTo("reviews-failover.bookinfo.global");
    assertThat(spec).doesNotContainKey("subsets");
    Map<String, Object> policy = (Map<String, Object>) spec.get("trafficPolicy");
    assertThat(policy.get("loadBalancer"))
        .isEqualTo(Map.of("localityLbSetting", Map.of("enabled", false)));
    assertThat((Map<String, Object>) policy.get("outlierDetection"))
        .containsEntry("consecutive5xxErrors", 1).containsEntry("interval", "10s")
        .containsEntry("baseEjectionTime", "30s").containsEntry("maxEjectionPercent", 100)
        // Envoy's healthy_panic_threshold: unset would be 0 in Istio, i.e. never panic (503).
        .containsEntry("minHealthPercent", 1);
  }

  @Test
  @SuppressWarnings("unchecked")
  void sniRoutingMakesTheClientSidecarOriginateIstioMtlsToEveryMember() {
    FederatedDestination auto = Destinations.failedOver(2);
    FederatedDestination sni = FederatedDestination.newBuilder(auto)
        .setClientMode(io.meshfed.avro.ClientMode.SNI_ROUTING).build();
    List<GenericKubernetesResource> objects = applier.desired(sni);
    assertThat(istioErrors(objects)).isEmpty();
    Map<String, Object> policy = (Map<String, Object>) spec(objects.get(1)).get("trafficPolicy");
    assertThat(policy.get("tls")).isEqualTo(Map.of("mode", "ISTIO_MUTUAL"));
    // Istio's webhook: ISTIO_MUTUAL takes no certificates, SNI or SANs of the user's.
    assertThat((Map<String, Object>) policy.get("tls")).containsOnlyKeys("mode");
    // The ServiceEntry and everything else are as for auto, which writes no TLS settings.
    List<GenericKubernetesResource> asAuto = applier.desired(auto);
    assertThat(objects.get(0)).isEqualTo(asAuto.get(0));
    assertThat((Map<String, Object>) spec(asAuto.get(1)).get("trafficPolicy"))
        .doesNotContainKey("tls");
    assertThat(applier.cannotServe(sni)).isNull();
    assertThat(applier.cannotServe(auto)).isNull();
  }

  @Test
  void eachEndpointGetsItsOwnPortAndRelativeWeights() {
    GenericKubernetesResource se = applier.desired(Destinations.splitAcrossPorts()).get(0);
    assertThat(istioErrors(List.of(se))).isEmpty();
    assertThat(endpoints(se)).extracting(e -> e.get("address") + " " + e.get("ports") + " "
        + e.get("weight")).containsExactly(
            "10.0.0.11 {http-9080=9080} 35000",
            "10.0.0.12 {http-9080=9080} 35000",
            "10.1.0.21 {http-9080=9081} 30000");
  }

  @Test
  void noEndpointWithAShareIsLostAndNoWeightIsZero() {
    // Percent weights (the old contract) round endpoints of a 250-endpoint tier down to 0:
    // they still have a share and must all be written.
    FederatedDestination wide = Destinations.wide(250);
    FederatedDestination roundedDown = FederatedDestination.newBuilder(wide).setTiers(List.of(
        new DestinationTier(0, 100, List.of(), wide.getTiers().get(0).getEndpoints().stream()
            .map(e -> WeightedEndpoint.newBuilder(e).setHealth(EndpointHealth.HEALTHY).build())
            .toList()))).build();
    GenericKubernetesResource se = applier.desired(roundedDown).get(0);
    assertThat(istioErrors(List.of(se))).isEmpty();
    assertThat(endpoints(se)).hasSize(250)
        .allSatisfy(e -> assertThat((Long) e.get("weight")).isEqualTo(1L));

    // Without a share: a tier without load, or an unhealthy endpoint outside panic.
    FederatedDestination fd = FederatedDestination.newBuilder(Destinations.failedOver(1))
        .setTiers(List.of(
            new DestinationTier(0, 100, List.of(), List.of(
                Destinations.endpoint("10.0.0.1", 3, "mgmt-cluster"),
                Destinations.endpoint("10.0.0.2", 0, "mgmt-cluster"))),
            new DestinationTier(1, 0, List.of(), List.of(
                WeightedEndpoint.newBuilder(Destinations.endpoint("10.1.0.1", 0, "remote-cluster"))
                    .setHealth(EndpointHealth.HEALTHY).build()))))
        .setActiveTier(0).build();
    assertThat(endpoints(applier.desired(fd).get(0))).extracting(e -> e.get("address"))
        .containsExactly("10.0.0.1");

    // Panic: every endpoint of the loaded tier is eligible, whatever its health.
    FederatedDestination panic = FederatedDestination.newBuilder(fd).setActiveTier(-1).build();
    assertThat(endpoints(applier.desired(panic).get(0))).extracting(e -> e.get("address"))
        .containsExactly("10.0.0.1", "10.0.0.2");
  }

  @Test
  void weightsWhoseSumOverflowsEnvoyAreScaledKeepingTheirRatio() {
    FederatedDestination fd = FederatedDestination.newBuilder(Destinations.failedOver(1))
        .setTiers(List.of(new DestinationTier(0, 100, List.of(), List.of(
            Destinations.endpoint("10.0.0.1", Integer.MAX_VALUE, "mgmt-cluster"),
            Destinations.endpoint("10.0.0.2", Integer.MAX_VALUE, "mgmt-cluster"),
            Destinations.endpoint("10.0.0.3", Integer.MAX_VALUE / 2, "mgmt-cluster"),
            Destinations.endpoint("10.0.0.4", 1, "mgmt-cluster")))))
        .setActiveTier(0).build();
    GenericKubernetesResource se = applier.desired(fd).get(0);
    assertThat(istioErrors(List.of(se))).isEmpty();
    List<Long> weights = endpoints(se).stream().map(e -> (Long) e.get("weight")).toList();
    assertThat(weights.get(0)).isEqualTo(weights.get(1));
    assertThat((double) weights.get(0) / weights.get(2)).isCloseTo(2.0,
        org.assertj.core.api.Assertions.within(1e-6));
    assertThat(weights.get(3)).isEqualTo(1L);
  }

  @Test
  void multiPortAndDnsDestinationsValidate() {
    FederatedDestination fd = FederatedDestination.newBuilder(Destinations.failedOver(1))
        .setHosts(List.of("reviews.global", "reviews.example.com"))
        .setPorts(List.of(new DestinationPort(9080, "HTTP", 9080),
            new DestinationPort(443, "HTTPS", 8443), new DestinationPort(27017, "mongo", 27017)))
        .setTiers(List.of(new DestinationTier(0, 100, List.of(), List.of(
            Destinations.endpoint("reviews.mgmt.example.com", 50, "mgmt-cluster"),
            Destinations.endpoint("fd00::1", 50, "mgmt-cluster")))))
        .setActiveTier(0).build();
    List<GenericKubernetesResource> objects = applier.desired(fd);
    assertThat(objects).extracting(GenericKubernetesResource::getKind)
        .containsExactly("ServiceEntry", "DestinationRule", "DestinationRule");
    assertThat(istioErrors(objects)).isEmpty();
    assertThat(spec(objects.get(0))).containsEntry("resolution", "DNS");
    assertThat(endpoints(objects.get(0)).get(0).get("ports"))
        .isEqualTo(Map.of("http-9080", 9080, "https-443", 8443, "mongo-27017", 27017));
  }

  @Test
  void eachEndpointListensOnItsOwnPortForEachDestinationPort() {
    FederatedDestination fd = FederatedDestination.newBuilder(Destinations.failedOver(1))
        .setPorts(List.of(new DestinationPort(8080, "HTTP", 9080),
            new DestinationPort(8443, "GRPC", 9091)))
        .setTiers(List.of(new DestinationTier(0, 100, List.of(), List.of(
            WeightedEndpoint.newBuilder(Destinations.endpoint("10.0.0.11", 50, "mgmt-cluster"))
                .setPort(9080).setPorts(List.of(9080, 9091)).build(),
            WeightedEndpoint.newBuilder(Destinations.endpoint("10.1.0.21", 50, "remote-cluster"))
                .setPort(9080).setPorts(List.of(9080, 9092)).build()))))
        .setActiveTier(0).build();
    List<GenericKubernetesResource> objects = applier.desired(fd);
    assertThat(istioErrors(objects)).isEmpty();
    assertThat(endpoints(objects.get(0))).extracting(e -> e.get("ports")).containsExactly(
        Map.of("http-8080", 9080, "grpc-8443", 9091), Map.of("http-8080", 9080, "grpc-8443", 9092));
  }

  @Test
  @SuppressWarnings("unchecked")
  void theSchemaCheckCatchesWhatIstioWouldReject() {
    GenericKubernetesResource se = applier.desired(Destinations.failedOver(2)).get(0);
    Map<String, Object> spec = spec(se);
    ((List<Map<String, Object>>) spec.get("endpoints")).get(0).put("weight", 0);
    ((List<Map<String, Object>>) spec.get("ports")).get(0).put("number", 70000);
    spec.put("subsets", List.of());
    assertThat(istioErrors(List.of(se))).anySatisfy(e -> assertThat(e).contains("weight 0"))
        .anySatisfy(e -> assertThat(e).contains("port must be between 1-65535"))
        .anySatisfy(e -> assertThat(e).contains("spec.subsets: field not declared"));
    GenericKubernetesResource dr = applier.desired(Destinations.failedOver(2)).get(1);
    ((Map<String, Object>) ((Map<String, Object>) spec(dr).get("trafficPolicy"))
        .get("outlierDetection")).put("interval", "0s");
    assertThat(istioErrors(List.of(dr))).singleElement().asString()
        .contains("must be a valid duration greater than 1ms");
  }

  @Test
  void everyObjectIsLabelledAsOwnedAndNamesAreStable() {
    var first = applier.desired(Destinations.failedOver(2));
    var again = applier.desired(Destinations.failedOver(3));
    assertThat(first).allSatisfy(r ->
        assertThat(Ownership.isOwned(r.getMetadata().getLabels())).isTrue());
    assertThat(first).extracting(r -> r.getMetadata().getName())
        .isEqualTo(again.stream().map(r -> r.getMetadata().getName()).toList());
  }

  @Test
  void longNamesAreShortenedToValidUniqueLabels() {
    var longRef = new io.meshfed.avro.ResourceRef(io.meshfed.avro.ResourceKind.VirtualDestination,
        "a-very-long-namespace-name-for-testing", "an-equally-long-destination-name-x");
    String name = Ownership.baseName(longRef, 63);
    assertThat(name).hasSizeLessThanOrEqualTo(63).matches(DNS_1123);
    var other = new io.meshfed.avro.ResourceRef(io.meshfed.avro.ResourceKind.VirtualDestination,
        "a-very-long-namespace-name-for-testing", "an-equally-long-destination-name-y");
    assertThat(Ownership.baseName(other, 63)).isNotEqualTo(name);
  }
}
