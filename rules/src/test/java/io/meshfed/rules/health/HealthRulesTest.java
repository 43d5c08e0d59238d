package io.meshfed.rules.health;

import static io.meshfed.rules.Fixtures.T0;
import static io.meshfed.rules.Fixtures.meta;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.rules.model.ClusterInfo;
import io.meshfed.rules.model.Endpoint;
import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.Meta;
import io.meshfed.rules.model.Resource.OutlierDetectionPolicy;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.OutlierDetectionSpec;
import io.meshfed.rules.model.Selector;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HealthRulesTest {

  private static final Duration TTL = Duration.ofSeconds(30);

  @Test
  void readyDecidesHealthFromEndpointSliceConditions() {
    assertThat(HealthRules.fromConditions(Endpoint.ready("10.0.0.1", "z", "r")))
        .isEqualTo(EndpointHealth.HEALTHY);
    assertThat(HealthRules.fromConditions(Endpoint.notReady("10.0.0.1", "z", "r")))
        .isEqualTo(EndpointHealth.UNHEALTHY);
    // Terminating but still serving: not for new traffic.
    assertThat(HealthRules.fromConditions(new Endpoint("10.0.0.1", false, true, true, null, null)))
        .isEqualTo(EndpointHealth.UNHEALTHY);
  }

  @Test
  void aClusterIsStaleWhenItsHeartbeatIsOlderThanTheTtlOrMissing() {
    ClusterInfo cluster = ClusterInfo.of("c1", "r", "z", T0);
    assertThat(HealthRules.isStale(cluster, T0.plus(TTL), TTL)).isFalse();
    assertThat(HealthRules.isStale(cluster, T0.plus(TTL).plusMillis(1), TTL)).isTrue();
    assertThat(HealthRules.staleAt(cluster, TTL)).isAfter(T0.plus(TTL));
    assertThat(HealthRules.isStale(ClusterInfo.of("c2", "r", "z", null), T0, TTL)).isTrue();
    assertThat(HealthRules.isStale(null, T0, TTL)).isTrue();
  }

  @Test
  void staleBeatsConditionsAndEjectionBeatsReady() {
    Endpoint ready = Endpoint.ready("10.0.0.1", "z", "r");
    OutlierState ejected = new OutlierState(0, null, 1, T0.plusSeconds(30), T0);
    assertThat(HealthRules.resolve(ready, true, null, T0)).isEqualTo(EndpointHealth.STALE);
    assertThat(HealthRules.resolve(ready, false, ejected, T0)).isEqualTo(EndpointHealth.EJECTED);
    assertThat(HealthRules.resolve(ready, false, ejected, T0.plusSeconds(30)))
        .isEqualTo(EndpointHealth.HEALTHY);
    assertThat(HealthRules.resolve(Endpoint.notReady("a", null, null), false, ejected, T0))
        .isEqualTo(EndpointHealth.UNHEALTHY);
  }

  @Test
  void withoutAPolicyDefaultsApplyAndStatusSaysSo() {
    Meta destination = meta(Kind.FailoverService, "smh", "reviews-failover", T0);
    var resolution = OutlierPolicies.forDestination(destination, List.of());
    assertThat(resolution.settings()).isEqualTo(OutlierSettings.DEFAULTS);
    assertThat(resolution.settings()).isEqualTo(
        new OutlierSettings(5, Duration.ofSeconds(10), Duration.ofSeconds(30), 100));
    assertThat(resolution.source()).isEmpty();
    assertThat(resolution.warnings()).containsExactly("no OutlierDetectionPolicy selects this"
        + " destination; default outlier detection applies (consecutiveErrors 5, interval"
        + " 10000ms, baseEjectionTime 30000ms, maxEjectionPercent 100)");
  }

  @Test
  void theOldestSelectingPolicyAppliesAndOthersAreNamed() {
    Meta destination = meta(Kind.FailoverService, "smh", "reviews-failover", T0);
    var select = List.of(new Selector(Map.of(), "reviews-failover", "smh", null));
    var newer = new OutlierDetectionPolicy(meta(Kind.OutlierDetectionPolicy, "smh", "b",
        T0.plusSeconds(5)), new OutlierDetectionSpec(select, 3, null, null, null));
    var older = new OutlierDetectionPolicy(meta(Kind.OutlierDetectionPolicy, "smh", "a", T0),
        new OutlierDetectionSpec(select, 1, null, null, null));
    var other = new OutlierDetectionPolicy(meta(Kind.OutlierDetectionPolicy, "smh", "c", T0),
        new OutlierDetectionSpec(List.of(new Selector(Map.of(), "nope", null, null)), 9, null,
            null, null));
    var resolution = OutlierPolicies.forDestination(destination, List.of(newer, other, older));
    assertThat(resolution.source()).contains(
        new ResourceId(Kind.OutlierDetectionPolicy, "smh", "a"));
    assertThat(resolution.settings().consecutiveErrors()).isEqualTo(1);
    assertThat(resolution.settings().interval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(resolution.warnings()).containsExactly("2 policies of kind OutlierDetectionPolicy select this"
        + " destination (OutlierDetectionPolicy/smh/a, OutlierDetectionPolicy/smh/b); the"
        + " oldest, OutlierDetectionPolicy/smh/a, applies");
  }
}
