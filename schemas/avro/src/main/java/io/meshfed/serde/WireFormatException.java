package io.meshfed.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record could not be turned into bytes or back. Subclasses say why; every message names the
 * topic. Kafka's consumer wraps it in a {@code RecordDeserializationException} carrying the
 * partition and offset, and the Streams dead-letter handler records all of them in headers.
 */
public class WireFormatException extends SerializationException {

  private final String topic;

  public WireFormatException(String topic, String message, Throwable cause) {
    super("topic '" + topic + "': " + message, cause);
    this.topic = topic;
  }

  public String topic() {
    return topic;
  }

  /** The bytes are not a Confluent-framed Avro record, or do not decode with their schema. */
  public static final class CorruptPayload extends WireFormatException {
    public CorruptPayload(String topic, String message, Throwable cause) {
      super(topic, message, cause);
    }
  }

  /** The frame names a schema id the registry does not know. */
  public static final class UnknownSchemaId extends WireFormatException {
    private final int schemaId;

    public UnknownSchemaId(String topic, int schemaId, Throwable cause) {
      super(topic, "schema id " + schemaId + " is unknown to the schema registry", cause);
      this.schemaId = schemaId;
    }

    public int schemaId() {
      return schemaId;
    }
  }

  /** The record decodes, but to a type this topic does not carry. */
  public static final class UnexpectedType extends WireFormatException {
    public UnexpectedType(String topic, String message) {
      super(topic, message, null);
    }
  }
}
