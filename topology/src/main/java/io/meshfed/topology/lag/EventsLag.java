package io.meshfed.topology.lag;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How far the topology is behind on each cluster's events topic, in records: the topic's end
 * offsets minus the topology's committed offsets, summed over partitions, as
 * {@link EventsLagMonitor} last measured them for the whole consumer group (so every instance
 * sees every cluster's lag, whichever instance reads its partitions).
 *
 * <p>Why: a heartbeat queued behind a backlog — a flood of bad records, or the topology's own
 * downtime — is not a cluster that stopped talking. The decide stage asks {@link #isBehind}
 * before it declares a cluster stale, and waits while the cluster's own topic has unread
 * records. Process-wide and keyed by application id, because processors are created by Kafka
 * Streams and cannot be handed the monitor; with no monitor (TopologyTestDriver) nothing is
 * ever behind.
 */
public final class EventsLag {

  /**
   * Any unread record counts: a cluster whose topic holds a record the topology has not read
   * sent something after the last heartbeat the topology saw — it is not silent. (This also
   * covers a quiet cluster whose heartbeat waits in the same task behind another cluster's
   * flood: its committed offset does not move until the heartbeat is processed.)
   */
  public static final long BACKLOG_RECORDS = 0;

  private static final Map<String, Map<String, Long>> LAG = new ConcurrentHashMap<>();

  private EventsLag() {}

  /** Whether the application has a backlog on the cluster's events topic. */
  public static boolean isBehind(String applicationId, String cluster) {
    Map<String, Long> byCluster = LAG.get(applicationId);
    Long lag = byCluster == null ? null : byCluster.get(cluster);
    return lag != null && lag > BACKLOG_RECORDS;
  }

  /** The lag the monitor measured, by cluster. */
  public static Map<String, Long> of(String applicationId) {
    return Map.copyOf(LAG.getOrDefault(applicationId, Map.of()));
  }

  static void update(String applicationId, Map<String, Long> byCluster) {
    LAG.put(applicationId, Map.copyOf(byCluster));
  }

  static void clear(String applicationId) {
    LAG.remove(applicationId);
  }
}
