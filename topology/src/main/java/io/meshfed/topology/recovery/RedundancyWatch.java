package io.meshfed.topology.recovery;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.LagInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says, once after each rebalance, when every store this instance holds — its active tasks' and
 * its standbys' — has caught up with its changelog: from then on a peer's crash costs this
 * instance a takeover (its standbys are recycled, the changelog's tail restored), not a restore
 * from scratch.
 *
 * <p>The line counts the tasks held, so that a reader can tell whether every task has its
 * standby placed yet (Streams places them in a rebalance that may follow the first).
 *
 * <p>Why: with exactly-once, a store an instance was writing when it was killed has no
 * checkpoint and is rebuilt from its changelog when the instance comes back (Streams treats it
 * as corrupted), its standbys included. Until that is done, the instance cannot take over
 * quickly: measured in the fault suite, a second kill 20 s after the first took 8.8-20 s instead
 * of 4 s. The line tells an operator (and the fault suite, which waits for it before a kill) when
 * the instance is a warm spare again.
 *
 * <p>Cost: while the instance is RUNNING and not yet caught up, one
 * {@link KafkaStreams#allLocalStorePartitionLags()} a second (a ListOffsets for the store
 * partitions it holds); nothing once it has said so, until the next rebalance.
 */
public final class RedundancyWatch implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RedundancyWatch.class);
  /** What this class logs, for readers of the log (the fault suite). */
  public static final String CAUGHT_UP = "every local store caught up with its changelog";
  /**
   * Records a store may trail its changelog by and still count as caught up: a standby trails a
   * live active task by what it has not fetched yet, and under exactly-once the end offset
   * counts the commit markers, which a reader never reaches as records.
   */
  static final long CAUGHT_UP_LAG = 100;

  /** What this instance holds: its tasks, and the offset lag of every store partition. */
  private final Supplier<Holding> holding;

  /**
   * What an instance holds.
   *
   * @param activeTasks tasks it processes
   * @param standbyTasks tasks it keeps warm for a peer
   * @param lags the offset lag of every store partition of both
   */
  record Holding(int activeTasks, int standbyTasks, List<Long> lags) {}
  private final ScheduledExecutorService timer;
  private final AtomicBoolean watching = new AtomicBoolean();
  private volatile boolean failureLogged;

  RedundancyWatch(Supplier<Holding> holding, String name) {
    this.holding = holding;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "meshfed-redundancy-" + name);
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
  }

  /** A watch over {@code streams}' local stores. */
  public static RedundancyWatch of(KafkaStreams streams, String applicationId) {
    return new RedundancyWatch(() -> {
      int active = 0;
      int standby = 0;
      for (var thread : streams.metadataForLocalThreads()) {
        active += thread.activeTasks().size();
        standby += thread.standbyTasks().size();
      }
      return new Holding(active, standby, streams.allLocalStorePartitionLags().values().stream()
          .flatMap(byPartition -> byPartition.values().stream()).map(LagInfo::offsetLag)
          .toList());
    }, applicationId);
  }

  /** To be called from the Streams state listener. */
  public void onStateChange(KafkaStreams.State next) {
    // A rebalance may hand this instance new standbys; each RUNNING period is watched anew.
    watching.set(next == KafkaStreams.State.RUNNING);
  }

  void tick() {
    if (!watching.get()) {
      return;
    }
    try {
      Holding now = holding.get();
      int partitions = now.lags().size();
      long mostBehind = now.lags().stream().mapToLong(Long::longValue).max().orElse(0);
      if (partitions > 0 && mostBehind <= CAUGHT_UP_LAG && watching.compareAndSet(true, false)) {
        LOG.info("{} ({} active and {} standby tasks, {} store partitions, at most {} records"
            + " behind): a peer's crash is now a takeover, not a restore", CAUGHT_UP,
            now.activeTasks(), now.standbyTasks(), partitions, mostBehind);
      }
    } catch (RuntimeException e) {
      // Not started yet, or rebalancing between the state change and this tick: next second.
      if (!failureLogged) {
        failureLogged = true;
        LOG.debug("store lags not available yet: {}", e.toString());
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
