package io.meshfed.topology.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.internals.DefaultErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Under exactly-once one refused write fails every write of its transaction still in the
 * producer's buffers, with the same exception instance, each reported with its own source
 * record: only the first — the record whose output was refused — may be blamed, or the breaker
 * dead-letters good records on the replay.
 */
class ProductionRefusalTest {

  private static final String EVENTS = "meshfed.cluster.mgmt-cluster.events";
  private static final String OTHER = "meshfed.cluster.remote-cluster.events";
  private static final String APP = "meshfed";

  @AfterEach
  void forget() {
    PoisonRecords.clear();
  }

  @Test
  void onlyTheRecordWhoseWriteWasRefusedIsBlamedNotTheWritesItTookDownWithIt() {
    PoisonRecords.clear();
    DeadLetterHandlers.Production handler = handler("exactly_once_v2");
    RecordTooLargeException refusal = new RecordTooLargeException("The message is 292140 bytes");

    handler.handleError(context(EVENTS, 2, 0), write(292_140), refusal);
    // The same refusal, failing the writes queued before it in the transaction.
    handler.handleError(context(OTHER, 0, 0), write(200), refusal);
    handler.handleError(context(EVENTS, 1, 7), write(200), refusal);

    assertThat(PoisonRecords.skipIfPoison(APP, EVENTS, 2, 0)).as("the culprit").isNotNull();
    assertThat(PoisonRecords.skipIfPoison(APP, OTHER, 0, 0)).as("a write it took down").isNull();
    assertThat(PoisonRecords.skipIfPoison(APP, EVENTS, 1, 7)).as("a write it took down").isNull();
  }

  @Test
  void aSecondRefusalOfItsOwnIsBlamedOnItsOwnRecord() {
    PoisonRecords.clear();
    DeadLetterHandlers.Production handler = handler("exactly_once_v2");
    handler.handleError(context(EVENTS, 2, 0), write(292_140), new RecordTooLargeException("a"));
    handler.handleError(context(OTHER, 0, 3), write(300_000), new RecordTooLargeException("b"));

    assertThat(PoisonRecords.skipIfPoison(APP, EVENTS, 2, 0)).isNotNull();
    assertThat(PoisonRecords.skipIfPoison(APP, OTHER, 0, 3)).isNotNull();
  }

  @Test
  void aRefusalInOneTopologyDoesNotSkipAnotherTopologysRecordAtTheSameOffset() {
    // Two topologies in one JVM read the same topic names; offsets coincide.
    handler("exactly_once_v2").handleError(context(EVENTS, 0, 3), write(292_140),
        new RecordTooLargeException("a"));

    assertThat(PoisonRecords.skipIfPoison("meshfed-other", EVENTS, 0, 3)).isNull();
    assertThat(PoisonRecords.skipIfPoison(APP, EVENTS, 0, 3)).isNotNull();
  }

  private static DeadLetterHandlers.Production handler(String guarantee) {
    DeadLetterHandlers.Production handler = new DeadLetterHandlers.Production();
    handler.configure(Map.of(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee,
        StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "meshfed.dead-letter",
        StreamsConfig.APPLICATION_ID_CONFIG, APP));
    return handler;
  }

  private static ErrorHandlerContext context(String topic, int partition, long offset) {
    return new DefaultErrorHandlerContext(null, topic, partition, offset, new RecordHeaders(),
        "ingest", new TaskId(0, partition), 0L, new byte[0], new byte[0]);
  }

  private static ProducerRecord<byte[], byte[]> write(int size) {
    return new ProducerRecord<>("app-by-service-repartition", new byte[8], new byte[size]);
  }
}
