package io.meshfed.topology.faults;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The circuit breaker against records that fail after they were processed.
 *
 * <p>Most bad records fail inside processing, where the processing handler dead-letters them and
 * the thread moves on. Some fail later: an output, changelog or dead-letter write the producer
 * refuses. Under exactly-once that aborts the transaction, Kafka Streams rewinds the task to its
 * last commit, and the same record fails again — forever, with every cluster's decisions
 * stopped. The production handler reports the source record of each refused write here; when
 * the same source record has failed {@value #FAILURES_BEFORE_SKIP} times, {@link GuardedProcessor}
 * dead-letters it on its next delivery instead of processing it, logs the topic, partition and
 * offset, and counts it ({@code meshfed_poison_records_skipped_total}).
 *
 * <p>Process-wide (handlers and processors are per thread, and a replaced thread must see the
 * failures of the one it replaces) and bounded: the oldest of {@value #MAX_TRACKED} entries is
 * forgotten first. Keyed by application id as well as topic, partition and offset: two
 * topologies in one JVM (a test run, an embedded stack beside a what-if) read the same topic
 * names, and one's refused write must not make the other skip its record at the same offset.
 */
public final class PoisonRecords {

  /**
   * One: the first delivery failed, the second is skipped. A producer's refusal of a write is
   * deterministic (the same record yields the same oversized output), so a second try would only
   * cost a second transaction abort and a second thread.
   */
  static final int FAILURES_BEFORE_SKIP = 1;
  private static final int MAX_TRACKED = 10_000;
  /** A failure older than this no longer makes the instance unready. */
  private static final long STUCK_WINDOW_MS = 120_000;

  private static final Map<String, Failure> FAILURES = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Failure> eldest) {
      return size() > MAX_TRACKED;
    }
  };

  /**
   * The exceptions already blamed on a record, by identity (Throwable has no equals of its own;
   * weak, so they go with their records).
   */
  private static final Set<Throwable> BLAMED =
      Collections.newSetFromMap(new WeakHashMap<>());

  /**
   * The source record the stream thread is processing, set by {@link GuardedProcessor} around
   * each record. A changelog write refused by the producer reaches the production handler with
   * no source record in its context (topic null, offset -1); when the refusal is synchronous —
   * the producer's own size check, in the store's {@code put} — it is this record's.
   */
  private static final ThreadLocal<org.apache.kafka.streams.processor.api.RecordMetadata>
      PROCESSING = new ThreadLocal<>();

  /**
   * Whether any write has failed since the process started (or {@link #clear}): the breaker is
   * asked for every record of every guarded stage, and almost always nothing has failed, so that
   * answer needs no lock and no key.
   */
  private static volatile boolean anyFailed;

  private PoisonRecords() {}

  /** Notes the record this thread now processes; returns the one it processed before. */
  static org.apache.kafka.streams.processor.api.RecordMetadata processing(
      org.apache.kafka.streams.processor.api.RecordMetadata source) {
    var before = PROCESSING.get();
    PROCESSING.set(source);
    return before;
  }

  /** The record this thread is processing, or null outside processing. */
  static org.apache.kafka.streams.processor.api.RecordMetadata processing() {
    return PROCESSING.get();
  }

  /**
   * Whether {@code refusal} is the first failure with this exception instance — the record that
   * caused it — rather than one of the others it took down. Under exactly-once a refused write
   * puts the producer in an error state whose error ({@code TransactionManager}'s last error,
   * the same instance) then fails every write of the transaction still in the producer's buffers,
   * each reported to the production handler with the context of its own source record. The
   * culprit's refusal comes first (synchronously, in {@code send}); blaming the others would
   * dead-letter good records on the replay — seen once under load in
   * {@code PoisonRecordIntegrationTest}: a 292 KB snapshot refused, and a heartbeat of another
   * cluster, queued before it, skipped as poison.
   */
  public static synchronized boolean firstToFailWith(Throwable refusal) {
    return refusal == null || BLAMED.add(refusal);
  }

  /** What is known of one source record's failures. */
  public record Failure(String topic, int partition, long offset, int count, String reason,
      long lastFailedAtMs, boolean skipped) {}

  /**
   * Notes that writing an output of the record at topic/partition/offset, read by the topology
   * {@code applicationId}, failed.
   */
  public static synchronized void failed(String applicationId, String topic, int partition,
      long offset, String reason) {
    if (topic == null || offset < 0) {
      return;
    }
    String key = key(applicationId, topic, partition, offset);
    anyFailed = true;
    Failure before = FAILURES.get(key);
    int count = before == null ? 1 : before.count() + 1;
    FAILURES.put(key, new Failure(topic, partition, offset, count,
        DeadLetterRecords.bounded(reason, 300), System.currentTimeMillis(), false));
  }

  /**
   * Whether the record at topic/partition/offset has failed often enough to be skipped; if so it
   * is marked skipped, so it is answered yes once.
   */
  public static Failure skipIfPoison(String applicationId, String topic, int partition,
      long offset) {
    if (!anyFailed) {
      return null;
    }
    synchronized (PoisonRecords.class) {
      return skipIfFailed(key(applicationId, topic, partition, offset));
    }
  }

  private static Failure skipIfFailed(String key) {
    Failure failure = FAILURES.get(key);
    if (failure == null || failure.skipped() || failure.count() < FAILURES_BEFORE_SKIP) {
      return null;
    }
    Failure skipped = new Failure(failure.topic(), failure.partition(), failure.offset(),
        failure.count(), failure.reason(), failure.lastFailedAtMs(), true);
    FAILURES.put(key, skipped);
    FaultLog.poisonSkipped();
    return skipped;
  }

  /**
   * Partitions whose latest failing record has failed recently and was not yet skipped: where
   * the topology is replaying the same records.
   */
  public static synchronized List<Failure> stuck() {
    long now = System.currentTimeMillis();
    List<Failure> out = new ArrayList<>();
    for (Failure f : FAILURES.values()) {
      if (!f.skipped() && now - f.lastFailedAtMs() < STUCK_WINDOW_MS) {
        out.add(f);
      }
    }
    return out;
  }

  /** Records dead-lettered by the breaker since the process started. */
  public static long skippedTotal() {
    return FaultLog.poisonRecordsSkipped();
  }

  /** For tests: forget everything. */
  public static synchronized void clear() {
    anyFailed = false;
    FAILURES.clear();
    BLAMED.clear();
    PROCESSING.remove();
  }

  private static String key(String applicationId, String topic, int partition, long offset) {
    return applicationId + "|" + topic + "-" + partition + "@" + offset;
  }
}
