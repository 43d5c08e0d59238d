package io.meshfed.agent.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Kubernetes objects obey the API's rules for Services and EndpointSlices. */
class KubernetesApplierTest {

  private static final Pattern DNS_1123 = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern LABEL_VALUE =
      Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");

  private final KubernetesApplier applier = new KubernetesApplier("meshfed");

  private static <T> T typed(GenericKubernetesResource r, Class<T> type) {
    return Serialization.unmarshal(Serialization.asJson(r), type);
  }

  @Test
  void aSelectorLessServiceAndSlicesWithTheMcsLabels() {
    List<GenericKubernetesResource> objects = applier.desired(Destinations.failedOver(2));
    Service service = typed(objects.get(0), Service.class);
    assertThat(service.getSpec().getSelector()).isNullOrEmpty();
    assertThat(service.getSpec().getPorts()).singleElement()
        .satisfies(p -> assertThat(p.getPort()).isEqualTo(9080));
    String name = service.getMetadata().getName();
    assertThat(name).matches(DNS_1123).hasSizeLessThanOrEqualTo(63);

    EndpointSlice slice = typed(objects.get(1), EndpointSlice.class);
    assertThat(slice.getAddressType()).isEqualTo("IPv4");
    assertThat(slice.getMetadata().getLabels())
        .containsEntry("kubernetes.io/service-name", name)
        .containsEntry("multicluster.kubernetes.io/service-name", name)
        .containsEntry("endpointslice.kubernetes.io/managed-by", "agent.meshfed.io");
    assertThat(slice.getMetadata().getLabels().values()).allMatch(v ->
        v.length() <= 63 && LABEL_VALUE.matcher(v).matches());
    assertThat(slice.getEndpoints()).extracting(e -> e.getAddresses().get(0) + "="
        + e.getConditions().getReady()).containsExactly("10.0.0.11=false", "10.0.0.12=false",
        "10.1.0.21=true");
    assertThat(slice.getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getPort()).isEqualTo(9080);
      assertThat(p.getName()).isEqualTo("http-9080");
    });
  }

  @Test
  void atMostOneThousandEndpointsPerSlice() {
    List<GenericKubernetesResource> objects = applier.desired(Destinations.wide(2500));
    List<EndpointSlice> slices = objects.stream().skip(1)
        .map(r -> typed(r, EndpointSlice.class)).toList();
    assertThat(slices).hasSize(3);
    assertThat(slices).allSatisfy(s -> {
      assertThat(s.getEndpoints()).hasSizeLessThanOrEqualTo(1000);
      assertThat(s.getMetadata().getName()).matches(DNS_1123).hasSizeLessThanOrEqualTo(63);
    });
    assertThat(slices.stream().mapToInt(s -> s.getEndpoints().size()).sum()).isEqualTo(2500);
  }

  @Test
  void addressTypesFollowTheAddresses() {
    assertThat(KubernetesApplier.addressType("10.0.0.1")).isEqualTo("IPv4");
    assertThat(KubernetesApplier.addressType("fd00::1")).isEqualTo("IPv6");
    assertThat(KubernetesApplier.addressType("reviews.example.com")).isEqualTo("FQDN");
  }
}
