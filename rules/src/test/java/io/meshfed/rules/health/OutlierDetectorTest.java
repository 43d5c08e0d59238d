package io.meshfed.rules.health;

import static io.meshfed.rules.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class OutlierDetectorTest {

  private static final OutlierSettings ONE_ERROR =
      new OutlierSettings(1, Duration.ofSeconds(10), Duration.ofSeconds(30), 100);
  private static final OutlierSettings THREE_ERRORS =
      new OutlierSettings(3, Duration.ofSeconds(10), Duration.ofSeconds(30), 100);

  private static OutlierState errors(OutlierState state, OutlierSettings settings,
      Instant... times) {
    for (Instant t : times) {
      state = OutlierDetector.onError(state, t, settings, true);
    }
    return state;
  }

  @Test
  void consecutiveErrorsWithinTheIntervalEject() {
    OutlierState s = errors(OutlierState.CLEAN, THREE_ERRORS, T0, T0.plusSeconds(1));
    assertThat(s.isEjected(T0.plusSeconds(1))).isFalse();
    s = errors(s, THREE_ERRORS, T0.plusSeconds(2));
    assertThat(s.isEjected(T0.plusSeconds(2))).isTrue();
    assertThat(s.ejectedUntil()).isEqualTo(T0.plusSeconds(32));
  }

  @Test
  void errorsSpreadBeyondTheIntervalStartANewRun() {
    OutlierState s = errors(OutlierState.CLEAN, THREE_ERRORS, T0, T0.plusSeconds(5),
        T0.plusSeconds(11));
    assertThat(s.isEjected(T0.plusSeconds(11))).isFalse();
    assertThat(s.consecutiveErrors()).isEqualTo(1);
  }

  @Test
  void aSuccessEndsTheRun() {
    OutlierState s = errors(OutlierState.CLEAN, THREE_ERRORS, T0, T0.plusSeconds(1));
    s = OutlierDetector.onSuccess(s, T0.plusSeconds(2));
    s = errors(s, THREE_ERRORS, T0.plusSeconds(3));
    assertThat(s.isEjected(T0.plusSeconds(3))).isFalse();
  }

  @Test
  void ejectionEndsWhenItsTimePassesAndRepeatEjectionsLastLonger() {
    OutlierState s = errors(OutlierState.CLEAN, ONE_ERROR, T0);
    assertThat(OutlierDetector.nextChangeAt(s, T0)).isEqualTo(T0.plusSeconds(30));
    assertThat(s.isEjected(T0.plusSeconds(30))).isFalse();
    s = errors(s, ONE_ERROR, T0.plusSeconds(31));
    assertThat(s.ejections()).isEqualTo(2);
    assertThat(s.ejectedUntil()).isEqualTo(T0.plusSeconds(31 + 60));
  }

  @Test
  void theMultiplierDecaysWhileTheEndpointBehaves() {
    OutlierState s = errors(OutlierState.CLEAN, ONE_ERROR, T0); // until T0+30
    // Ejected again 25 s (two whole intervals) after the first ejection ended: 1 - 2 -> 0, +1.
    s = errors(s, ONE_ERROR, T0.plusSeconds(55));
    assertThat(s.ejections()).isEqualTo(1);
  }

  @Test
  void maxEjectionPercentCapsEjections() {
    assertThat(OutlierDetector.mayEject(0, 4, 50)).isTrue();
    assertThat(OutlierDetector.mayEject(1, 4, 50)).isTrue();
    assertThat(OutlierDetector.mayEject(2, 4, 50)).isFalse();
    assertThat(OutlierDetector.mayEject(0, 4, 0)).isFalse();
    assertThat(OutlierDetector.mayEject(3, 4, 100)).isTrue();
    OutlierState capped = OutlierDetector.onError(OutlierState.CLEAN, T0, ONE_ERROR, false);
    assertThat(capped.isEjected(T0)).isFalse();
    assertThat(capped.consecutiveErrors()).isEqualTo(1);
  }

  @Test
  void signalsWhileEjectedAndOutOfOrderSignalsChangeNothing() {
    OutlierState ejected = errors(OutlierState.CLEAN, ONE_ERROR, T0.plusSeconds(10));
    assertThat(OutlierDetector.onError(ejected, T0.plusSeconds(11), ONE_ERROR, true))
        .isEqualTo(ejected);
    assertThat(OutlierDetector.onSuccess(ejected, T0.plusSeconds(12))).isEqualTo(ejected);
    OutlierState run = errors(OutlierState.CLEAN, THREE_ERRORS, T0.plusSeconds(5));
    assertThat(OutlierDetector.onSuccess(run, T0)).isEqualTo(run);
  }
}
