package io.meshfed.topology.commit;

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
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Group commit for exactly-once: a stream thread commits when it has processed everything its
 * last poll returned, instead of on a fixed clock.
 *
 * <p>Why: with exactly-once a hop's output is readable only once its transaction commits, and a
 * commit costs a flush, an offsets request and a marker on every partition the transaction
 * touched. On a fixed short interval (20 ms) a quiet thread still waits up to the interval
 * before each commit, and a busy one commits every 20 ms however much is queued — a zone outage
 * fans out to every client cluster's config topic, so each of those commits wrote markers to
 * hundreds of partitions for a handful of records each, and the thread spent most of its time
 * blocked in commits (topology/DESIGN.md). Committing when the poll's records are drained adapts
 * by itself: a quiet thread commits right after the one record it got; under load the next poll
 * returns everything that arrived during the last commit, so transactions grow with the load
 * and the number of commits stays bounded by how fast a commit completes. Streams'
 * {@code commit.interval.ms} stays as the upper bound.
 *
 * <p>How: {@link PollCounter}, an interceptor on the main consumer, notes on the polling thread
 * (the stream thread) how many records the poll returned; {@link #counting} wraps the first
 * processor of each stage and, after the last of them, requests a commit
 * ({@link ProcessorContext#commit()}, which Streams honours after the current processing
 * iteration). A record skipped before its stage's processor (a deserialization error) leaves
 * the count above zero; that poll's commit then falls back to the interval, which costs
 * latency, never correctness — Streams decides what a commit contains, this only says when.
 */
public final class CommitOnDrain {

  /** Records of the stream thread's last poll not yet seen by a stage's first processor. */
  private static final ThreadLocal<int[]> REMAINING = ThreadLocal.withInitial(() -> new int[1]);

  private CommitOnDrain() {}

  /** Consumer interceptor for the main consumer ({@code main.consumer.interceptor.classes}). */
  public static final class PollCounter implements ConsumerInterceptor<byte[], byte[]> {
    @Override
    public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
      REMAINING.get()[0] = records.count();
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
  static boolean lastOfPoll() {
    int[] remaining = REMAINING.get();
    return remaining[0] > 0 && --remaining[0] == 0;
  }

  /** Wraps a stage's first processor so that the last record of a poll requests a commit. */
  public static <KI, VI, KO, VO> ProcessorSupplier<KI, VI, KO, VO> counting(
      ProcessorSupplier<KI, VI, KO, VO> supplier) {
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
            try {
              delegate.process(record);
            } finally {
              if (lastOfPoll()) {
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
