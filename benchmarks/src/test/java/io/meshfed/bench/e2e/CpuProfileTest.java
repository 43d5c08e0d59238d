package io.meshfed.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which stage and which kind of work a stream thread's sample is counted to. */
class CpuProfileTest {

  private static final String SEND = "org.apache.kafka.clients.producer.KafkaProducer.send";
  private static final String SERIALIZE =
      "org.apache.kafka.common.serialization.Serializer.serialize";
  private static final String EVALUATE = "io.meshfed.topology.decide.DecideProcessor.evaluate";
  private static final String DECIDE_INPUT =
      "io.meshfed.topology.decide.DecideProcessor.process";

  @Test
  void anEvaluationInsideADecideInputCountsAsTheEvaluation() {
    // Leaf first, as JFR gives them: a drain evaluates inside process().
    List<String> stack = List.of("java.nio.ByteBuffer.position", SERIALIZE, SEND,
        "io.meshfed.topology.decide.DecisionLedger.apply", EVALUATE, DECIDE_INPUT,
        "org.apache.kafka.streams.processor.internals.StreamThread.runLoop");
    assertThat(CpuProfile.firstMatch(CpuProfile.STAGES, stack, "other")).isEqualTo("evaluation");
    // A serializer called by a send is the send's.
    assertThat(CpuProfile.firstMatch(CpuProfile.WORK, stack, "rest"))
        .isEqualTo("producer send (outputs and changelog records)");
  }

  @Test
  void aStoreWriteSerializesAndAStackWithNoStageIsOther() {
    List<String> stack = List.of("com.fasterxml.jackson.databind.ObjectWriter.writeValueAsBytes",
        SERIALIZE, "org.apache.kafka.streams.state.internals.MeteredKeyValueStore.put",
        DECIDE_INPUT);
    assertThat(CpuProfile.firstMatch(CpuProfile.STAGES, stack, "other"))
        .isEqualTo("decide input");
    assertThat(CpuProfile.firstMatch(CpuProfile.WORK, stack, "rest"))
        .isEqualTo("serialize (Avro out, JSON state)");
    assertThat(CpuProfile.firstMatch(CpuProfile.STAGES,
        List.of("java.util.HashMap.get", "org.apache.kafka.streams.processor.internals"
            + ".StreamThread.runOnceWithoutProcessingThreads"), "other")).isEqualTo("other");
  }

  @Test
  void theStreamThreadsProducerIoThreadIsNotTheStreamThread() {
    assertThat(CpuProfile.isStreamThread("bench-tput-2af3-StreamThread-1")).isTrue();
    assertThat(CpuProfile.isStreamThread(
        "kafka-producer-network-thread | bench-tput-2af3-StreamThread-1-producer")).isFalse();
    assertThat(CpuProfile.threadKind(
        "kafka-producer-network-thread | bench-tput-2af3-StreamThread-1-producer"))
        .isEqualTo("topology producer I/O threads");
    assertThat(CpuProfile.threadKind("bench-tput-2af3-StreamThread-1"))
        .isEqualTo("topology stream threads");
  }
}
