package io.meshfed.topology.commit;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * What the stream thread's last poll returned and its stages have not processed yet: the basis
 * of group commit (exactly-once) and of coalescing in the decide stage (both guarantees).
 *
 * <p><b>Group commit.</b> With exactly-once a hop's output is readable only once its
 * transaction commits, and a commit costs a flush, an offsets request and a marker on every
 * partition the transaction touched. On a fixed short interval (20 ms) a quiet thread still
 * waits up to the interval before each commit, and a busy one commits every 20 ms however much
 * is queued — a zone outage fans out to every client cluster's config topic, so each of those
 * commits wrote markers to hundreds of partitions for a handful of records each, and the thread
 * spent most of its time blocked in commits (topology/DESIGN.md). Committing when the poll's
 * records are drained adapts by itself: a quiet thread commits right after the one record it
 * got; under load the next poll returns everything that arrived during the last commit, so
 * transactions grow with the load and the number of commits stays bounded by how fast a commit
 * completes. Streams' {@code commit.interval.ms} stays as the upper bound.
 *
 * <p><b>Coalescing.</b> A task asks {@link #drained} whether every record the last poll returned
 * for its input partitions has been processed; the decide stage marks destinations dirty while
 * records arrive and evaluates each once when its task is drained, so a burst (a zone outage
 * sends several member updates per destination) costs one evaluation per destination.
 *
 * <p>How: {@link PollCounter}, an interceptor on the main consumer, notes on the polling thread
 * (the stream thread) how many records the poll returned, in all and per partition;
 * {@link #counting} wraps the first processor of each stage, counts each record as seen before
 * the stage processes it and, with exactly-once, requests a commit
 * ({@link ProcessorContext#commit()}, which Streams honours after the current processing
 * iteration) after the last. Each poll replaces the counts: a record skipped before its stage's
 * processor (a deserialization error) leaves a count above zero only until the next poll; that
 * poll's commit then falls back to the interval and a waiting task to its punctuation, which
 * costs latency, never correctness — Streams decides what a commit contains, this only says when.
 * Without a counted poll (TopologyTestDriver, or a consumer without the interceptor) every task
 * is drained after each record, so the decide stage evaluates synchronously.
 */
public final class CommitOnDrain {

  private static final ThreadLocal<PollCount> LAST_POLL = ThreadLocal.withInitial(PollCount::new);

  private CommitOnDrain() {}

  /** The records of the thread's last poll that no stage's first processor has seen yet. */
  private static final class PollCount {
    int remaining;
    /** When the last poll returned ({@link System#nanoTime}). */
    long polledAt;
    /** Per partition: {records not seen yet, records the poll returned}. */
    final Map<TopicPartition, int[]> byPartition = new HashMap<>();

    void reset(ConsumerRecords<?, ?> records) {
      remaining = records.count();
      polledAt = System.nanoTime();
      byPartition.clear();
      for (TopicPartition tp : records.partitions()) {
        int count = records.records(tp).size();
        byPartition.put(tp, new int[] {count, count});
      }
    }

    /** Counts one record as seen; true when it was the last of its poll. */
    boolean seen(RecordMetadata source) {
      if (source != null) {
        int[] left = byPartition.get(new TopicPartition(source.topic(), source.partition()));
        if (left != null && left[0] > 0) {
          left[0]--;
        }
      }
      return remaining > 0 && --remaining == 0;
    }
  }

  /** Consumer interceptor for the main consumer ({@code main.consumer.interceptor.classes}). */
  public static final class PollCounter implements ConsumerInterceptor<byte[], byte[]> {
    @Override
    public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
      LAST_POLL.get().reset(records);
      return records;
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {}

    @Override
    public void close() {}

    @Override
    public void configure(Map<String, ?> configs) {}
  }

  /** Counts one polled record as seen; true when it was the last of its poll. */
  static boolean lastOfPoll(RecordMetadata source) {
    return LAST_POLL.get().seen(source);
  }

  /**
   * How many records the current thread's last counted poll returned for these partitions, if
   * it returned them within {@code maxAge}; 0 otherwise, or without a counted poll. A poll that
   * returns nothing is not seen here (Kafka calls interceptors with records only), so the age is
   * what says that the records stopped coming.
   */
  public static int recentPollSize(Collection<TopicPartition> partitions,
      java.time.Duration maxAge) {
    PollCount poll = LAST_POLL.get();
    if (System.nanoTime() - poll.polledAt > maxAge.toNanos()) {
      return 0;
    }
    int size = 0;
    for (TopicPartition tp : partitions) {
      int[] counts = poll.byPartition.get(tp);
      size += counts == null ? 0 : counts[1];
    }
    return size;
  }

  /**
   * Whether the current thread's last poll returned nothing for these partitions that a stage
   * has not seen yet (called by a processor while it processes a record, that record counts as
   * seen).
   */
  public static boolean drained(Collection<TopicPartition> partitions) {
    Map<TopicPartition, int[]> byPartition = LAST_POLL.get().byPartition;
    for (TopicPartition tp : partitions) {
      int[] left = byPartition.get(tp);
      if (left != null && left[0] > 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Wraps a stage's first processor so that each record is counted as seen before the stage
   * processes it, and — when {@code requestCommit} (exactly-once) — the last record of a poll
   * requests a commit.
   */
  public static <KI, VI, KO, VO> ProcessorSupplier<KI, VI, KO, VO> counting(
      ProcessorSupplier<KI, VI, KO, VO> supplier, boolean requestCommit) {
    return counting(supplier, requestCommit, topic -> true);
  }

  /**
   * As {@link #counting(ProcessorSupplier, boolean)}, counting only the records read from a
   * topic {@code firstHere} accepts: a stage that also gets records an earlier stage of its
   * sub-topology forwarded (the select stage, for the events ingest read on their service's
   * partition) must not count them a second time.
   */
  public static <KI, VI, KO, VO> ProcessorSupplier<KI, VI, KO, VO> counting(
      ProcessorSupplier<KI, VI, KO, VO> supplier, boolean requestCommit,
      java.util.function.Predicate<String> firstHere) {
    return new ProcessorSupplier<>() {
      @Override
      public Processor<KI, VI, KO, VO> get() {
        Processor<KI, VI, KO, VO> delegate = supplier.get();
        return new Processor<>() {
          private ProcessorContext<KO, VO> context;

          @Override
          public void init(ProcessorContext<KO, VO> context) {
            this.context = context;
            delegate.init(context);
          }

          @Override
          public void process(Record<KI, VI> record) {
            RecordMetadata source = context.recordMetadata().orElse(null);
            boolean last = (source == null || firstHere.test(source.topic()))
                && lastOfPoll(source);
            try {
              delegate.process(record);
            } finally {
              if (last && requestCommit) {
                context.commit();
              }
            }
          }

          @Override
          public void close() {
            delegate.close();
          }
        };
      }

      @Override
      public Set<StoreBuilder<?>> stores() {
        return supplier.stores();
      }
    };
  }
}
