package io.meshfed.agent.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Istio objects use only fields, types and enum values of {@code networking.istio.io/v1}
 * (ServiceEntry, WorkloadEntry, Port; DestinationRule, TrafficPolicy, OutlierDetection,
 * LoadBalancerSettings, LocalityLoadBalancerSetting, Subset), with every required field set.
 * The allowed fields are written out here from the API reference, not copied from Istio.
 */
class IstioApplierTest {

  private static final Map<String, Set<String>> FIELDS = Map.of(
      "ServiceEntry", Set.of("hosts", "addresses", "ports", "location", "resolution",
          "endpoints", "workloadSelector", "exportTo", "subjectAltNames"),
      "Port", Set.of("number", "protocol", "name", "targetPort"),
      "WorkloadEntry", Set.of("address", "ports", "labels", "network", "locality", "weight",
          "serviceAccount"),
      "DestinationRule", Set.of("host", "trafficPolicy", "subsets", "exportTo",
          "workloadSelector"),
      "TrafficPolicy", Set.of("loadBalancer", "connectionPool", "outlierDetection", "tls",
          "portLevelSettings", "tunnel", "proxyProtocol", "retryBudget"),
      "OutlierDetection", Set.of("splitExternalLocalOriginErrors",
          "consecutiveLocalOriginFailures", "consecutiveGatewayErrors", "consecutive5xxErrors",
          "interval", "baseEjectionTime", "maxEjectionPercent", "minHealthPercent"),
      "LoadBalancerSettings", Set.of("simple", "consistentHash", "localityLbSetting",
          "warmupDurationSecs", "warmup"),
      "LocalityLoadBalancerSetting", Set.of("distribute", "failover", "failoverPriority",
          "enabled"),
      "Subset", Set.of("name", "labels", "trafficPolicy"));
  private static final Set<String> PROTOCOLS =
      Set.of("HTTP", "HTTPS", "GRPC", "HTTP2", "MONGO", "TCP", "TLS");
  private static final Pattern DURATION = Pattern.compile("\\d+(ms|s|m|h)");
  private static final Pattern DNS_1123 = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  private final IstioApplier applier = new IstioApplier("meshfed");

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource r) {
    return (Map<String, Object>) r.getAdditionalProperties().get("spec");
  }

  @SuppressWarnings("unchecked")
  private static void check(String message, Map<String, Object> value, List<String> problems) {
    for (String field : value.keySet()) {
      if (!FIELDS.get(message).contains(field)) {
        problems.add(message + " has no field '" + field + "'");
      }
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void serviceEntryUsesOnlyIstioFieldsAndCarriesTheTrafficEndpoints() {
    List<GenericKubernetesResource> objects = applier.desired(Destinations.failedOver(2));
    GenericKubernetesResource se = objects.get(0);
    assertThat(se.getApiVersion()).isEqualTo("networking.istio.io/v1");
    assertThat(se.getKind()).isEqualTo("ServiceEntry");
    assertThat(se.getMetadata().getName()).matches(DNS_1123).hasSizeLessThanOrEqualTo(63);
    Map<String, Object> spec = spec(se);
    List<String> problems = new ArrayList<>();
    check("ServiceEntry", spec, problems);
    assertThat((List<String>) spec.get("hosts")).containsExactly(
        "reviews-failover.bookinfo.global");
    assertThat(spec.get("location")).isIn("MESH_EXTERNAL", "MESH_INTERNAL");
    assertThat(spec.get("resolution")).isIn("NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN");
    for (Map<String, Object> port : (List<Map<String, Object>>) spec.get("ports")) {
      check("Port", port, problems);
      assertThat(port).containsKeys("number", "protocol", "name");
      assertThat((String) port.get("protocol")).isIn(PROTOCOLS);
    }
    List<Map<String, Object>> endpoints = (List<Map<String, Object>>) spec.get("endpoints");
    endpoints.forEach(e -> check("WorkloadEntry", e, problems));
    assertThat(problems).isEmpty();
    // Only the endpoint with traffic: Istio would read weight 0 as 1.
    assertThat(endpoints).singleElement().satisfies(e -> {
      assertThat(e.get("address")).isEqualTo("10.1.0.21");
      assertThat(e.get("weight")).isEqualTo(100);
      assertThat(e.get("locality")).isEqualTo("eu-west-1/remote-cluster-a");
      assertThat((Map<String, Object>) e.get("ports")).containsEntry("http-9080", 9080);
    });
  }

  @Test
  @SuppressWarnings("unchecked")
  void destinationRuleCarriesOutlierDetectionAndTheTierOrder() {
    GenericKubernetesResource dr = applier.desired(Destinations.failedOver(2)).get(1);
    assertThat(dr.getKind()).isEqualTo("DestinationRule");
    Map<String, Object> spec = spec(dr);
    List<String> problems = new ArrayList<>();
    check("DestinationRule", spec, problems);
    assertThat(spec.get("host")).isEqualTo("reviews-failover.bookinfo.global");
    Map<String, Object> policy = (Map<String, Object>) spec.get("trafficPolicy");
    check("TrafficPolicy", policy, problems);
    Map<String, Object> outlier = (Map<String, Object>) policy.get("outlierDetection");
    check("OutlierDetection", outlier, problems);
    Map<String, Object> lb = (Map<String, Object>) policy.get("loadBalancer");
    check("LoadBalancerSettings", lb, problems);
    check("LocalityLoadBalancerSetting", (Map<String, Object>) lb.get("localityLbSetting"),
        problems);
    List<Map<String, Object>> subsets = (List<Map<String, Object>>) spec.get("subsets");
    subsets.forEach(s -> check("Subset", s, problems));
    assertThat(problems).isEmpty();
    assertThat(outlier).containsEntry("consecutive5xxErrors", 1).containsEntry("interval", "10s")
        .containsEntry("baseEjectionTime", "30s").containsEntry("maxEjectionPercent", 100);
    assertThat((String) outlier.get("interval")).matches(DURATION);
    assertThat(subsets).extracting(s -> s.get("name")).containsExactly("tier-0", "tier-1");
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
