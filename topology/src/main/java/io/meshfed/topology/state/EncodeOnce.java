package io.meshfed.topology.state;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A serde that encodes a value once when the same instance is serialized again right after, on
 * the same thread: the decide stage writes each decision to its decision-log store and then
 * sends it to {@code meshfed.failover-events}, two Avro encodings of one object into the same
 * bytes (the subject is the record's name, not the topic's). With one serde instance for both,
 * the second is a lookup.
 *
 * <p>{@link #prime} does the same for a value that was decoded rather than encoded: the ingest
 * stage decodes an agent's snapshot to check it and forwards the same object, unchanged, to
 * the select stage, which then travels as the agent's own bytes instead of being encoded again
 * (the select stage decodes them by their schema id, as it would any writer's).
 *
 * <p>Sound only for values not changed after they are first serialized (or primed) — true of
 * the decisions the ledger builds, sets and records, and of the snapshots ingest forwards. The
 * memory is one value and its bytes per stream thread.
 */
public final class EncodeOnce<T> implements Serde<T> {

  private final Serde<T> inner;
  private final ThreadLocal<Object[]> last = ThreadLocal.withInitial(() -> new Object[2]);

  private EncodeOnce(Serde<T> inner) {
    this.inner = inner;
  }

  public static <T> EncodeOnce<T> of(Serde<T> inner) {
    return new EncodeOnce<>(inner);
  }

  /** The bytes {@code value} was just decoded from: serializing it next returns them. */
  public void prime(T value, byte[] bytes) {
    Object[] remembered = last.get();
    remembered[0] = value;
    remembered[1] = bytes;
  }

  @Override
  public Serializer<T> serializer() {
    Serializer<T> serializer = inner.serializer();
    return (topic, value) -> {
      if (value == null) {
        return serializer.serialize(topic, null);
      }
      Object[] remembered = last.get();
      if (remembered[0] == value) {
        return (byte[]) remembered[1];
      }
      byte[] bytes = serializer.serialize(topic, value);
      remembered[0] = value;
      remembered[1] = bytes;
      return bytes;
    };
  }

  @Override
  public Deserializer<T> deserializer() {
    return inner.deserializer();
  }
}
