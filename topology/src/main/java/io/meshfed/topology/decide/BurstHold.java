package io.meshfed.topology.decide;

import java.time.Duration;
import java.time.Instant;

/**
 * When the decide stage holds evaluation back while a burst is still being read, so that a
 * destination whose updates arrive over several polls is evaluated once, on all of them.
 *
 * <p>A zone outage's member updates reach a decide task over several polls, interleaved on the
 * one stream thread with the select stage reading the rest of the outage. Evaluated as they
 * came, a destination was evaluated again with each later update (1,500–2,000 evaluations for
 * 1,000 destinations visible to 100 clusters, each ~6.5 ms), and the evaluations in between
 * slowed the reading of the rest (topology/DESIGN.md, "Session 18"). A hold pays latency (at most
 * {@link #MAX_HOLD}) to save repeated evaluations, which is worth it only where evaluations are
 * expensive: so it holds only while
 * <ul>
 *   <li>the stream thread's last poll, within {@link #RECENT_POLL}, returned at least
 *       {@link #BURST_POLL} records for the task's own input partitions, and
 *   <li>evaluating a destination recently cost at least {@code heavy} on average — a
 *       destination visible to 100 clusters, not a steady stream of flips of destinations
 *       visible to two (0.1–0.2 ms each), where nothing repeats within a burst and a hold was
 *       only delay (the throughput step at 2,000 flips/s: p99 159 → 329 ms with a hold on poll
 *       size alone).
 * </ul>
 * A hold ends after {@link #MAX_HOLD}: one round is evaluated and a new hold may begin. Nothing
 * dirty is lost while holding; the next drain or punctuation after the hold evaluates it.
 * Decisions here only: no clock or Kafka access, so it is tested on its own
 * ({@code BurstHoldTest}).
 */
final class BurstHold {

  /**
   * A poll that returned at least this many records of the task's own inputs (member updates,
   * acks, control) is a burst. The task's own, not the thread's: after a round of evaluation the
   * thread's next poll holds whatever arrived during the round (a fleet's heartbeats, other
   * tasks' events), and counting those held every round after a zone outage's updates were all
   * read (first config after 5.4–10.5 s instead of ~2 s). A zone outage brings ~500 member
   * updates to each of six decide tasks within a few polls; a steady 2,000 flips/s ~10 per poll.
   */
  static final int BURST_POLL = 50;
  /**
   * A poll counts only this long after it returned: a burst read to its end is followed by polls
   * that return nothing, which the poll counter does not see, and a round of evaluation (up to a
   * slice, 1 s) polls nothing either. Without the age a finished burst held every round after it
   * (a zone outage: 1,000 evaluations, but the first config after 8.3 s and the last after 15.4,
   * alternating a second's hold with a second's round).
   */
  static final Duration RECENT_POLL = Duration.ofMillis(250);
  /** The longest evaluation is held back at once. */
  static final Duration MAX_HOLD = Duration.ofSeconds(1);
  /** Weight of the newest round in the average cost (1/8). */
  private static final int SMOOTHING = 8;

  private final long heavyNanos;
  private final Runnable onHoldBegun;
  /** Recent evaluation time per destination (an exponentially weighted average of rounds). */
  private long nanosPerEvaluation;
  /** When the current hold began; null while not holding. */
  private Instant since;

  /**
   * A hold for evaluations that cost at least {@code heavy} each; {@code onHoldBegun} is told
   * each time a hold begins (the decide stage counts them: {@code burst-holds-total}).
   */
  BurstHold(Duration heavy, Runnable onHoldBegun) {
    this.heavyNanos = heavy.toNanos();
    this.onHoldBegun = onHoldBegun;
  }

  /** Notes a round of evaluation: {@code destinations} evaluated in {@code nanos}. */
  void evaluated(int destinations, long nanos) {
    if (destinations <= 0) {
      return;
    }
    long perDestination = nanos / destinations;
    nanosPerEvaluation = nanosPerEvaluation == 0 ? perDestination
        : nanosPerEvaluation + (perDestination - nanosPerEvaluation) / SMOOTHING;
  }

  /** The recent average cost of evaluating one destination, in nanoseconds (0 before any). */
  long nanosPerEvaluation() {
    return nanosPerEvaluation;
  }

  /**
   * Whether to hold evaluation now, given how many records of the task's own inputs the
   * thread's last poll returned if it was recent ({@code CommitOnDrain.recentPollSize}); false
   * once a hold has lasted {@link #MAX_HOLD} (that round is evaluated, and the next call may
   * begin a new hold).
   */
  boolean holding(int recentInputs, Instant now) {
    if (recentInputs < BURST_POLL || nanosPerEvaluation < heavyNanos) {
      since = null;
      return false;
    }
    if (since == null) {
      since = now;
      onHoldBegun.run();
    }
    if (Duration.between(since, now).compareTo(MAX_HOLD) < 0) {
      return true;
    }
    since = null;
    return false;
  }
}
