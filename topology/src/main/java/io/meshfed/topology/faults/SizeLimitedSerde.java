package io.meshfed.topology.faults;

import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A serde whose serializer refuses values larger than the producer can send.
 *
 * <p>The producer's own refusal comes too late: under exactly-once a record the producer refuses
 * aborts the whole transaction and the task replays it (see {@link PoisonRecords}). Refused at
 * serialization, nothing has been sent: for an output, Kafka Streams hands the error to the
 * production handler's serialization hook, which dead-letters the source record; for a store
 * write, the put throws before anything is written and the processing handler dead-letters the
 * record. The limit leaves room under the producer's 1 MiB {@code max.request.size} for the key,
 * headers and batch overhead.
 */
public final class SizeLimitedSerde<T> implements Serde<T> {

  /** 1 MiB (Kafka's default max.request.size and max.message.bytes) less 64 KiB of room. */
  public static final int DEFAULT_LIMIT = 1024 * 1024 - 64 * 1024;

  private final Serde<T> inner;
  private final int limit;

  private SizeLimitedSerde(Serde<T> inner, int limit) {
    this.inner = inner;
    this.limit = limit;
  }

  public static <T> Serde<T> of(Serde<T> inner) {
    return new SizeLimitedSerde<>(inner, DEFAULT_LIMIT);
  }

  public static <T> Serde<T> of(Serde<T> inner, int limit) {
    return new SizeLimitedSerde<>(inner, limit);
  }

  @Override
  public Serializer<T> serializer() {
    Serializer<T> serializer = inner.serializer();
    return (topic, value) -> {
      byte[] bytes = serializer.serialize(topic, value);
      if (bytes != null && bytes.length > limit) {
        throw new RecordTooLargeException("a " + (value == null ? "null"
            : value.getClass().getSimpleName()) + " for " + topic + " is " + bytes.length
            + " bytes serialized, over the " + limit + "-byte limit; not written");
      }
      return bytes;
    };
  }

  @Override
  public Deserializer<T> deserializer() {
    return inner.deserializer();
  }
}
