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
 * Readers decode them by their schema id, as they would any writer's. The last
 * {@value #REMEMBERED} values are remembered (by identity, newest first): the select stage reads
 * the stored copy to compare between decoding a snapshot and storing it, and the decide stage
 * stores a fan-out's decisions in chunks after sending them.
 *
 * <p>Sound only for values not changed after they are first serialized or decoded — true of
 * the decisions the ledger builds, sets and records, and of the snapshots ingest and select
 * pass on. The memory is {@value #REMEMBERED} references to values and their bytes per
 * stream thread: they keep up to that many recent records reachable (~100 KB).
 */
public final class EncodeOnce<T> implements Serde<T> {

  /**
   * Values remembered per thread: a fan-out sends each of a destination's decisions (up to one
   * per client cluster) and then stores them in chunks ({@code DecisionChunk}), so the chunk's
   * serializer finds every decision of the evaluation that came before it.
   */
  static final int REMEMBERED = 256;

  private final Serde<T> inner;
  /** Per thread: the last {@link #REMEMBERED} values and their bytes, a ring. */
  private final ThreadLocal<Memo> last = ThreadLocal.withInitial(Memo::new);

  private static final class Memo {
    final Object[] values = new Object[REMEMBERED];
    final byte[][] bytes = new byte[REMEMBERED][];
    int next;

    /** The bytes of {@code value} (by identity), newest first; null when not remembered. */
    byte[] find(Object value) {
      for (int i = 1; i <= REMEMBERED; i++) {
        int at = Math.floorMod(next - i, REMEMBERED);
        if (values[at] == value) {
          return bytes[at];
        }
        if (values[at] == null) {
          return null;
        }
      }
      return null;
    }

    void remember(Object value, byte[] encoded) {
      int newest = Math.floorMod(next - 1, REMEMBERED);
      if (values[newest] == value) {
        bytes[newest] = encoded;
        return;
      }
      values[next] = value;
      bytes[next] = encoded;
      next = (next + 1) % REMEMBERED;
    }
  }

  private EncodeOnce(Serde<T> inner) {
    this.inner = inner;
  }

  public static <T> EncodeOnce<T> of(Serde<T> inner) {
    return new EncodeOnce<>(inner);
  }

  /** The bytes {@code value} was just decoded from: serializing it next returns them. */
  public void prime(T value, byte[] bytes) {
    last.get().remember(value, bytes);
  }

  @Override
  public Serializer<T> serializer() {
    Serializer<T> serializer = inner.serializer();
    return (topic, value) -> {
      if (value == null) {
        return serializer.serialize(topic, null);
      }
      Memo memo = last.get();
      byte[] known = memo.find(value);
      if (known != null) {
        return known;
      }
      byte[] bytes = serializer.serialize(topic, value);
      memo.remember(value, bytes);
      return bytes;
    };
  }

  @Override
  public Deserializer<T> deserializer() {
    Deserializer<T> deserializer = inner.deserializer();
    return (topic, bytes) -> {
      T value = deserializer.deserialize(topic, bytes);
      if (value != null) {
        last.get().remember(value, bytes);
      }
      return value;
    };
  }
}
