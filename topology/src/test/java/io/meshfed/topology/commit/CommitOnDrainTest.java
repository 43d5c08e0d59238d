package io.meshfed.topology.commit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** When a stage's first processor asks Streams for a commit. */
class CommitOnDrainTest {

  private final List<String> processed = new ArrayList<>();
  private final MockProcessorContext<String, String> context = new MockProcessorContext<>();
  private Processor<String, String, String, String> processor;

  @BeforeEach
  void wrap() {
    ProcessorSupplier<String, String, String, String> inner = () -> record -> {
      processed.add(record.key());
      if (record.key().startsWith("bad")) {
        throw new IllegalStateException("cannot process " + record.key());
      }
    };
    processor = CommitOnDrain.counting(inner, true).get();
    processor.init(context);
    poll(0); // a previous test's leftover count on this thread must not leak in
  }

  @Test
  void commitsAfterTheLastRecordOfAPollAndNotBefore() {
    poll(3);
    process("a");
    process("b");
    assertThat(context.committed()).isFalse();
    process("c");
    assertThat(context.committed()).isTrue();
    assertThat(processed).containsExactly("a", "b", "c");
  }

  @Test
  void aRecordThatFailsStillCountsSoTheCommitIsRequested() {
    poll(2);
    process("a");
    assertThatThrownBy(() -> process("bad")).isInstanceOf(IllegalStateException.class);
    assertThat(context.committed()).isTrue();
  }

  @Test
  void withoutACountedPollItNeverRequestsACommit() {
    // TopologyTestDriver, at-least-once, or records beyond what the poll returned: Streams'
    // commit interval decides.
    process("a");
    process("b");
    assertThat(context.committed()).isFalse();
  }

  @Test
  void eachPollStartsItsOwnCount() {
    poll(1);
    process("a");
    assertThat(context.committed()).isTrue();
    context.resetCommit();
    poll(2);
    process("b");
    assertThat(context.committed()).isFalse();
    process("c");
    assertThat(context.committed()).isTrue();
  }

  @Test
  void atLeastOnceCountsButNeverRequestsACommit() {
    Processor<String, String, String, String> counted =
        CommitOnDrain.<String, String, String, String>counting(
            () -> record -> processed.add(record.key()), false).get();
    counted.init(context);
    poll(1);
    counted.process(new Record<>("a", "v", 0L));
    assertThat(processed).containsExactly("a");
    assertThat(context.committed()).isFalse();
  }

  @Test
  void aTaskIsDrainedWhenItsPartitionsHaveNothingLeftFromThePoll() {
    TopicPartition mine = new TopicPartition("app-by-destination-repartition", 1);
    TopicPartition other = new TopicPartition("app-by-destination-repartition", 2);
    poll(Map.of(mine, 2, other, 1));
    assertThat(CommitOnDrain.drained(List.of(mine))).isFalse();
    process("a", mine);
    assertThat(CommitOnDrain.drained(List.of(mine))).isFalse();
    process("b", other);
    assertThat(CommitOnDrain.drained(List.of(other))).isTrue();
    assertThat(context.committed()).isFalse();
    process("c", mine); // the record being processed already counts as seen
    assertThat(CommitOnDrain.drained(List.of(mine))).isTrue();
    assertThat(context.committed()).isTrue();
  }

  @Test
  void partitionsTheLastPollDidNotReturnAreDrainedAndEachPollReplacesTheCounts() {
    TopicPartition mine = new TopicPartition("app-acks-repartition", 0);
    assertThat(CommitOnDrain.drained(List.of(mine))).isTrue();
    poll(Map.of(mine, 3));
    process("a", mine);
    assertThat(CommitOnDrain.drained(List.of(mine))).isFalse();
    // A record skipped before the stage (a deserialization error) would leave the count above
    // zero; the next poll replaces it, so a task is never held back for longer than a poll.
    poll(Map.of(new TopicPartition("app-control-repartition", 0), 1));
    assertThat(CommitOnDrain.drained(List.of(mine))).isTrue();
  }

  @Test
  void aPollsSizeCountsOnlyWhileItIsRecentAndTheRecordsSeenDoNotChangeIt() {
    TopicPartition mine = new TopicPartition("app-by-destination-repartition", 0);
    TopicPartition events = new TopicPartition("meshfed.cluster.a.events", 1);
    poll(Map.of(mine, 2, events, 250));
    process("a", mine);
    java.time.Duration day = java.time.Duration.ofDays(1);
    assertThat(CommitOnDrain.recentPollSize(List.of(mine), day)).isEqualTo(2);
    assertThat(CommitOnDrain.recentPollSize(List.of(mine, events), day)).isEqualTo(252);
    assertThat(CommitOnDrain.recentPollSize(
        List.of(new TopicPartition("app-acks-repartition", 0)), day)).isZero();
    // Older than the age asked for (here: any age at all) is no poll.
    assertThat(CommitOnDrain.recentPollSize(List.of(mine, events),
        java.time.Duration.ofNanos(-1))).isZero();
    poll(0);
    assertThat(CommitOnDrain.recentPollSize(List.of(mine, events), day)).isZero();
  }

  @Test
  void aLaterStageOfTheSameSubTopologyCountsOnlyWhatItReadsItself() {
    // Ingest and select share a sub-topology: an event ingest forwarded to select was counted
    // by ingest; select counts the records of its own repartition topics.
    TopicPartition events = new TopicPartition("meshfed.cluster.a.events", 0);
    TopicPartition byService = new TopicPartition("app-by-service-repartition", 0);
    Processor<String, String, String, String> ingest = processor;
    Processor<String, String, String, String> select =
        CommitOnDrain.<String, String, String, String>counting(
            () -> record -> processed.add("select:" + record.key()), true,
            topic -> !topic.endsWith(".events")).get();
    select.init(context);
    poll(Map.of(events, 2, byService, 1));
    context.setRecordMetadata(events.topic(), events.partition(), 0L);
    ingest.process(new Record<>("a", "v", 0L));
    select.process(new Record<>("a", "v", 0L)); // forwarded by ingest: not counted again
    assertThat(CommitOnDrain.drained(List.of(events))).isFalse();
    assertThat(context.committed()).isFalse();
    context.setRecordMetadata(byService.topic(), byService.partition(), 0L);
    select.process(new Record<>("b", "v", 0L));
    assertThat(CommitOnDrain.drained(List.of(byService))).isTrue();
    assertThat(context.committed()).isFalse();
    context.setRecordMetadata(events.topic(), events.partition(), 1L);
    ingest.process(new Record<>("c", "v", 0L));
    assertThat(CommitOnDrain.drained(List.of(events, byService))).isTrue();
    assertThat(context.committed()).isTrue();
  }

  private void process(String key) {
    processor.process(new Record<>(key, "v", 0L));
  }

  private void process(String key, TopicPartition from) {
    context.setRecordMetadata(from.topic(), from.partition(), 0L);
    processor.process(new Record<>(key, "v", 0L));
  }

  private static void poll(int count) {
    poll(count == 0 ? Map.of() : Map.of(new TopicPartition("meshfed.cluster.a.events", 0), count));
  }

  private static void poll(Map<TopicPartition, Integer> counts) {
    Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> byPartition = new HashMap<>();
    counts.forEach((tp, count) -> {
      List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        records.add(new ConsumerRecord<>(tp.topic(), tp.partition(), i, new byte[0], new byte[0]));
      }
      byPartition.put(tp, records);
    });
    try (var counter = new CommitOnDrain.PollCounter()) {
      counter.configure(Map.of());
      counter.onConsume(new ConsumerRecords<>(byPartition, Map.of()));
    }
  }
}
