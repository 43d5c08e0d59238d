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
 * @param negotiable true when the operator chose neither key: the topology then asks its broker
 *     at start and takes the shortest session it allows from {@link #PREFERRED_SESSION} up
 *     ({@link #forBroker}); false when either key was given, which is used as it is
 */
public record CrashDetection(Duration sessionTimeout, Duration heartbeatInterval,
    boolean negotiable) {

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
   * The session meshfed wants when the operator chose none: a kill -9 of one of two instances
   * then stops decisions for under 5 s (issue #21; topology/DESIGN.md, "Crash recovery", has
   * the numbers and the price: a live member starved for 2.5 s is evicted and rejoins). 3 s was
   * measured first: takeovers of 3.5-5.2 s over 20 kills, the session plus ~0.5 s of rebalance
   * plus 0.4-0.9 s for the new tasks' first decisions, too little margin under 5 s.
   */
  public static final Duration PREFERRED_SESSION = Duration.ofMillis(2500);

  /**
   * Heartbeats of an agreed session, at most this far apart. A kill is noticed by the
   * coordinator between session − heartbeat and session after it (the dead member's last
   * heartbeat), and by the survivor at its next heartbeat after that: at a third of the session
   * the detection alone spans from two to four thirds of it, at 500 ms a second at most. Two small requests a
   * second per stream thread.
   */
  static final Duration AGREED_HEARTBEAT = Duration.ofMillis(500);

  /**
   * meshfed's default until the broker has been asked, and when it will not say: 6 s / 2 s, the
   * shortest session a stock broker accepts (its {@code group.min.session.timeout.ms}), so a
   * topology starts against any broker. Negotiable: see {@link #forBroker}.
   */
  public static final CrashDetection DEFAULT = new CrashDetection(Duration.ofSeconds(6),
      Duration.ofSeconds(2), true);

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

  /** As the operator chose it: used as it is. */
  public CrashDetection(Duration sessionTimeout, Duration heartbeatInterval) {
    this(sessionTimeout, heartbeatInterval, false);
  }

  /** A session with heartbeats every third of it (Kafka's own rule of thumb), as chosen. */
  public static CrashDetection of(Duration sessionTimeout) {
    return new CrashDetection(sessionTimeout, thirdOf(sessionTimeout));
  }

  /**
   * The shortest session a broker allowing {@code [brokerMin, brokerMax]} accepts, from
   * {@link #PREFERRED_SESSION} up (and within meshfed's own bounds), heartbeats every third of
   * it or {@link #AGREED_HEARTBEAT}, whichever is sooner: 2.5 s on meshfed's own broker (its
   * minimum is 1 s), 6 s on a stock one. This instance when it is not {@link #negotiable}.
   */
  public CrashDetection forBroker(Duration brokerMin, Duration brokerMax) {
    if (!negotiable) {
      return this;
    }
    Duration session = PREFERRED_SESSION;
    if (brokerMin.compareTo(session) > 0) {
      session = brokerMin;
    }
    if (brokerMax.compareTo(session) < 0) {
      session = brokerMax;
    }
    if (session.compareTo(MIN_SESSION) < 0 || session.compareTo(MAX_SESSION) > 0) {
      return this;
    }
    Duration heartbeat = thirdOf(session);
    if (heartbeat.compareTo(AGREED_HEARTBEAT) > 0) {
      heartbeat = AGREED_HEARTBEAT;
    }
    return new CrashDetection(session, heartbeat, false);
  }

  private static Duration thirdOf(Duration session) {
    return Duration.ofMillis(Math.max(1, session.toMillis() / 3));
  }
}
