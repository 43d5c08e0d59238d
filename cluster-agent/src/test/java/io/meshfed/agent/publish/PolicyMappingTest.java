package io.meshfed.agent.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshfed.avro.FailoverPolicySpec;
import io.meshfed.avro.FailoverServiceSpec;
import io.meshfed.avro.ResourceKind;
import org.junit.jupiter.api.Test;

/**
 * Numbers as people write them wrong: the lenient mapping never turns one into a wrapped-around
 * value, and {@link PolicyMapping#numberProblems} names the field and what was written.
 */
class PolicyMappingTest {

  private static GenericKubernetesResource failoverService(String port) {
    return Serialization.unmarshal("""
        apiVersion: meshfed.io/v1alpha1
        kind: FailoverService
        metadata: {name: fs, namespace: ns, generation: 1}
        spec:
          hostname: fs.global
          port: {number: %s, protocol: http}
        """.formatted(port), GenericKubernetesResource.class);
  }

  @Test
  void aWellFormedPortHasNoProblems() {
    var r = failoverService("9080");
    assertThat(PolicyMapping.numberProblems(ResourceKind.FailoverService, r)).isEmpty();
    assertThat(((FailoverServiceSpec) PolicyMapping.toEvent(ResourceKind.FailoverService, r)
        .getSpec()).getPort().getNumber()).isEqualTo(9080L);
    // Out of the port range is validation's to report (INVALID), not a reading problem.
    assertThat(PolicyMapping.numberProblems(ResourceKind.FailoverService,
        failoverService("70000"))).isEmpty();
  }

  @Test
  void aFailoverServiceCarriesItsFailoverThreshold() {
    var r = Serialization.unmarshal("""
        apiVersion: meshfed.io/v1alpha1
        kind: FailoverService
        metadata: {name: fs, namespace: ns, generation: 1}
        spec:
          hostname: fs.global
          port: {number: 9080, protocol: http}
          failoverThresholdPercent: 50
        """, GenericKubernetesResource.class);
    assertThat(((FailoverServiceSpec) PolicyMapping.toEvent(ResourceKind.FailoverService, r)
        .getSpec()).getFailoverThresholdPercent()).isEqualTo(50);
    assertThat(((FailoverServiceSpec) PolicyMapping.toEvent(ResourceKind.FailoverService,
        failoverService("9080")).getSpec()).getFailoverThresholdPercent()).isNull();
  }

  @Test
  void textFractionsAndOverflowAreNamedWithWhatWasWritten() {
    assertThat(PolicyMapping.numberProblems(ResourceKind.FailoverService,
        failoverService("abc"))).containsExactly("spec.port.number: \"abc\" is not an integer");
    assertThat(PolicyMapping.numberProblems(ResourceKind.FailoverService,
        failoverService("80.5"))).containsExactly("spec.port.number: 80.5 is not an integer");
    assertThat(PolicyMapping.numberProblems(ResourceKind.FailoverService,
        failoverService("99999999999999999999"))).containsExactly("spec.port.number:"
        + " 99999999999999999999 is out of range (-9223372036854775808 to 9223372036854775807)");
  }

  @Test
  void anOverflowMapsToTheFallbackNeverToAWrappedValue() {
    // 2^64 + 80: longValue() would make it 80, a valid port nobody wrote.
    var r = failoverService("18446744073709551696");
    assertThat(((FailoverServiceSpec) PolicyMapping.toEvent(ResourceKind.FailoverService, r)
        .getSpec()).getPort().getNumber()).isEqualTo(-1L);
    var policy = Serialization.unmarshal("""
        apiVersion: meshfed.io/v1alpha1
        kind: FailoverPolicy
        metadata: {name: p, namespace: ns}
        spec:
          weights: {a: 4294967396}
          failoverThresholdPercent: 50
        """, GenericKubernetesResource.class);
    assertThat(PolicyMapping.numberProblems(ResourceKind.FailoverPolicy, policy))
        .containsExactly("spec.weights.a: 4294967396 is out of range (-2147483648 to"
            + " 2147483647)");
    var spec = (FailoverPolicySpec) PolicyMapping.toEvent(ResourceKind.FailoverPolicy, policy)
        .getSpec();
    assertThat(spec.getWeights().get(0).getWeight()).isZero();
    assertThat(spec.getFailoverThresholdPercent()).isEqualTo(50);
  }
}
