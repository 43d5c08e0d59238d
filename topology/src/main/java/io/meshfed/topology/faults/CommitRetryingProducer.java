package io.meshfed.topology.faults;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stream thread's transactional producer that finishes a commit that timed out before doing
 * anything else.
 *
 * <p>Why: when the broker is away for longer than {@code max.block.ms} (a hard restart on a
 * busy machine took 231 s), {@code commitTransaction} times out. The Kafka producer then
 * allows exactly one thing: calling {@code commitTransaction} again (the transaction may
 * already be committing at the coordinator; it can no longer be aborted or extended). Kafka
 * Streams 4.3 instead treats the timeout as corrupted tasks and, in its recovery, commits the
 * other tasks — {@code sendOffsetsToTransaction} first — or aborts; the producer refuses both
 * with an {@link IllegalStateException} ("the previous call to commitTransaction timed out and
 * must be retried"), which is not a {@link KafkaException}, and the stream thread dies (the
 * fault suite's broker-restart class, bench/results/faults.md).
 *
 * <p>Here every later transactional call first retries the timed-out commit. If the broker is
 * still away that retry times out again, a {@link TimeoutException} Streams handles as before
 * (it retries within {@code task.timeout.ms}); once it succeeds the transaction Streams
 * believes is still open is opened for real, so its next sends and offsets go into a new one.
 * An abort asked for after the timeout completes the commit instead: the coordinator may have
 * committed it already, and a committed transaction holds records and input offsets together,
 * so the tasks Streams revives from the changelog and the committed offsets see a consistent
 * state either way. A coordinator that aborted the transaction meanwhile (transaction timeout)
 * fences the retry; that surfaces as Streams' usual task migration.
 */
public final class CommitRetryingProducer implements Producer<byte[], byte[]> {

  private static final Logger LOG = LoggerFactory.getLogger(CommitRetryingProducer.class);

  private final Producer<byte[], byte[]> delegate;
  /** Set when commitTransaction timed out, until a retry of it succeeded. */
  private boolean commitTimedOut;

  public CommitRetryingProducer(Producer<byte[], byte[]> delegate) {
    this.delegate = delegate;
  }

  /** True when a timed-out commit is waiting to be retried. */
  public synchronized boolean commitPending() {
    return commitTimedOut;
  }

  @Override
  public synchronized void commitTransaction() {
    if (commitTimedOut) {
      // Streams retries its own commit: the retry is the only call the producer allows.
      finishTimedOutCommit();
      return;
    }
    try {
      delegate.commitTransaction();
    } catch (TimeoutException e) {
      commitTimedOut = true;
      LOG.warn("committing a transaction timed out ({}); the next transactional call retries"
          + " the commit first", e.getMessage());
      throw e;
    }
  }

  /**
   * Retries the commit that timed out; true when it was pending and is now committed. A
   * TimeoutException leaves it pending.
   */
  private boolean finishTimedOutCommit() {
    if (!commitTimedOut) {
      return false;
    }
    delegate.commitTransaction();
    commitTimedOut = false;
    LOG.info("the transaction whose commit had timed out is committed");
    return true;
  }

  /**
   * Before a call that belongs to the transaction Streams thinks is open: finish the old one
   * and open that new one.
   */
  private void reopenAfterTimedOutCommit() {
    if (finishTimedOutCommit()) {
      delegate.beginTransaction();
    }
  }

  @Override
  public synchronized void beginTransaction() {
    finishTimedOutCommit();
    delegate.beginTransaction();
  }

  @Override
  public synchronized void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets,
      ConsumerGroupMetadata groupMetadata) {
    reopenAfterTimedOutCommit();
    delegate.sendOffsetsToTransaction(offsets, groupMetadata);
  }

  @Override
  public synchronized void abortTransaction() {
    if (finishTimedOutCommit()) {
      return;
    }
    delegate.abortTransaction();
  }

  @Override
  public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
    return send(record, null);
  }

  @Override
  public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
    synchronized (this) {
      if (commitTimedOut) {
        try {
          reopenAfterTimedOutCommit();
        } catch (TimeoutException e) {
          throw e;
        } catch (KafkaException e) {
          // Streams recognises a fenced producer on send by the cause of a KafkaException.
          throw new KafkaException("retrying a timed-out commit before a send failed", e);
        }
      }
    }
    return delegate.send(record, callback);
  }

  @Override
  public void initTransactions() {
    delegate.initTransactions();
  }

  @Override
  public void registerMetricForSubscription(KafkaMetric metric) {
    delegate.registerMetricForSubscription(metric);
  }

  @Override
  public void unregisterMetricFromSubscription(KafkaMetric metric) {
    delegate.unregisterMetricFromSubscription(metric);
  }

  @Override
  public void flush() {
    delegate.flush();
  }

  @Override
  public List<PartitionInfo> partitionsFor(String topic) {
    return delegate.partitionsFor(topic);
  }

  @Override
  public Map<MetricName, ? extends Metric> metrics() {
    return delegate.metrics();
  }

  @Override
  public Uuid clientInstanceId(Duration timeout) {
    return delegate.clientInstanceId(timeout);
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public void close(Duration timeout) {
    delegate.close(timeout);
  }
}
