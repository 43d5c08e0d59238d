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
 * <p>Decoded values count too ({@link #prime}, and this serde's deserializer primes what it
 * decodes): the ingest stage decodes an agent's snapshot to check it and forwards the same
 * object, unchanged, to the select stage, which then travels as the agent's own bytes instead
 * of being encoded again; the select stage stores the snapshot it decoded as those same bytes.
 * Readers decode them by their schema id, as they would any writer's. Two values are
 * remembered, the newest first, because the select stage reads the stored copy to compare
 * between decoding a snapshot and storing it.
 *
 * <p>Sound only for values not changed after they are first serialized or decoded — true of
 * the decisions the ledger builds, sets and records, and of the snapshots ingest and select
 * pass on. The memory is two values and their bytes per stream thread.
 */
public final class EncodeOnce<T> implements Serde<T> {

  private final Serde<T> inner;
  /** Per thread: {newest value, its bytes, the one before, its bytes}. */
  private final ThreadLocal<Object[]> last = ThreadLocal.withInitial(() -> new Object[4]);

  private EncodeOnce(Serde<T> inner) {
    this.inner = inner;
  }

  public static <T> EncodeOnce<T> of(Serde<T> inner) {
    return new EncodeOnce<>(inner);
  }

  /** The bytes {@code value} was just decoded from: serializing it next returns them. */
  public void prime(T value, byte[] bytes) {
    remember(last.get(), value, bytes);
  }

  private static void remember(Object[] remembered, Object value, byte[] bytes) {
    if (remembered[0] != value) {
      remembered[2] = remembered[0];
      remembered[3] = remembered[1];
    }
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
      if (remembered[2] == value) {
        return (byte[]) remembered[3];
      }
      byte[] bytes = serializer.serialize(topic, value);
      remember(remembered, value, bytes);
      return bytes;
    };
  }

  @Override
  public Deserializer<T> deserializer() {
    Deserializer<T> deserializer = inner.deserializer();
    return (topic, bytes) -> {
      T value = deserializer.deserialize(topic, bytes);
      if (value != null) {
        remember(last.get(), value, bytes);
      }
      return value;
    };
  }
}
