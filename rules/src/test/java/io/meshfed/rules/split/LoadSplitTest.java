package io.meshfed.rules.split;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class LoadSplitTest {

  private static TierHealth tier(int index, int healthy, int total) {
    return new TierHealth(index, healthy, 0, 0, total);
  }

  @Test
  void aHealthyFirstTierTakesEverything() {
    Split split = LoadSplit.compute(List.of(tier(0, 2, 2), tier(1, 1, 1)), SplitPolicy.DEFAULT);
    assertThat(split.tierLoadPercent()).containsExactly(100, 0);
    assertThat(split.activeTier()).isZero();
    assertThat(split.panic()).isFalse();
  }

  @Test
  void overprovisioningKeepsFullLoadDownToSeventyOnePercentHealthy() {
    // 5/7 = 71.4 % healthy: 1.4 x 71.4 = 100.
    assertThat(LoadSplit.compute(List.of(tier(0, 5, 7), tier(1, 1, 1)), SplitPolicy.DEFAULT)
        .tierLoadPercent()).containsExactly(100, 0);
    // 7/10 = 70 %: health 98, so 2 % spills.
    assertThat(LoadSplit.compute(List.of(tier(0, 7, 10), tier(1, 1, 1)), SplitPolicy.DEFAULT)
        .tierLoadPercent()).containsExactly(98, 2);
  }

  @Test
  void envoysWorkedExampleHalfHealthySpillsToTheNextTier() {
    // Envoy docs: P0 50 % healthy -> health 70 -> 70 % to P0, 30 % to a healthy P1.
    assertThat(LoadSplit.compute(List.of(tier(0, 1, 2), tier(1, 2, 2)), SplitPolicy.DEFAULT)
        .tierLoadPercent()).containsExactly(70, 30);
  }

  @Test
  void partialHealthEverywhereIsScaledUpToOneHundred() {
    // health 28 and 28 -> normalized 56 -> 50/50.
    Split split = LoadSplit.compute(List.of(tier(0, 1, 5), tier(1, 1, 5)), SplitPolicy.DEFAULT);
    assertThat(split.tierLoadPercent()).containsExactly(50, 50);
  }

  @Test
  void roundingRemainderGoesToTheFirstTierWithHealth() {
    // health 14 each (1/10) in three tiers: 33 + 33 + 33 = 99, remainder to tier 0.
    Split split = LoadSplit.compute(List.of(tier(0, 1, 10), tier(1, 1, 10), tier(2, 1, 10)),
        SplitPolicy.DEFAULT);
    assertThat(split.tierLoadPercent()).containsExactly(34, 33, 33);
  }

  @Test
  void thresholdModeSendsAllToTheFirstTierAtOrAboveIt() {
    SplitPolicy kuma = new SplitPolicy.Threshold(50);
    assertThat(LoadSplit.compute(List.of(tier(0, 1, 2), tier(1, 2, 2)), kuma).tierLoadPercent())
        .containsExactly(100, 0);
    assertThat(LoadSplit.compute(List.of(tier(0, 1, 3), tier(1, 2, 2)), kuma).tierLoadPercent())
        .containsExactly(0, 100);
    // Nobody reaches the threshold: the first tier with anything healthy.
    assertThat(LoadSplit.compute(List.of(tier(0, 0, 3), tier(1, 1, 4), tier(2, 1, 3)), kuma)
        .tierLoadPercent()).containsExactly(0, 100, 0);
  }

  @Test
  void allDownIsPanicToTheFirstTierWithEndpoints() {
    Split split = LoadSplit.compute(List.of(tier(0, 0, 0), tier(1, 0, 3), tier(2, 0, 1)),
        SplitPolicy.DEFAULT);
    assertThat(split.tierLoadPercent()).containsExactly(0, 100, 0);
    assertThat(split.panic()).isTrue();
    assertThat(split.activeTier()).isEqualTo(-1);
  }

  @Test
  void nothingAtAllRoutesNowhere() {
    Split split = LoadSplit.compute(List.of(tier(0, 0, 0)), SplitPolicy.DEFAULT);
    assertThat(split.tierLoadPercent()).containsExactly(0);
    assertThat(split.panic()).isFalse();
    assertThat(split.activeTier()).isEqualTo(-1);
  }

  @Test
  void policiesRejectNonsense() {
    assertThatThrownBy(() -> new SplitPolicy.Overprovisioned(0.5)).hasMessageContaining("0.5");
    assertThatThrownBy(() -> new SplitPolicy.Threshold(0)).hasMessageContaining("0%");
    assertThat(new SplitPolicy.Overprovisioned(1.4).spillBelowPercent()).isEqualTo(71);
  }
}
