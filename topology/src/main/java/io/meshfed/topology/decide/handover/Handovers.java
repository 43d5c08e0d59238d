package io.meshfed.topology.decide.handover;

import io.meshfed.rules.decision.DecideResult;
import io.meshfed.rules.decision.DecisionState;
import io.meshfed.rules.handover.Handover;
import io.meshfed.rules.handover.Handover.Gate;
import io.meshfed.rules.handover.Handover.GateState;
import io.meshfed.rules.handover.Handover.Phase;
import io.meshfed.rules.status.ClusterAck;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The decide stage's side of make-before-break ({@link Handover}): per destination, when its
 * bounded wait ends — the one thing of a handover that is not in the decision state (which
 * clients are prepared, and at which epoch, is: {@link Handover#isPrepared}). The deadline is
 * kept in {@code decide-handovers} (destination → epoch millis), written in the same
 * transaction as the decisions, and read through a view rebuilt when a task's processor is
 * created, so a restarted or moved task finishes a handover where it was; the destination's
 * wake-up (the ledger's store) brings it back at the deadline.
 *
 * <p>Use: {@link #begin} before a destination's clients are decided, {@link Round#plan} for
 * each client's rules' answer (in epoch order: a held decision takes no epoch), and
 * {@link #commit} once the evaluation is applied. With a wait of zero everything is
 * {@link Phase#DIRECT}, nothing is read or written.
 */
public final class Handovers {

  private final Duration wait;
  private final KeyValueStore<String, Long> deadlines;
  private final Map<String, Optional<Long>> view = new HashMap<>();
  private Round last;

  /**
   * @param wait the bounded wait; zero turns make-before-break off
   * @param deadlines the {@code decide-handovers} store
   */
  public Handovers(Duration wait, KeyValueStore<String, Long> deadlines) {
    this.wait = wait;
    this.deadlines = deadlines;
  }

  public boolean enabled() {
    return !wait.isZero();
  }

  /** Starts planning one evaluation of {@code destination}. */
  public Round begin(String destination, Map<String, DecisionState> previous,
      Map<String, ClusterAck> acks, Instant now) {
    last = new Round(destination, now);
    if (!enabled()) {
      return last;
    }
    Long deadline = deadline(destination);
    last.deadline = deadline;
    // Only a destination with a prepared client (or a deadline left) pays for the gate.
    if (deadline != null || previous.values().stream()
        .anyMatch(s -> Handover.isPrepared(s.config()))) {
      last.gate = Handover.gate(previous, acks,
          deadline == null ? null : Instant.ofEpochMilli(deadline), wait, now);
    }
    return last;
  }

  /** Writes what the last round of {@code destination} changed, after it was applied. */
  public void commit(String destination) {
    if (!enabled()) {
      return;
    }
    Round round = last;
    last = null;
    Long stored = deadline(destination);
    Long next = round == null || !round.destination.equals(destination) ? null
        : round.prepared ? Long.valueOf(round.now.plus(wait).toEpochMilli())
        : round.held ? stored : null;
    if (next == null && stored != null) {
      deadlines.delete(destination);
      view.put(destination, Optional.empty());
    } else if (next != null && !next.equals(stored)) {
      deadlines.put(destination, next);
      view.put(destination, Optional.of(next));
    }
  }

  private Long deadline(String destination) {
    return view.computeIfAbsent(destination, d -> Optional.ofNullable(deadlines.get(d)))
        .orElse(null);
  }

  /** One evaluation of one destination. */
  public final class Round {
    private final String destination;
    private final Instant now;
    private Long deadline;
    private GateState gate = GateState.OPEN;
    private boolean prepared;
    private boolean held;

    private Round(String destination, Instant now) {
      this.destination = destination;
      this.now = now;
    }

    /** The result to apply for one client instead of the rules' answer {@code next}. */
    public DecideResult plan(DecisionState previous, DecideResult next) {
      if (!enabled()) {
        return next;
      }
      Handover.Step step = Handover.plan(previous, next, gate);
      if (step.phase() == Phase.PREPARE) {
        prepared = true;
        // The clients after this one wait for its ack too: nothing moves off the old tier
        // anywhere before every prepared client has the new one.
        gate = new GateState(Gate.WAITING, "waiting for a new prepare");
      } else if (step.phase() == Phase.HOLD) {
        held = true;
      }
      return step.result();
    }

    /** When the destination must be evaluated again for its handover, or null. */
    public Instant wakeAt() {
      if (prepared) {
        return now.plus(wait);
      }
      return held && deadline != null ? Instant.ofEpochMilli(deadline) : null;
    }
  }
}
