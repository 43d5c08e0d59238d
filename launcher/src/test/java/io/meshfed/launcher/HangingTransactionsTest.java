package io.meshfed.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Which open transactions a resuming stack aborts. The states are the ones read from a stack
 * stuck after {@code kill -9} (issue #21): producer 1 had a transaction open on
 * {@code __consumer_offsets-0} from epoch 150 while its coordinator had it {@code Empty} at 154.
 */
class HangingTransactionsTest {

  private static final TopicPartition OFFSETS = new TopicPartition("__consumer_offsets", 0);
  private static final TopicPartition EVENTS =
      new TopicPartition("meshfed.cluster.mgmt-cluster.events", 2);

  private static ProducerState open(long producerId, int epoch) {
    return new ProducerState(producerId, epoch, 3, 0L, OptionalInt.of(4), OptionalLong.of(531));
  }

  private static TransactionDescription coordinator(TransactionState state,
      Set<TopicPartition> partitions) {
    return new TransactionDescription(0, state, 1, 154, 10_000, OptionalLong.empty(), partitions);
  }

  @Test
  void aTransactionItsCoordinatorHasEndedIsAbortedWithTheEpochItWasOpenedWith() {
    assertThat(HangingTransactions.find(Map.of(OFFSETS, List.of(open(1, 150))),
        Map.of(1L, coordinator(TransactionState.EMPTY, Set.of()))))
        .containsExactly(new AbortTransactionSpec(OFFSETS, 1, (short) 150, 4));
  }

  @Test
  void aProducerNoCoordinatorKnowsIsAborted() {
    assertThat(HangingTransactions.find(Map.of(EVENTS, List.of(open(7, 0))), Map.of()))
        .containsExactly(new AbortTransactionSpec(EVENTS, 7, (short) 0, 4));
  }

  @Test
  void aTransactionTheCoordinatorHoldsOpenOnThatPartitionIsLeftToIt() {
    for (TransactionState state : List.of(TransactionState.ONGOING,
        TransactionState.PREPARE_ABORT, TransactionState.PREPARE_COMMIT)) {
      assertThat(HangingTransactions.find(Map.of(OFFSETS, List.of(open(1, 154))),
          Map.of(1L, coordinator(state, Set.of(OFFSETS, EVENTS))))).as(state.toString())
          .isEmpty();
    }
  }

  @Test
  void anOngoingTransactionThatDoesNotCoverThePartitionIsAbortedThere() {
    assertThat(HangingTransactions.find(Map.of(OFFSETS, List.of(open(1, 150))),
        Map.of(1L, coordinator(TransactionState.ONGOING, Set.of(EVENTS)))))
        .containsExactly(new AbortTransactionSpec(OFFSETS, 1, (short) 150, 4));
  }

  @Test
  void aProducerWithNoTransactionStartedIsNotTouched() {
    ProducerState idempotent = new ProducerState(0, 0, 44, 0L, OptionalInt.empty(),
        OptionalLong.empty());
    assertThat(HangingTransactions.find(Map.of(EVENTS, List.of(idempotent)), Map.of()))
        .isEmpty();
  }
}
