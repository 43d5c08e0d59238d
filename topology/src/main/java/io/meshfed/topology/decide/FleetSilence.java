package io.meshfed.topology.decide;

import java.time.Duration;
import java.time.Instant;

/**
 * Silence is evidence that a cluster stopped only while the rest of the fleet is heard from.
 * Agents that cannot write (a broker outage) and a topology that cannot read (its own downtime)
 * look alike from here: every cluster falls silent at once. That is the bus, not the clusters,
 * and must not turn every cluster stale and fail every client over.
 *
 * <p>The rule, in two parts:
 * <ol>
 *   <li>A cluster's silence counts only up to the last heartbeat the decide task received from
 *       <em>any</em> cluster ({@link #countedUntil}): a cluster turns stale once another cluster
 *       was heard from after its TTL ran out — in a healthy fleet within one heartbeat interval
 *       of the TTL (agents beat every 5 s).
 *   <li>A gap of at least {@link #threshold} in which no cluster at all was heard from is the
 *       bus's. The first heartbeat after it excuses its length for every cluster
 *       ({@link #gapEndingAt}; {@code ClusterView} shifts each cluster's "heard at" by it), so
 *       each cluster's silence resumes counting where it stood when the fleet fell silent: one
 *       silent for 20 s before a broker outage turns stale 10 s after the broker is back if it
 *       stays silent, one that beat until the outage has its whole TTL to be heard again.
 * </ol>
 *
 * <p>The threshold is half the TTL: well above the gaps between a live fleet's heartbeats (so a
 * cluster that died is not excused by the ordinary pause before the next live cluster beats),
 * below the TTL.
 */
final class FleetSilence {

  private final Duration threshold;
  /** When the last heartbeat from any cluster was received; null before the first. */
  private Instant lastHeard;

  /**
   * @param ttl the heartbeat TTL
   * @param lastHeard the latest heartbeat the store records from any cluster (a revived task
   *     resumes the fleet's clock where it stopped, so its own downtime is a gap too), or null
   */
  FleetSilence(Duration ttl, Instant lastHeard) {
    this.threshold = threshold(ttl);
    this.lastHeard = lastHeard;
  }

  /** The shortest silence of the whole fleet that is taken for the bus's. */
  static Duration threshold(Duration ttl) {
    return ttl.dividedBy(2);
  }

  /** The fleet-wide gap that ends at {@code now}: its length, or zero if it is shorter. */
  Duration gapEndingAt(Instant now) {
    if (lastHeard == null) {
      return Duration.ZERO;
    }
    Duration silent = Duration.between(lastHeard, now);
    return silent.compareTo(threshold) >= 0 ? silent : Duration.ZERO;
  }

  /** The instant up to which a cluster's silence counts: the last time any cluster was heard. */
  Instant countedUntil(Instant now) {
    return lastHeard == null || lastHeard.isAfter(now) ? now : lastHeard;
  }

  /** A heartbeat was received at {@code at}. */
  void heard(Instant at) {
    if (lastHeard == null || at.isAfter(lastHeard)) {
      lastHeard = at;
    }
  }
}
