package io.meshfed.agent.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.meshfed.agent.schema.Crds;
import io.meshfed.agent.schema.KubeRules;
import io.meshfed.agent.schema.VirtualServiceRules;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.shift.Shift;
import io.meshfed.rules.shift.ShiftTarget;
import io.meshfed.rules.shift.TrafficPolicy.FailoverServiceRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The guide's traffic shift as Istio objects: the FailoverService's ServiceEntry and
 * DestinationRule plus a VirtualService per shift, valid for the API server and Istio's webhook.
 */
class ShiftingApplierTest {

  private static final FailoverServiceRef FS =
      new FailoverServiceRef("reviews-failover", "service-mesh-hub");

  /** A source of fixed shifts that records what it is told. */
  private static final class Fixed implements TrafficShiftSource {
    final List<Shift> shifts;
    final List<String> told = new ArrayList<>();

    Fixed(List<Shift> shifts) {
      this.shifts = shifts;
    }

    @Override
    public void configured(FederatedDestination destination) {
      told.add("configured " + destination.getDestination().getName());
    }

    @Override
    public void withdrawn(ResourceRef destination) {
      told.add("withdrawn " + destination.getName());
    }

    @Override
    public List<Shift> shiftsTo(ResourceRef failoverService) {
      return failoverService.getName().equals(FS.name()) ? shifts : List.of();
    }
  }

  private static Shift shift(String protocol) {
    return new Shift("bookinfo/reviews-shift-failover",
        new ServiceRef("mgmt-cluster", "bookinfo", "reviews"),
        "reviews.bookinfo.svc.cluster.local", FS,
        new ShiftTarget("reviews-failover.bookinfo.global", 9080, protocol));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource r) {
    return (Map<String, Object>) r.getAdditionalProperties().get("spec");
  }

  @Test
  void theGuidesShiftIsAVirtualServiceForReviewsRoutingToTheFailoverServiceHost() {
    Fixed source = new Fixed(List.of(shift("HTTP")));
    ShiftingApplier applier = new ShiftingApplier(new IstioApplier("meshfed"), source, "meshfed");
    List<GenericKubernetesResource> out = applier.desired(Destinations.failedOver(4));
    assertThat(out).extracting(GenericKubernetesResource::getKind)
        .containsExactly("ServiceEntry", "DestinationRule", "VirtualService");
    assertThat(source.told).containsExactly("configured reviews-failover");
    GenericKubernetesResource vs = out.get(2);
    assertThat(vs.getMetadata().getLabels())
        .isEqualTo(Ownership.labels(Destinations.REVIEWS));
    assertThat(vs.getMetadata().getAnnotations())
        .containsEntry(ShiftingApplier.POLICY_ANNOTATION, "bookinfo/reviews-shift-failover");
    assertThat(spec(vs)).isEqualTo(Map.of(
        "hosts", List.of("reviews.bookinfo.svc.cluster.local"),
        "http", List.of(Map.of("name", "meshfed-traffic-shift", "route", List.of(Map.of(
            "destination", Map.of("host", "reviews-failover.bookinfo.global",
                "port", Map.of("number", 9080L))))))));
    assertThat(VirtualServiceRules.errors(spec(vs))).isEmpty();
    assertThat(KubeRules.metadata(Crds.asMap(vs), false)).isEmpty();
    assertThat(applier.kinds()).contains(ShiftingApplier.VIRTUAL_SERVICE);
  }

  @Test
  void aTcpFailoverServiceIsShiftedWithATcpRoute() {
    ShiftingApplier applier = new ShiftingApplier(new IstioApplier("meshfed"),
        new Fixed(List.of(shift("TCP"))), "meshfed");
    GenericKubernetesResource vs = applier.desired(Destinations.failedOver(4)).get(2);
    assertThat(spec(vs)).containsKey("tcp").doesNotContainKey("http");
    assertThat(VirtualServiceRules.errors(spec(vs))).isEmpty();
  }

  @Test
  void theRulesCatchWhatIstioRefuses() {
    assertThat(VirtualServiceRules.errors(Map.of("hosts", List.of("*"), "http", List.of(Map.of(
        "route", List.of(Map.of("destination", Map.of("port", Map.of("number", 0L)))))))))
        .containsExactlyInAnyOrder(
            "wildcard host * is not allowed for virtual services bound to the mesh gateway",
            "spec.http[].route[].destination.host: Required value, a valid host",
            "spec.http[].route[].destination.port.number: port number 0 must be in the range"
                + " 1..65535");
    assertThat(VirtualServiceRules.errors(Map.of("hosts", List.of(), "subsets", List.of())))
        .containsExactlyInAnyOrder("spec.subsets: unknown field (pruned by the API server)",
            "virtual service must have at least one host",
            "http, tcp or tls must be provided in virtual service");
  }

  @Test
  void aVirtualDestinationGetsNoShiftsAndAWithdrawnConfigIsPassedOn() {
    Fixed source = new Fixed(List.of(shift("HTTP")));
    ShiftingApplier applier = new ShiftingApplier(new IstioApplier("meshfed"), source, "meshfed");
    FederatedDestination vd = FederatedDestination.newBuilder(Destinations.failedOver(4))
        .setDestination(new ResourceRef(ResourceKind.VirtualDestination, "service-mesh-hub",
            "reviews-failover")).build();
    assertThat(applier.desired(vd)).extracting(GenericKubernetesResource::getKind)
        .doesNotContain("VirtualService");
    applier.withdrawn(Destinations.REVIEWS);
    assertThat(source.told).containsExactly("withdrawn reviews-failover");
  }
}
