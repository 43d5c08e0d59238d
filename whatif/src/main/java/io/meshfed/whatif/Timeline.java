package io.meshfed.whatif;

import io.meshfed.avro.FailoverDecision;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The moves of one destination's traffic for one client cluster, as one side (made, or
 * proposed) decided them: a move is a change of the active tier (the first tier with traffic);
 * a decision that only re-weights is counted, not listed.
 *
 * <p>A <b>flap</b> is a failback that did not hold: traffic moved back to a preferred tier (a
 * lower index, or any tier from none) and left it again within the flap window. A failover is
 * never a flap by itself, nor is a failback that holds — those are the moves damping exists to
 * allow; what it exists to prevent is the failback that is undone.
 */
final class Timeline {

  /** One move; {@code held} is until the next move, or null while it still holds at the end. */
  record Move(Instant time, int from, int to, String reasonCode, String reason) {}

  /** Moves kept per timeline; beyond it they are counted, not listed (bounded memory). */
  static final int MAX_MOVES = 1_000;

  private final Instant from;
  private final Duration flapWindow;
  private final List<Move> moves = new ArrayList<>();
  private final List<Boolean> flapped = new ArrayList<>();
  private Integer active;
  private Instant arrivedAt;
  private boolean arrivedByFailback;
  private int arrivalIndex = -1;
  long decisions;
  long moveCount;
  long flaps;
  boolean truncated;

  Timeline(Instant from, Duration flapWindow) {
    this.from = from;
    this.flapWindow = flapWindow;
  }

  /** Decisions in time order; those before {@code from} only set where traffic was. */
  void accept(FailoverDecision d) {
    Instant time = d.getTime();
    int before = active != null ? active : d.getBefore() == null ? -2
        : d.getBefore().getActiveTier();
    int after = d.getAfter().getActiveTier();
    boolean counted = !time.isBefore(from);
    if (counted) {
      decisions++;
    }
    if (before == after) {
      active = after;
      return;
    }
    boolean placement = before == -2;
    active = after;
    if (!counted) {
      // A failback before the window is not judged: the made side is read from the window
      // on, and both sides must count alike.
      arrivedAt = time;
      arrivedByFailback = false;
      arrivalIndex = -1;
      return;
    }
    if (!placement) {
      moveCount++;
      if (arrivedByFailback && arrivedAt != null
          && Duration.between(arrivedAt, time).compareTo(flapWindow) < 0) {
        flaps++;
        if (arrivalIndex >= 0) {
          flapped.set(arrivalIndex, true);
        }
      }
    }
    if (moves.size() < MAX_MOVES) {
      moves.add(new Move(time, placement ? -2 : before, after, d.getReasonCode().name(),
          d.getReason()));
      flapped.add(false);
      arrivalIndex = placement ? -1 : moves.size() - 1;
    } else {
      truncated = true;
      arrivalIndex = -1;
    }
    arrivedAt = time;
    arrivedByFailback = !placement && isFailback(before, after);
  }

  /** A move to a preferred tier: a lower index, or any tier after none was healthy (-1). */
  static boolean isFailback(int from, int to) {
    return to >= 0 && (from < 0 || to < from);
  }

  List<Move> moves() {
    return moves;
  }

  /** Whether the move at {@code index} was a failback undone within the window. */
  boolean flapped(int index) {
    return flapped.get(index);
  }

  /** How long the move at {@code index} held: until the next move, or null (to the end). */
  Duration held(int index) {
    return index + 1 < moves.size()
        ? Duration.between(moves.get(index).time(), moves.get(index + 1).time()) : null;
  }
}
