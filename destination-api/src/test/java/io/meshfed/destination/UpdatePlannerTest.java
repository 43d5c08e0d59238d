package io.meshfed.destination;

import static org.assertj.core.api.Assertions.assertThat;

import io.linkerd.proxy.destination.Update;
import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.WeightedEndpoint;
import io.meshfed.rules.decision.Decider;
import io.meshfed.rules.decision.DecisionInputs;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.decision.EndpointInput;
import io.meshfed.rules.decision.MemberInput;
import io.meshfed.rules.decision.TierInput;
import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.split.SplitPolicy;
import io.meshfed.topology.decide.AvroMapping;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The Get stream's contract rules, one test each, on the pure planner. */
class UpdatePlannerTest {

  private static final Authority AUTHORITY = Authority.parse("reviews.global:9080");

  /** A destination whose tiers are given as lists of address=weight. */
  static FederatedDestination destination(String protocol, List<List<String>> tiers) {
    List<DestinationTier> out = new ArrayList<>();
    for (int i = 0; i < tiers.size(); i++) {
      List<WeightedEndpoint> endpoints = tiers.get(i).stream().map(spec -> {
        String[] parts = spec.split("=");
        return WeightedEndpoint.newBuilder().setAddress(parts[0]).setPort(9080)
            .setWeight(Integer.parseInt(parts[1])).setCluster("c" + parts[0].charAt(3))
            .setNamespace("bookinfo").setService("reviews").build();
      }).toList();
      int load = endpoints.stream().mapToInt(WeightedEndpoint::getWeight).sum();
      out.add(new DestinationTier(i, load, List.of(), endpoints));
    }
    return FederatedDestination.newBuilder()
        .setDestination(new ResourceRef(ResourceKind.FailoverService, "mesh", "reviews"))
        .setClientCluster("c0").setHosts(List.of("reviews.global"))
        .setPorts(List.of(new DestinationPort(9080, protocol, 9080))).setTiers(out)
        .setActiveTier(0).setOutlierDetection(new OutlierDetection(5, 10_000L, 30_000L, 100))
        .setEpoch(1).setPolicyGeneration(1).setTime(Instant.EPOCH).build();
  }

  private static Optional<Resolution> resolve(List<List<String>> tiers) {
    return Resolution.of(AUTHORITY, List.of(destination("HTTP", tiers)));
  }

  private static final Optional<Resolution> UNKNOWN = Optional.empty();

  @Test
  void theFirstMessageIsSentWhateverTheState() {
    assertThat(UpdatePlanner.plan(null, UNKNOWN).updates()).hasSize(1);
    assertThat(UpdatePlanner.plan(null, resolve(List.of(List.of()))).updates()).hasSize(1);
    assertThat(UpdatePlanner.plan(null, resolve(List.of(List.of("10.0.0.1=100")))).updates())
        .hasSize(1);
  }

  @Test
  void anUnknownNameIsNoEndpointsExistsFalse() {
    Update first = UpdatePlanner.plan(null, UNKNOWN).updates().get(0);
    assertThat(first.getNoEndpoints().getExists()).isFalse();
  }

  @Test
  void anExistingDestinationWithoutEndpointsIsNoEndpointsExistsTrue() {
    Update first = UpdatePlanner.plan(null, resolve(List.of(List.of()))).updates().get(0);
    assertThat(first.hasNoEndpoints()).isTrue();
    assertThat(first.getNoEndpoints().getExists()).isTrue();
  }

  @Test
  void noEndpointsIsNeverSentWhileAnAddIsDue() {
    var plan = UpdatePlanner.plan(null, resolve(List.of(List.of("10.0.0.1=50", "10.0.0.2=50"))));
    assertThat(plan.updates()).singleElement().satisfies(u -> {
      assertThat(u.hasAdd()).isTrue();
      assertThat(u.getAdd().getAddrsCount()).isEqualTo(2);
    });
    // After "does not exist", endpoints appearing are an add, not another no_endpoints.
    var told = UpdatePlanner.plan(null, UNKNOWN).told();
    assertThat(UpdatePlanner.plan(told, resolve(List.of(List.of("10.0.0.1=100")))).updates())
        .singleElement().satisfies(u -> assertThat(u.hasAdd()).isTrue());
  }

  @Test
  void aFailoverIsAnAddOfTheNewTierBeforeARemoveOfTheOld() {
    var told = UpdatePlanner.plan(null, resolve(List.of(List.of("10.0.0.1=50", "10.0.0.2=50"),
        List.of("10.1.0.1=0")))).told();
    var plan = UpdatePlanner.plan(told, resolve(List.of(List.of("10.0.0.1=0", "10.0.0.2=0"),
        List.of("10.1.0.1=100"))));
    assertThat(plan.updates()).hasSize(2);
    assertThat(plan.updates().get(0).getAdd().getAddrs(0).getWeight()).isEqualTo(100);
    assertThat(plan.updates().get(1).getRemove().getAddrsCount()).isEqualTo(2);
  }

