package io.meshfed.rules.decision;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.split.Split;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Endpoint weights at the sizes they must hold for: 10,000 endpoints per destination, split
 * across tiers with partial loads, several members with policy weights per tier. The rule:
 * every usable endpoint of a loaded tier has weight ≥ 1, every other endpoint 0, each weight is
 * within rounding (2 units) of its exact share of {@link DesiredConfig#WEIGHT_TOTAL}, and the
 * sum fits a uint32 (and the Avro int that carries it).
 */
class EndpointWeightsProperties {

  private static final int ENDPOINTS = 10_000;
  private static final long UINT32_MAX = 0xFFFF_FFFFL;

  /** The shape of one destination: member weights per tier, tier loads, health and panic. */
  record Shape(List<List<Integer>> memberWeights, List<Integer> loads, long seed,
      int healthyPercent, boolean panic) {}

  @Provide
  Arbitrary<Shape> shapes() {
    // Policy weights are positive ints; include lopsided ones (1 beside 10^6), where a member's
    // proportional share of a lightly loaded tier is below one unit per endpoint.
    Arbitrary<Integer> weight = Arbitraries.integers().between(1, 1_000_000)
        .edgeCases(c -> c.includeOnly(1, 1_000_000));
    Arbitrary<List<List<Integer>>> tiers = weight.list().ofMinSize(1).ofMaxSize(5)
        .list().ofMinSize(1).ofMaxSize(4);
    return tiers.flatMap(t -> Combinators.combine(
        loads(t.size()),
        Arbitraries.longs(),
        Arbitraries.integers().between(0, 100),
        Arbitraries.of(false, false, false, true))
        .as((loads, seed, healthy, panic) -> new Shape(t, loads, seed, healthy, panic)));
  }

  /** Tier loads summing to 100, with zeros and small loads (1 %) among them. */
  private static Arbitrary<List<Integer>> loads(int tiers) {
    return Arbitraries.integers().between(0, 100).list().ofSize(tiers).map(raw -> {
      List<Integer> loads = new ArrayList<>(raw);
      int sum = loads.stream().mapToInt(Integer::intValue).sum();
      if (sum == 0) {
        loads.set(0, 100);
        return loads;
      }
      int given = 0;
      for (int i = 0; i < loads.size(); i++) {
        loads.set(i, loads.get(i) * 100 / sum);
        given += loads.get(i);
      }
      loads.set(0, loads.get(0) + 100 - given);
      return loads;
    });
  }

  @Property(tries = 40)
  void everyUsableEndpointKeepsAWeightNearItsExactShare(@ForAll("shapes") Shape shape) {
    List<TierInput> tiers = build(shape);
    Split split = new Split(0, shape.loads(), shape.panic());
    List<DesiredConfig.Tier> out = EndpointWeights.assign(tiers, split);

    long total = 0;
    long loadedUnits = 0;
    long usableEndpoints = 0;
    for (int t = 0; t < tiers.size(); t++) {
      TierInput tier = tiers.get(t);
      List<DesiredConfig.WeightedEndpoint> weighted = out.get(t).endpoints();
      long tierUnits = shape.loads().get(t) * (DesiredConfig.WEIGHT_TOTAL / 100L);
      long eligibleWeight = tier.members().stream()
          .filter(m -> m.endpoints().stream().anyMatch(e -> usable(e, shape)))
          .mapToLong(MemberInput::weight).sum();
      if (eligibleWeight > 0) {
        loadedUnits += tierUnits;
      }
      int next = 0;
      for (MemberInput member : tier.members()) {
        long usable = member.endpoints().stream().filter(e -> usable(e, shape)).count();
        for (EndpointInput e : member.endpoints()) {
          DesiredConfig.WeightedEndpoint w = weighted.get(next++);
          assertThat(w.address()).isEqualTo(e.address());
          total += w.weight();
          if (tierUnits == 0 || !usable(e, shape)) {
            assertThat(w.weight()).as("%s has no share", e.address()).isZero();
            continue;
          }
          usableEndpoints++;
          double exact = (double) tierUnits * member.weight() / eligibleWeight / usable;
          assertThat(w.weight()).as("%s keeps a weight", e.address()).isGreaterThanOrEqualTo(1);
          assertThat(Math.abs(w.weight() - exact)).as("%s: weight %d, exact share %.3f",
              e.address(), w.weight(), exact).isLessThan(2.0);
        }
      }
    }
    assertThat(total).as("sum fits a uint32 and an Avro int").isLessThanOrEqualTo(UINT32_MAX)
        .isLessThanOrEqualTo(Integer.MAX_VALUE);
    // Every loaded unit is handed out; only the minimum of 1 may add, at most 1 per endpoint.
    assertThat(total).isBetween(loadedUnits, loadedUnits + usableEndpoints);
  }

  @Property(tries = 20)
  void throughTheDeciderEveryEndpointThatCarriesTrafficKeepsAWeight(
      @ForAll("shapes") Shape shape) {
    // The same shapes, with the loads and panic the load split decides from their health.
    List<TierInput> tiers = build(shape);
    DecisionInputs inputs = new DecisionInputs(
        new io.meshfed.rules.model.ResourceId(io.meshfed.rules.model.Kind.VirtualDestination,
            "ns", "d"), 1, "c0-0", List.of("d.example"),
        List.of(new DesiredConfig.Port(80, "HTTP", 8080)),
        io.meshfed.rules.health.OutlierSettings.DEFAULTS, tiers,
        io.meshfed.rules.split.SplitPolicy.DEFAULT, java.time.Duration.ZERO);
    Decision decision = Decider.decide(null, inputs, io.meshfed.rules.Fixtures.T0).decision()
        .orElseThrow();
    boolean panic = decision.after().panic();
    long carrying = 0;
    for (DesiredConfig.Tier tier : decision.config().tiers()) {
      for (DesiredConfig.WeightedEndpoint e : tier.endpoints()) {
        boolean usable = panic || e.health() == EndpointHealth.HEALTHY;
        if (tier.loadPercent() > 0 && usable) {
          carrying++;
          assertThat(e.weight()).as("%s carries traffic", e.address()).isPositive();
        } else {
          assertThat(e.weight()).as("%s carries none", e.address()).isZero();
        }
      }
    }
    assertThat(carrying).isPositive();
    assertThat(decision.config().totalWeight()).isBetween((long) DesiredConfig.WEIGHT_TOTAL,
        DesiredConfig.WEIGHT_TOTAL + carrying);
  }

  @Example
  void aLopsidedMemberOfALightlyLoadedTierStillReachesEveryEndpoint() {
    // 1 % of the traffic, a member of weight 1 beside one of weight 10^6, 9,000 endpoints on the
    // light one: its exact share per endpoint is ~0.001 units. Rounding alone would give 0.
    List<EndpointInput> light = endpoints("10.1", 9_000, EndpointHealth.HEALTHY);
    List<EndpointInput> heavy = endpoints("10.2", 1_000, EndpointHealth.HEALTHY);
    TierInput tier0 = new TierInput(0, List.of(new MemberInput(ref(0, 0), 1, light),
        new MemberInput(ref(0, 1), 1_000_000, heavy)));
    TierInput tier1 = new TierInput(1, List.of(new MemberInput(ref(1, 0), 1,
        endpoints("10.3", 10, EndpointHealth.HEALTHY))));
    List<DesiredConfig.Tier> out = EndpointWeights.assign(List.of(tier0, tier1),
        new Split(0, List.of(1, 99), false));
    assertThat(out.get(0).endpoints()).hasSize(10_000)
        .allSatisfy(e -> assertThat(e.weight()).isPositive());
    assertThat(out.get(1).endpoints())
        .allSatisfy(e -> assertThat(e.weight()).isEqualTo(99 * 10_000_000 / 10));
  }

  private static boolean usable(EndpointInput e, Shape shape) {
    return shape.panic() || e.health() == EndpointHealth.HEALTHY;
  }

  /** 10,000 endpoints spread over the members at random, healthy at the shape's rate. */
  private static List<TierInput> build(Shape shape) {
    Random random = new Random(shape.seed());
    int members = shape.memberWeights().stream().mapToInt(List::size).sum();
    int[] counts = new int[members];
    for (int i = 0; i < ENDPOINTS; i++) {
      // Skewed: low-numbered members get more, so sizes range from a handful to thousands.
      counts[(int) (members * Math.pow(random.nextDouble(), 2))]++;
    }
    List<TierInput> tiers = new ArrayList<>();
    int index = 0;
    for (int t = 0; t < shape.memberWeights().size(); t++) {
      List<MemberInput> tierMembers = new ArrayList<>();
      for (int m = 0; m < shape.memberWeights().get(t).size(); m++) {
        List<EndpointInput> eps = new ArrayList<>();
        int n = counts[index++];
        for (int e = 0; e < n; e++) {
          EndpointHealth health = random.nextInt(100) < shape.healthyPercent()
              ? EndpointHealth.HEALTHY
              : EndpointHealth.values()[1 + random.nextInt(EndpointHealth.values().length - 1)];
          eps.add(new EndpointInput(address(t, m, e), 8080, health, null, null));
        }
        tierMembers.add(new MemberInput(ref(t, m), shape.memberWeights().get(t).get(m), eps));
      }
      tiers.add(new TierInput(t, tierMembers));
    }
    return tiers;
  }

  private static List<EndpointInput> endpoints(String prefix, int n, EndpointHealth health) {
    List<EndpointInput> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new EndpointInput(prefix + "." + (i / 250) + "." + (i % 250 + 1), 8080, health,
          null, null));
    }
    return out;
  }

  private static String address(int tier, int member, int endpoint) {
    return "10." + (tier * 10 + member) + "." + (endpoint / 250) + "." + (endpoint % 250 + 1);
  }

  private static ServiceRef ref(int tier, int member) {
    return new ServiceRef("c" + tier + "-" + member, "ns", "svc");
  }
}
