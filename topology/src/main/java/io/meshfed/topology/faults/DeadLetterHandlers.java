package io.meshfed.topology.faults;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Kafka Streams' three error hooks, all answering the same way: send the record to the
 * dead-letter topic ({@link DeadLetterRecords}, bounded), log one line at most a second
 * ({@link FaultLog}), and continue. None of them can throw: a handler that throws stops the
 * thread, which is what they exist to prevent.
 */
public final class DeadLetterHandlers {

  private DeadLetterHandlers() {}

  /** Where dead letters go, and how large a value they may carry. */
  private record Target(String topic, int valueLimit) {
    static Target from(Map<String, ?> configs) {
      Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
      Object max = configs.get(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
      if (max == null) {
        max = configs.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
      }
      int maxRequest = max == null ? 1024 * 1024 : Integer.parseInt(max.toString());
      return new Target(topic == null ? null : topic.toString(),
          DeadLetterRecords.valueLimitFor(maxRequest));
    }
  }

  private static List<ProducerRecord<byte[], byte[]>> deadLetter(Target target,
      String kind, ErrorHandlerContext context, byte[] key, byte[] value, Throwable error) {
    try {
      FaultLog.deadLettered(kind, context.topic(), context.partition(), context.offset(), error);
      if (target == null || target.topic() == null) {
        return List.of();
      }
      return List.of(DeadLetterRecords.build(target.topic(), context, key, value, error,
          target.valueLimit()));
    } catch (Throwable unexpected) {
      return List.of();
    }
  }

  /** A record whose key or value would not deserialize at a source node. */
  public static final class Deserialization implements DeserializationExceptionHandler {
    private Target deadLetters;

    @Override
    public void configure(Map<String, ?> configs) {
      deadLetters = Target.from(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context,
        ConsumerRecord<byte[], byte[]> record, Exception exception) {
      return Response.resume(deadLetter(deadLetters, "deserialization", context,
          record.key(), record.value(), exception));
    }
  }

  /** A record whose processing threw. */
  public static final class Processing implements ProcessingExceptionHandler {
    private Target deadLetters;

    @Override
    public void configure(Map<String, ?> configs) {
      deadLetters = Target.from(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record,
        Exception exception) {
      return Response.resume(deadLetter(deadLetters, "processing", context,
          context.sourceRawKey(), context.sourceRawValue(), exception));
    }
  }

  /**
   * An output the producer refused (too large, or its value would not serialize). The source
   * record is reported to {@link PoisonRecords}. At-least-once, the refused output is
   * dead-lettered and processing goes on. Exactly-once, the refusal has already doomed the
   * transaction — the producer accepts no further send in it, a dead letter included — so
   * nothing is sent: the task is rewound, and on the replay the breaker dead-letters the source
   * record instead of processing it.
   */
  public static final class Production implements ProductionExceptionHandler {
    private Target deadLetters;
    private boolean exactlyOnce;
    private String applicationId;

    @Override
    public void configure(Map<String, ?> configs) {
      deadLetters = Target.from(configs);
      applicationId = String.valueOf(configs.get(StreamsConfig.APPLICATION_ID_CONFIG));
      Object guarantee = configs.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
      exactlyOnce = guarantee != null && guarantee.toString().startsWith("exactly_once");
    }

    @Override
    public Response handleError(ErrorHandlerContext context,
        ProducerRecord<byte[], byte[]> record, Exception exception) {
      if (exactlyOnce && !PoisonRecords.firstToFailWith(exception)) {
        // Another write's refusal, failing this one with it: the transaction is aborted and this
        // record is replayed; it is not the poison (see PoisonRecords#firstToFailWith).
        return Response.resume(List.of());
      }
      try {
        String topic = context.topic();
        int partition = context.partition();
        long offset = context.offset();
        var processing = PoisonRecords.processing();
        if (topic == null && processing != null) {
          // A changelog write carries no source record; refused synchronously inside a put, it
          // is the one being processed (the select stage stores a placed event's snapshot
          // before anything else is sent for it).
          topic = processing.topic();
          partition = processing.partition();
          offset = processing.offset();
        }
        PoisonRecords.failed(applicationId, topic, partition, offset,
            "writing to " + record.topic() + " failed: " + exception);
      } catch (Throwable ignored) {
        // the dead letter below still records the failure
      }
      if (exactlyOnce || record.topic().equals(deadLetters.topic())) {
        FaultLog.deadLettered("production", context.topic(), context.partition(),
            context.offset(), exception);
        return Response.resume(List.of());
      }
      return Response.resume(deadLetter(deadLetters, "production", context,
          record.key(), record.value(), exception));
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Response handleSerializationError(ErrorHandlerContext context,
        ProducerRecord record, Exception exception, SerializationExceptionOrigin origin) {
      return Response.resume(deadLetter(deadLetters, "serialization", context,
          context.sourceRawKey(), context.sourceRawValue(), exception));
    }
  }
}