  @Test
  void aChangedWeightIsAnAddOfThatAddressOnly() {
    var told = UpdatePlanner.plan(null, resolve(List.of(List.of("10.0.0.1=50", "10.0.0.2=50"))))
        .told();
    var plan = UpdatePlanner.plan(told, resolve(List.of(List.of("10.0.0.1=50", "10.0.0.2=50"),
        List.of("10.1.0.1=0"))));
    assertThat(plan.updates()).as("same addresses and weights: nothing to send").isEmpty();
    plan = UpdatePlanner.plan(told, resolve(List.of(List.of("10.0.0.1=70", "10.0.0.2=30"))));
    assertThat(plan.updates()).singleElement()
        .satisfies(u -> assertThat(u.getAdd().getAddrsCount()).isEqualTo(2));
  }

  @Test
  void removingTheLastEndpointIsARemoveEquivalentToNoEndpointsExistsTrue() {
    var told = UpdatePlanner.plan(null, resolve(List.of(List.of("10.0.0.1=100")))).told();
    var plan = UpdatePlanner.plan(told, resolve(List.of(List.of())));
    assertThat(plan.updates()).singleElement()
        .satisfies(u -> assertThat(u.getRemove().getAddrsCount()).isEqualTo(1));
    assertThat(plan.told().exists()).isTrue();
    assertThat(plan.told().addrs()).isEmpty();
    // Still empty: nothing more is sent.
    assertThat(UpdatePlanner.plan(plan.told(), resolve(List.of(List.of()))).updates()).isEmpty();
  }

  @Test
  void aDestinationThatStopsExistingIsNoEndpointsExistsFalseOnce() {
    var told = UpdatePlanner.plan(null, resolve(List.of(List.of("10.0.0.1=100")))).told();
    var plan = UpdatePlanner.plan(told, UNKNOWN);
    assertThat(plan.updates()).singleElement()
        .satisfies(u -> assertThat(u.getNoEndpoints().getExists()).isFalse());
    assertThat(UpdatePlanner.plan(plan.told(), UNKNOWN).updates()).isEmpty();
  }

  @Test
  void endpointsThatAreNotIpLiteralsAreLeftOutAndIpv6IsCarried() {
    Optional<Resolution> r = resolve(List.of(List.of("reviews.example.com=50", "fd00::1=50")));
    assertThat(r.orElseThrow().addrs()).containsOnlyKeys("fd00::1:9080");
    assertThat(r.get().addrs().get("fd00::1:9080").getAddr().getIp().getIpv6().getLast())
        .isEqualTo(1L);
  }

  @Test
  void aTierOfMoreThanAHundredEndpointsIsOneAddWithEveryEndpointWeighted() {
    // The rules' own weights, mapped as the topology maps them, through Resolution and the
    // planner: with weights summing to 100, 50 of these 150 addresses were missing.
    List<EndpointInput> endpoints = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      endpoints.add(new EndpointInput("10.0." + (i / 200) + "." + (1 + i % 200), 9080,
          EndpointHealth.HEALTHY, null, null));
    }
    ServiceRef member = new ServiceRef("c0", "bookinfo", "reviews");
    DecisionInputs inputs = new DecisionInputs(
        new ResourceId(Kind.FailoverService, "mesh", "reviews"), 1, "c0",
        List.of("reviews.global"), List.of(new DesiredConfig.Port(9080, "HTTP", 9080)),
        OutlierSettings.DEFAULTS, List.of(new TierInput(0, List.of(
            new MemberInput(member, 1, endpoints)))), SplitPolicy.DEFAULT, Duration.ZERO);
    DesiredConfig config = Decider.decide(null, inputs, Instant.EPOCH).decision().orElseThrow()
        .config();
    FederatedDestination fd = AvroMapping.federatedDestination(config, Instant.EPOCH);

    var plan = UpdatePlanner.plan(null, Resolution.of(AUTHORITY, List.of(fd)));
    assertThat(plan.updates()).singleElement().satisfies(u -> {
      assertThat(u.getAdd().getAddrsList()).hasSize(150)
          .allSatisfy(a -> assertThat(a.getWeight()).isBetween(6_666_666, 6_666_667));
      assertThat(u.getAdd().getAddrsList().stream().mapToLong(a -> a.getWeight()).sum())
          .isEqualTo(DesiredConfig.WEIGHT_TOTAL);
    });
  }
}
