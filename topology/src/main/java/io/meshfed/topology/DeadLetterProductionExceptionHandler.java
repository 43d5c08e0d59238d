package io.meshfed.topology;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.errors.internals.ExceptionHandlerUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A record the topology could not produce (too large, or its value would not serialize) goes to
 * the dead-letter topic with Streams' standard error headers, and processing continues —
 * Streams' default handler would stop the thread.
 */
public final class DeadLetterProductionExceptionHandler implements ProductionExceptionHandler {

  private static final Logger LOG =
      LoggerFactory.getLogger(DeadLetterProductionExceptionHandler.class);
  private String deadLetterTopic;

  @Override
  public void configure(Map<String, ?> configs) {
    Object topic = configs.get(org.apache.kafka.streams.StreamsConfig
        .ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
    deadLetterTopic = topic == null ? null : topic.toString();
  }

  @Override
  public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
      Exception exception) {
    LOG.warn("could not produce to {}: {}; sent to the dead-letter topic", record.topic(),
        exception.toString());
    return Response.resume(deadLetters(context, record.key(), record.value(), exception));
  }

  @Override
  public Response handleSerializationError(ErrorHandlerContext context,
      ProducerRecord record, Exception exception, SerializationExceptionOrigin origin) {
    LOG.warn("could not serialize a record for {}: {}; sent to the dead-letter topic",
        record.topic(), exception.toString());
    return Response.resume(deadLetters(context, context.sourceRawKey(), context.sourceRawValue(),
        exception));
  }

  private List<ProducerRecord<byte[], byte[]>> deadLetters(ErrorHandlerContext context,
      byte[] key, byte[] value, Exception exception) {
    return ExceptionHandlerUtils.maybeBuildDeadLetterQueueRecords(deadLetterTopic, key, value,
        context, exception);
  }
}
