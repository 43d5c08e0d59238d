package io.meshfed.rules.status;

/**
 * Agent restart epochs as Istio's proxy agent defines them: the first start is epoch 0, each
 * restart takes exactly one more, and a start that failed before it was announced may be
 * retried with the same epoch. An agent announces its epoch in heartbeats and acks; an ack
 * from an older epoch than one already seen for its cluster comes from an agent that has
 * since been replaced (a late record, a zombie pod during a rollout) and is fenced.
 */
public final class RestartEpochs {

  /** Not reported: an agent older than restart epochs, or one that could not record its epoch. */
  public static final long UNKNOWN = -1;

  private RestartEpochs() {}

  /**
   * The epoch of a new start.
   *
   * @param last the epoch the previous start recorded, or {@link #UNKNOWN} if none did
   * @param lastAnnounced whether the previous start announced it (sent a heartbeat); a start
   *     that never did failed, and its epoch is reused
   */
  public static long next(long last, boolean lastAnnounced) {
    if (last < 0) {
      return 0;
    }
    return lastAnnounced ? last + 1 : last;
  }

  /**
   * Whether an ack from {@code ackEpoch} is stale: some epoch the topology has seen for the
   * cluster (its heartbeats' or an earlier ack's) is newer. Unreported epochs fence nothing.
   */
  public static boolean isStale(long ackEpoch, long... seen) {
    if (ackEpoch < 0) {
      return false;
    }
    for (long s : seen) {
      if (s > ackEpoch) {
        return true;
      }
    }
    return false;
  }
}
