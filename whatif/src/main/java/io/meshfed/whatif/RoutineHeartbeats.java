package io.meshfed.whatif;

import io.meshfed.avro.ClusterHeartbeat;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Leaves out of the replay the heartbeats whose absence provably changes no decision: a
 * routine heartbeat (the same content as the cluster's last one replayed, all but its time)
 * that the cluster's next heartbeat follows before the last replayed one goes stale, and that
 * is not the fleet's first heartbeat of its clock step.
 *
 * <p>Why that is exact. The decide stage reads heartbeats in two places:
 * <ul>
 *   <li>{@code ClusterView}: what it keeps of each cluster's last one (region, zones, labels,
 *       restart epoch, when it was sent, and when it was received: the replay's clock, on its
 *       step), judging staleness as {@code received + ttl < countedUntil}, where
 *       {@code countedUntil <= now}. A routine heartbeat {@code h} left out changes only
 *       "received", from {@code h}'s step to the last replayed one's ({@code k}), until the next
 *       heartbeat {@code n} is processed. If {@code step(n) <= step(k) + ttl}, every judgement
 *       in between ({@code now < step(n)}, and at {@code step(n)} itself) finds the cluster
 *       fresh either way — a fleet-wide gap excused meanwhile only moves "received" later, in
 *       both runs alike — and {@code n} (not stale on arrival either way) makes the state equal
 *       again. A next heartbeat sent earlier than {@code h} (out of order: it would have been
 *       ignored after {@code h}) keeps {@code h}; so does a changed one, the first of a cluster
 *       and the last before the end.
 *   <li>{@code FleetSilence}: when the last heartbeat from <em>any</em> cluster was received
 *       ({@code lastHeard}: silence counts only up to it, and a gap of half the TTL before a
 *       heartbeat is excused for every cluster). Every heartbeat moves it to its step. So the
 *       fleet's first heartbeat of each step is always kept: any heartbeat left out comes after
 *       a kept one of the same step, when {@code lastHeard} is already that step — it neither
 *       moves it nor ends a gap. (Without this rule a fleet whose heartbeats were thinned to one
 *       per cluster per TTL showed the topology gaps of a whole TTL that were not there live,
 *       and every cluster's silence was excused over and over: a dead cluster never went
 *       stale.)
 * </ul>
 * Ingest keeps nothing of heartbeats; the select stage never sees them.
 *
 * <p>A heartbeat whose fate is open holds back the records behind it until the cluster's next
 * heartbeat, or until a record comes more than the TTL after {@code k}: at most a TTL's worth
 * of the fleet's records (about 600 for 100 clusters, heartbeats every 5 s, a 30 s TTL).
 */
final class RoutineHeartbeats {

  /** A record on its way to the replay; a heartbeat's {@code keep} is open until decided. */
  private static final class Held {
    final ConsumerRecord<String, byte[]> record;
    Boolean keep;
    Cluster cluster;

    Held(ConsumerRecord<String, byte[]> record, Boolean keep) {
      this.record = record;
      this.keep = keep;
    }
  }

  /** What is kept of a cluster's last replayed heartbeat, and the one whose fate is open. */
  private static final class Cluster {
    ClusterHeartbeat lastContent;
    long lastStep;
    Held open;
    ClusterHeartbeat openHeartbeat;
  }

  private final long ttl;
  private final long step;
  private final Function<ConsumerRecord<String, byte[]>, ClusterHeartbeat> heartbeats;
  private final Consumer<ConsumerRecord<String, byte[]>> replay;
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  private final Map<String, Cluster> clusters = new HashMap<>();
  /** The step of the fleet's last heartbeat (any cluster), kept or not. */
  private long fleetStep = Long.MIN_VALUE;
  long leftOut;

  /**
   * @param ttl the topology's heartbeat TTL
   * @param step the replay's clock step: a record is received at the step at or before it
   * @param heartbeats a record's heartbeat, when it is one ingest accepts (its key's cluster
   *     that of its topic); else null: the record is replayed as it is
   * @param replay where the records to replay go, in their order
   */
  RoutineHeartbeats(Duration ttl, Duration step,
      Function<ConsumerRecord<String, byte[]>, ClusterHeartbeat> heartbeats,
      Consumer<ConsumerRecord<String, byte[]>> replay) {
    this.ttl = ttl.toMillis();
    this.step = step.toMillis();
    this.heartbeats = heartbeats;
    this.replay = replay;
  }

  void accept(ConsumerRecord<String, byte[]> r) {
    long at = onStep(r.timestamp());
    ClusterHeartbeat heartbeat = heartbeats.apply(r);
    if (heartbeat == null) {
      held.add(new Held(r, true));
    } else {
      // One events topic per cluster.
      Cluster c = clusters.computeIfAbsent(r.topic(), x -> new Cluster());
      if (c.open != null) {
        // The open one is left out if this one follows in time (sent no earlier, received
        // before the last kept one goes stale).
        boolean routine = !heartbeat.getTime().isBefore(c.openHeartbeat.getTime())
            && at <= c.lastStep + ttl;
        decide(c, !routine);
      }
      Held h = new Held(r, null);
      h.cluster = c;
      held.add(h);
      // The fleet's first heartbeat of a step is kept: it moves FleetSilence's "last heard".
      boolean firstOfStep = at != fleetStep;
      fleetStep = at;
      if (!firstOfStep && c.lastContent != null && sameButTime(heartbeat, c.lastContent)) {
        c.open = h;
        c.openHeartbeat = heartbeat;
      } else {
        h.keep = true;
        kept(c, heartbeat, at);
      }
    }
    release(at);
  }

  /** Replays everything still held (an open heartbeat at the end is kept). */
  void finish() {
    clusters.values().forEach(c -> {
      if (c.open != null) {
        decide(c, true);
      }
    });
    release(Long.MAX_VALUE - ttl);
  }

  private void decide(Cluster c, boolean keep) {
    c.open.keep = keep;
    if (keep) {
      kept(c, c.openHeartbeat, onStep(c.open.record.timestamp()));
    } else {
      leftOut++;
    }
    c.open = null;
    c.openHeartbeat = null;
  }

  private static void kept(Cluster c, ClusterHeartbeat heartbeat, long at) {
    c.lastContent = heartbeat;
    c.lastStep = at;
  }

  /**
   * Passes on the decided records at the head; an open heartbeat at the head is kept once
   * {@code now} is past its cluster's last kept one's TTL (no next heartbeat can follow in
   * time any more).
   */
  private void release(long now) {
    while (!held.isEmpty()) {
      Held head = held.peek();
      if (head.keep == null) {
        Cluster c = head.cluster;
        if (now <= c.lastStep + ttl) {
          return;
        }
        decide(c, true);
      }
      held.poll();
      if (head.keep) {
        replay.accept(head.record);
      }
    }
  }

  private long onStep(long millis) {
    return Math.floorDiv(millis, step) * step;
  }

  private static boolean sameButTime(ClusterHeartbeat a, ClusterHeartbeat b) {
    return ClusterHeartbeat.newBuilder(a).setTime(Instant.EPOCH).build()
        .equals(ClusterHeartbeat.newBuilder(b).setTime(Instant.EPOCH).build());
  }
}
