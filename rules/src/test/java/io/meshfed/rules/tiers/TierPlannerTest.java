package io.meshfed.rules.tiers;

import static io.meshfed.rules.Fixtures.http;
import static io.meshfed.rules.Fixtures.reviewsFailover;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.rules.membership.Member;
import io.meshfed.rules.model.BackendKind;
import io.meshfed.rules.model.ClusterInfo;
import io.meshfed.rules.model.FailoverPolicySpec;
import io.meshfed.rules.model.Selector;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.model.TierOrdering;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TierPlannerTest {

  private static Member member(String cluster) {
    return new Member(new ServiceRef(cluster, "apps", "dest"), BackendKind.SERVICE,
        List.of(http(9080)));
  }

  private static final Map<String, ClusterInfo> CLUSTERS = List.of(
      new ClusterInfo("east-a", "us-east", Set.of("us-east-1a"), Map.of("env", "prod",
          "tier", "gold"), null),
      new ClusterInfo("east-a2", "us-east", Set.of("us-east-1a", "us-east-1b"),
          Map.of("env", "prod", "tier", "silver"), null),
      new ClusterInfo("east-b", "us-east", Set.of("us-east-1c"), Map.of("env", "prod",
          "tier", "gold"), null),
      new ClusterInfo("eu", "eu-west", Set.of("eu-west-1a"), Map.of("env", "staging"), null))
      .stream().collect(Collectors.toMap(ClusterInfo::name, Function.identity()));

  private static final List<Member> ALL =
      List.of(member("eu"), member("east-b"), member("east-a2"), member("east-a"));

  private static List<List<String>> clusters(List<Tier> tiers) {
    return tiers.stream().map(t -> t.members().stream()
        .map(m -> m.member().cluster()).toList()).toList();
  }

  private static FailoverPolicySpec policy(TierOrdering ordering, List<String> labels,
      List<String> order, Map<String, Integer> weights) {
    return new FailoverPolicySpec(List.of(Selector.byLabels(Map.of())), ordering, labels, order,
        weights, null, null);
  }

  @Test
  void failoverServiceTierIIsBackingServiceI() {
    Member mgmt = new Member(new ServiceRef("mgmt-cluster", "bookinfo", "reviews"),
        BackendKind.SERVICE, List.of(http(9080)));
    Member remote = new Member(new ServiceRef("remote-cluster", "bookinfo", "reviews"),
        BackendKind.SERVICE, List.of(http(9080)));
    assertThat(clusters(TierPlanner.forFailoverService(reviewsFailover(), List.of(remote, mgmt))))
        .containsExactly(List.of("mgmt-cluster"), List.of("remote-cluster"));
    // A missing backing service keeps its (empty) tier so indices match the spec.
    assertThat(clusters(TierPlanner.forFailoverService(reviewsFailover(), List.of(remote))))
        .containsExactly(List.of(), List.of("remote-cluster"));
  }

  @Test
  void withoutAPolicyOneTierWithEveryMember() {
    List<Tier> tiers = TierPlanner.forVirtualDestination(ALL, null, "east-a", CLUSTERS);
    assertThat(tiers).hasSize(1);
    assertThat(tiers.get(0).members()).hasSize(4).allMatch(m -> m.weight() == 1);
  }

  @Test
  void localityOrdersSameClusterThenZoneThenRegionThenRest() {
    var tiers = TierPlanner.forVirtualDestination(ALL,
        policy(TierOrdering.LOCALITY, List.of(), List.of(), Map.of()), "east-a", CLUSTERS);
    assertThat(clusters(tiers)).containsExactly(List.of("east-a"), List.of("east-a2"),
        List.of("east-b"), List.of("eu"));
    // From eu there is no zone or region in common: own cluster, then the rest together.
    var fromEu = TierPlanner.forVirtualDestination(ALL,
        policy(TierOrdering.LOCALITY, List.of(), List.of(), Map.of()), "eu", CLUSTERS);
    assertThat(clusters(fromEu)).containsExactly(List.of("eu"),
        List.of("east-a", "east-a2", "east-b"));
  }

  @Test
  void priorityLabelsFollowIstioFailoverPriority() {
    var tiers = TierPlanner.forVirtualDestination(ALL,
        policy(TierOrdering.PRIORITY_LABELS, List.of("env", "tier"), List.of(), Map.of()),
        "east-a", CLUSTERS);
    assertThat(clusters(tiers)).containsExactly(List.of("east-a", "east-b"), List.of("east-a2"),
        List.of("eu"));
  }

  @Test
  void clusterOrderPutsUnlistedClustersLastAndWeightsApply() {
    var tiers = TierPlanner.forVirtualDestination(ALL,
        policy(TierOrdering.CLUSTER_ORDER, List.of(), List.of("eu", "east-b"),
            Map.of("east-a", 3)), "east-a", CLUSTERS);
    assertThat(clusters(tiers)).containsExactly(List.of("eu"), List.of("east-b"),
        List.of("east-a", "east-a2"));
    assertThat(tiers.get(2).members()).extracting(Tier.WeightedMember::weight)
        .containsExactly(3, 1);
    assertThat(tiers).extracting(Tier::index).containsExactly(0, 1, 2);
  }
}
