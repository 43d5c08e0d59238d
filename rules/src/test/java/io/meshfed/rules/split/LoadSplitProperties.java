package io.meshfed.rules.split;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class LoadSplitProperties {

  @Provide
  Arbitrary<List<TierHealth>> tiers() {
    Arbitrary<int[]> counts = Combinators.combine(Arbitraries.integers().between(0, 200),
        Arbitraries.integers().between(0, 100)).as((total, pct) -> new int[] {total, pct});
    return counts.list().ofMinSize(1).ofMaxSize(6).map(list -> {
      List<TierHealth> out = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        int total = list.get(i)[0];
        out.add(new TierHealth(i, total * list.get(i)[1] / 100, 0, 0, total));
      }
      return out;
    });
  }

  @Provide
  Arbitrary<SplitPolicy> policies() {
    return Arbitraries.oneOf(
        Arbitraries.doubles().between(1.0, 3.0).map(SplitPolicy.Overprovisioned::new),
        Arbitraries.integers().between(1, 100).map(SplitPolicy.Threshold::new));
  }

  @Property(tries = 1000)
  void loadsSumToOneHundredUnlessThereIsNothingToRouteTo(
      @ForAll("tiers") List<TierHealth> tiers, @ForAll("policies") SplitPolicy policy) {
    Split split = LoadSplit.compute(tiers, policy);
    int sum = split.tierLoadPercent().stream().mapToInt(Integer::intValue).sum();
    boolean anyEndpoint = tiers.stream().anyMatch(t -> t.total() > 0);
    assertThat(sum).isEqualTo(anyEndpoint ? 100 : 0);
    assertThat(split.tierLoadPercent()).allMatch(l -> l >= 0 && l <= 100);
  }

  @Property(tries = 1000)
  void noHealthyHigherTierIsSkippedForALowerOne(@ForAll("tiers") List<TierHealth> tiers) {
    Split split = LoadSplit.compute(tiers, SplitPolicy.DEFAULT);
    for (int lower = 0; lower < tiers.size(); lower++) {
      if (split.loadOf(lower) == 0) {
        continue;
      }
      for (int higher = 0; higher < lower; higher++) {
        if (tiers.get(higher).healthy() > 0) {
          assertThat(split.loadOf(higher)).as("tier %d is healthy but skipped for tier %d",
              higher, lower).isPositive();
        }
      }
    }
  }

  @Property(tries = 1000)
  void onlyTiersWithHealthyEndpointsGetLoadOutsidePanic(@ForAll("tiers") List<TierHealth> tiers,
      @ForAll("policies") SplitPolicy policy) {
    Split split = LoadSplit.compute(tiers, policy);
    if (!split.panic()) {
      for (TierHealth tier : tiers) {
        if (tier.healthy() == 0) {
          assertThat(split.loadOf(tier.index())).isZero();
        }
      }
    }
  }
}
