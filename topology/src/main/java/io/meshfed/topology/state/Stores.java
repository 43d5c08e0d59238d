package io.meshfed.topology.state;

/** Names of every state store; each is also its changelog's name. */
public final class Stores {

  // Selection stage, keyed by backing service.
  public static final String SERVICES = "select-services";
  public static final String ENDPOINTS = "select-endpoints";
  public static final String SELECTORS = "select-destination-selectors";
  public static final String MEMBERSHIPS = "select-memberships";

  // Decision stage, keyed by destination.
  public static final String DESTINATIONS = "decide-destinations";
  public static final String POLICIES = "decide-policies";
  public static final String CLUSTERS = "decide-clusters";
  public static final String MEMBER_SERVICES = "decide-member-services";
  public static final String MEMBER_ENDPOINTS = "decide-member-endpoints";
  public static final String OUTLIERS = "decide-outliers";
  /**
   * Per destination: its {@link ClientDecisions}, one {@link ClientDecision} per client cluster,
   * and the destination's last epoch.
   * (Earlier names: {@code decide-decisions}, whole states per client, then
   * {@code decide-client-decisions}, one record per {@code destination|client}. A store of a new
   * name starts empty: after an upgrade every destination's first evaluation re-sends its
   * unchanged config once, with the next epoch.)
   */
  public static final String DECISIONS = "decide-decisions-by-destination";
  /** Per {@code destination|slot}: a config shared by the clients whose decision points at it. */
  public static final String DECISION_CONFIGS = "decide-decision-configs";
  /**
   * Per destination: an epoch floor, read and never written by the topology — what a standby's
   * takeover seeded ({@code TakeoverEpochs}) or what a topology wrote here before the epoch moved
   * into {@link #DECISIONS}. A destination's next epoch is above both.
   */
  public static final String EPOCHS = "decide-epochs";
  /**
   * Recent decisions per destination in {@link DecisionChunk}s, {@code Kind/ns/name|<slot>}
   * (see {@code DecisionHistory}). (Before chunks this was {@code decide-decision-log}, one
   * decision per record: an upgrade starts the queryable history afresh; the decisions are
   * still on {@code meshfed.failover-events}.)
   */
  public static final String DECISION_LOG = "decide-decision-history";
  /** How many decisions per destination the history keeps for queries (at least). */
  public static final int DECISION_LOG_KEEP = 100;
  public static final String ACKS = "decide-acks";
  public static final String STATUSES = "decide-statuses";
  public static final String WAKEUPS = "decide-wakeups";
  /** When a destination's make-before-break wait ends (decide/handover/Handovers). */
  public static final String HANDOVERS = "decide-handovers";

  private Stores() {}
}
