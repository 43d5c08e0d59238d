package io.meshfed.rules.decision;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.rules.Fixtures;
import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.split.SplitPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class DeciderProperties {

  private static final ResourceId DEST = new ResourceId(Kind.VirtualDestination, "ns", "d");

  @Provide
  Arbitrary<DecisionInputs> inputs() {
    Arbitrary<EndpointHealth> health = Arbitraries.of(EndpointHealth.class);
    Arbitrary<List<EndpointHealth>> endpoints = health.list().ofMaxSize(6);
    Arbitrary<List<List<EndpointHealth>>> members = endpoints.list().ofMinSize(1).ofMaxSize(3);
    Arbitrary<List<List<List<EndpointHealth>>>> tiers = members.list().ofMinSize(1).ofMaxSize(4);
    Arbitrary<Long> damping = Arbitraries.of(0L, 5_000L);
    return tiers.flatMap(t -> damping.map(d -> build(t, Duration.ofMillis(d))));
  }

  private static DecisionInputs build(List<List<List<EndpointHealth>>> shape, Duration damping) {
    List<TierInput> tiers = new ArrayList<>();
    for (int t = 0; t < shape.size(); t++) {
      List<MemberInput> members = new ArrayList<>();
      for (int m = 0; m < shape.get(t).size(); m++) {
        List<EndpointInput> endpoints = new ArrayList<>();
        List<EndpointHealth> healths = shape.get(t).get(m);
        for (int e = 0; e < healths.size(); e++) {
          endpoints.add(new EndpointInput("10." + t + "." + m + "." + e, 8080, healths.get(e),
              null, null));
        }
        members.add(new MemberInput(new ServiceRef("c" + t + m, "ns", "svc"), 1 + m, endpoints));
      }
      tiers.add(new TierInput(t, members));
    }
    return new DecisionInputs(DEST, 1, "c00", List.of("d.example"),
        List.of(new DesiredConfig.Port(80, "HTTP", 8080)), OutlierSettings.DEFAULTS, tiers,
        SplitPolicy.DEFAULT, damping);
  }

  @Property(tries = 1000)
  void endpointWeightsSumToTheScaleOrZeroWhenNothingExists(
      @ForAll("inputs") DecisionInputs inputs) {
    DesiredConfig config = Decider.decide(null, inputs, Fixtures.T0).decision().orElseThrow()
        .config();
    boolean anyEndpoint = inputs.tiers().stream().anyMatch(t -> t.health().total() > 0);
    // At these sizes no share is near 1 unit, so no minimum applies and the sums are exact.
    assertThat(config.totalWeight()).isEqualTo(anyEndpoint ? DesiredConfig.WEIGHT_TOTAL : 0);
    for (DesiredConfig.Tier tier : config.tiers()) {
      long tierWeight = tier.endpoints().stream()
          .mapToLong(DesiredConfig.WeightedEndpoint::weight).sum();
      assertThat(tierWeight).isEqualTo(tier.loadPercent() * (DesiredConfig.WEIGHT_TOTAL / 100L));
    }
  }

  @Property(tries = 1000)
  void epochsStrictlyIncreaseByOneAcrossAnySequence(
      @ForAll("inputs") DecisionInputs a, @ForAll("inputs") DecisionInputs b,
      @ForAll("inputs") DecisionInputs c) {
    DecisionState state = null;
    long lastEpoch = 0;
    Instant now = Fixtures.T0;
    for (DecisionInputs step : List.of(a, b, c, a, c, b)) {
      now = now.plusSeconds(3);
      DecideResult result = Decider.decide(state, step, now);
      if (result.decision().isPresent()) {
        assertThat(result.decision().get().epoch()).isEqualTo(lastEpoch + 1);
        lastEpoch = result.decision().get().epoch();
      }
      assertThat(result.state().epoch()).isEqualTo(lastEpoch);
      state = result.state();
    }
  }

  @Property(tries = 1000)
  void reapplyingTheSameInputEmitsNothing(@ForAll("inputs") DecisionInputs inputs,
      @ForAll("inputs") DecisionInputs earlier) {
    DecideResult first = Decider.decide(null, earlier, Fixtures.T0);
    Instant now = Fixtures.T0.plusSeconds(1);
    DecideResult applied = Decider.decide(first.state(), inputs, now);
    DecideResult again = Decider.decide(applied.state(), inputs, now);
    assertThat(again.decision()).isEmpty();
    assertThat(again.state().epoch()).isEqualTo(applied.state().epoch());
  }

  @Property(tries = 1000)
  void theOrderEndpointsAndMembersArriveInDoesNotMatter(@ForAll("inputs") DecisionInputs inputs,
      @ForAll long seed) {
    Random random = new Random(seed);
    List<TierInput> shuffledTiers = new ArrayList<>();
    for (TierInput tier : inputs.tiers()) {
      List<MemberInput> members = new ArrayList<>();
      for (MemberInput member : tier.members()) {
        List<EndpointInput> endpoints = new ArrayList<>(member.endpoints());
        Collections.shuffle(endpoints, random);
        members.add(new MemberInput(member.ref(), member.weight(), endpoints));
      }
      Collections.shuffle(members, random);
      shuffledTiers.add(new TierInput(tier.index(), members));
    }
    DecisionInputs shuffled = new DecisionInputs(inputs.destination(), inputs.generation(),
        inputs.clientCluster(), inputs.hosts(), inputs.ports(), inputs.outlier(), shuffledTiers,
        inputs.splitPolicy(), inputs.minHealthyDuration());
    assertThat(Decider.decide(null, shuffled, Fixtures.T0))
        .isEqualTo(Decider.decide(null, inputs, Fixtures.T0));
  }

  @Property(tries = 1000)
  void withoutDampingNoHealthyHigherTierIsSkipped(@ForAll("inputs") DecisionInputs inputs) {
    var split = Decider.decide(null, inputs, Fixtures.T0).decision().orElseThrow().after();
    for (int lower = 0; lower < inputs.tiers().size(); lower++) {
      if (split.loadOf(lower) == 0) {
        continue;
      }
      for (int higher = 0; higher < lower; higher++) {
        if (inputs.tiers().get(higher).health().healthy() > 0) {
          assertThat(split.loadOf(higher)).isPositive();
        }
      }
    }
  }
}
