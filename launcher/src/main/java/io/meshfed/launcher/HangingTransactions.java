package io.meshfed.launcher;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;

/**
 * Transactions left open on a partition that their coordinator no longer counts as open — a
 * "hanging transaction" (KIP-664), which Kafka's {@code kafka-transactions.sh find-hanging} and
 * {@code abort} look for and end by hand. A {@code kill -9} of {@code meshfed up} (broker and
 * topology in one JVM) left one on {@code __consumer_offsets}: the topology's producer had
 * written its offsets in a transaction, the restarted coordinator had the transaction as
 * {@code Empty}, and no marker ever closed it, so every read_committed offset fetch of those
 * partitions answered "unstable" and the restarted topology waited for its committed offsets,
 * 60 s a try, for as long as one watched (issue #21: "16 min of TimeoutException ... last
 * committed offset ... could not be determined"). Aborting it by hand ended the wait at once.
 *
 * <p>A stack that resumes runs this before its topology starts, when no producer of the stack is
 * alive: an open transaction whose coordinator still has it ongoing (or preparing) with that
 * partition is left to the coordinator, which aborts it at its timeout; every other one is
 * aborted here.
 */
final class HangingTransactions {

  private static final Set<TransactionState> OPEN = Set.of(TransactionState.ONGOING,
      TransactionState.PREPARE_ABORT, TransactionState.PREPARE_COMMIT);

  private HangingTransactions() {}

  /**
   * The open transactions of {@code open} (each partition's producers with a transaction
   * started on it) that their coordinator does not hold open on that partition:
   * {@code coordinated} is each transactional producer's description by producer id, and a
   * producer missing from it has no transactional id the coordinator knows.
   */
  static List<AbortTransactionSpec> find(Map<TopicPartition, List<ProducerState>> open,
      Map<Long, TransactionDescription> coordinated) {
    List<AbortTransactionSpec> hanging = new ArrayList<>();
    open.forEach((partition, producers) -> {
      for (ProducerState producer : producers) {
        if (producer.currentTransactionStartOffset().isEmpty()) {
          continue;
        }
        TransactionDescription txn = coordinated.get(producer.producerId());
        boolean heldOpen = txn != null && OPEN.contains(txn.state())
            && txn.topicPartitions().contains(partition);
        if (!heldOpen) {
          hanging.add(new AbortTransactionSpec(partition, producer.producerId(),
              (short) producer.producerEpoch(), producer.coordinatorEpoch().orElse(0)));
        }
      }
    });
    return hanging;
  }

  /**
   * Finds and aborts the hanging transactions on every partition of the broker {@code admin}
   * talks to (a super user's client: it describes producers and aborts). Returns what it
   * aborted. Costs three requests when there are none.
   */
  static List<AbortTransactionSpec> abortAll(Admin admin, long timeoutMs)
      throws ExecutionException, InterruptedException, TimeoutException {
    Collection<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true))
        .names().get(timeoutMs, TimeUnit.MILLISECONDS);
    List<TopicPartition> partitions = new ArrayList<>();
    admin.describeTopics(topics).allTopicNames().get(timeoutMs, TimeUnit.MILLISECONDS)
        .forEach((name, topic) -> topic.partitions().forEach(p ->
            partitions.add(new TopicPartition(name, p.partition()))));
    Map<TopicPartition, List<ProducerState>> open = new HashMap<>();
    admin.describeProducers(partitions).all().get(timeoutMs, TimeUnit.MILLISECONDS)
        .forEach((partition, state) -> {
          List<ProducerState> started = state.activeProducers().stream()
              .filter(p -> p.currentTransactionStartOffset().isPresent()).toList();
          if (!started.isEmpty()) {
            open.put(partition, started);
          }
        });
    if (open.isEmpty()) {
      return List.of();
    }
    Map<Long, TransactionDescription> coordinated = new HashMap<>();
    Collection<TransactionListing> listed = admin.listTransactions().all()
        .get(timeoutMs, TimeUnit.MILLISECONDS);
    if (!listed.isEmpty()) {
      admin.describeTransactions(listed.stream().map(TransactionListing::transactionalId)
              .toList()).all().get(timeoutMs, TimeUnit.MILLISECONDS)
          .values().forEach(d -> coordinated.put(d.producerId(), d));
    }
    List<AbortTransactionSpec> hanging = find(open, coordinated);
    for (AbortTransactionSpec spec : hanging) {
      admin.abortTransaction(spec).all().get(timeoutMs, TimeUnit.MILLISECONDS);
    }
    return hanging;
  }
}
