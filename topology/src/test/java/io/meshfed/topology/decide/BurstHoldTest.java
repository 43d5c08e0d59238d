package io.meshfed.topology.decide;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** When the decide stage holds evaluation back for a burst (see {@link BurstHold}). */
class BurstHoldTest {

  private static final Instant T0 = Instant.parse("2026-12-04T00:00:00Z");
  private static final Duration HEAVY = Duration.ofMillis(1);

  private final java.util.concurrent.atomic.AtomicInteger holds =
      new java.util.concurrent.atomic.AtomicInteger();

  @Test
  void cheapEvaluationsAreNeverHeldHoweverLargeThePoll() {
    BurstHold hold = new BurstHold(HEAVY, holds::incrementAndGet);
    // A throughput step: destinations visible to two clusters, ~150 µs each.
    hold.evaluated(200, 200 * 150_000L);
    assertThat(hold.holding(5_000, T0)).isFalse();
    assertThat(hold.holding(5_000, T0.plusMillis(10))).isFalse();
    assertThat(holds).hasValue(0);
  }

  @Test
  void nothingIsHeldBeforeAnyEvaluationWasTimed() {
    assertThat(new BurstHold(HEAVY, holds::incrementAndGet).holding(5_000, T0)).isFalse();
  }

  @Test
  void expensiveEvaluationsAreHeldWhilePollsAreLargeForAtMostTheMaximum() {
    BurstHold hold = new BurstHold(HEAVY, holds::incrementAndGet);
    hold.evaluated(10, 10 * 6_500_000L); // visible to 100 clusters: ~6.5 ms each

    assertThat(hold.holding(BurstHold.BURST_POLL - 1, T0)).as("a small poll").isFalse();
    assertThat(hold.holding(BurstHold.BURST_POLL, T0)).as("a burst begins").isTrue();
    assertThat(hold.holding(1_000, T0.plus(BurstHold.MAX_HOLD).minusMillis(1))).isTrue();
    assertThat(hold.holding(1_000, T0.plus(BurstHold.MAX_HOLD)))
        .as("the hold is over: this round is evaluated").isFalse();
    assertThat(hold.holding(1_000, T0.plus(BurstHold.MAX_HOLD).plusMillis(1)))
        .as("and a new hold may begin").isTrue();
    assertThat(hold.holding(3, T0.plus(BurstHold.MAX_HOLD).plusMillis(2)))
        .as("the burst is read").isFalse();
    assertThat(holds).as("holds begun").hasValue(2);
  }

  @Test
  void theAverageFollowsTheRecentRoundsAndEndsAHoldWhenEvaluationsGetCheap() {
    BurstHold hold = new BurstHold(HEAVY, holds::incrementAndGet);
    hold.evaluated(1, 6_500_000L);
    assertThat(hold.nanosPerEvaluation()).isEqualTo(6_500_000L);
    assertThat(hold.holding(1_000, T0)).isTrue();
    for (int round = 0; round < 40; round++) {
      hold.evaluated(100, 100 * 100_000L); // 0.1 ms each from now on
    }
    assertThat(hold.nanosPerEvaluation()).isBetween(100_000L, 1_000_000L - 1);
    assertThat(hold.holding(1_000, T0.plusMillis(1))).isFalse();
    hold.evaluated(0, 5_000_000L); // an empty round says nothing about cost
    assertThat(hold.nanosPerEvaluation()).isLessThan(HEAVY.toNanos());
  }
}
