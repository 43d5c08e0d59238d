package io.meshfed.topology.commit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
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
    processor = CommitOnDrain.counting(inner).get();
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

  private void process(String key) {
    processor.process(new Record<>(key, "v", 0L));
  }

  private static void poll(int count) {
    TopicPartition tp = new TopicPartition("meshfed.cluster.a.events", 0);
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      records.add(new ConsumerRecord<>(tp.topic(), 0, i, new byte[0], new byte[0]));
    }
    try (var counter = new CommitOnDrain.PollCounter()) {
      counter.configure(Map.of());
      counter.onConsume(new ConsumerRecords<>(Map.of(tp, records), Map.of()));
    }
  }
}
