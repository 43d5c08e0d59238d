package io.meshfed.topology.config;

import java.time.Duration;

/**
 * How soon the group notices a topology instance that died without leaving (kill -9, a lost
 * machine): the consumer group's session timeout, and how often each member heartbeats. A
 * planned stop leaves the group and is not bounded by these. Kept apart from the rest of
 * {@link TopologyConfig} because the bounds here come from the broker, not from meshfed: a
 * session shorter than the broker's {@code group.min.session.timeout.ms} (6 s on a stock broker)
 * is refused when the instance joins, which is why meshfed's own broker lowers that minimum
 * (topology/DESIGN.md, "Crash recovery").
 *
 * @param sessionTimeout a member silent for this long is removed and its tasks move
 *     ({@code meshfed.group.session.timeout.ms})
 * @param heartbeatInterval how often a member heartbeats, at most a third of the session so
 *     that two lost heartbeats do not evict it ({@code meshfed.group.heartbeat.interval.ms})
 */
public record CrashDetection(Duration sessionTimeout, Duration heartbeatInterval) {

  static final String SESSION_KEY = "meshfed.group.session.timeout.ms";
  static final String HEARTBEAT_KEY = "meshfed.group.heartbeat.interval.ms";

  /**
   * Below this a stop-the-world pause or a starved heartbeat thread on a busy machine evicts a
   * live member; each false eviction costs a rebalance (never a wrong or lost decision).
   */
  static final Duration MIN_SESSION = Duration.ofSeconds(1);
  /** A stock broker's {@code group.max.session.timeout.ms}. */
  static final Duration MAX_SESSION = Duration.ofMinutes(30);

  /**
   * meshfed's default: 6 s / 2 s, the shortest session a stock broker accepts (its
   * {@code group.min.session.timeout.ms}), so a topology starts against any broker; 3 s (the
   * chaos suite's, on meshfed's own broker) needs that minimum lowered (topology/DESIGN.md,
   * "Crash recovery", has the numbers).
   */
  public static final CrashDetection DEFAULT = of(Duration.ofSeconds(6));

  public CrashDetection {
    if (sessionTimeout.compareTo(MIN_SESSION) < 0 || sessionTimeout.compareTo(MAX_SESSION) > 0) {
      throw new IllegalArgumentException("config key '" + SESSION_KEY + "': "
          + sessionTimeout.toMillis() + " must be between " + MIN_SESSION.toMillis() + " and "
          + MAX_SESSION.toMillis());
    }
    if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()
        || heartbeatInterval.multipliedBy(3).compareTo(sessionTimeout) > 0) {
      throw new IllegalArgumentException("config key '" + HEARTBEAT_KEY + "': "
          + heartbeatInterval.toMillis() + " must be > 0 and at most a third of " + SESSION_KEY
          + " (" + sessionTimeout.toMillis() + ")");
    }
  }

  /** A session with heartbeats every third of it (Kafka's own rule of thumb). */
  public static CrashDetection of(Duration sessionTimeout) {
    return new CrashDetection(sessionTimeout,
        Duration.ofMillis(Math.max(1, sessionTimeout.toMillis() / 3)));
  }
}
