package io.meshfed.topology.state;

import io.meshfed.avro.FailoverDecision;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * Consecutive decisions of one destination, made by one evaluation, stored as one record of the
 * queryable decision history ({@link Stores#DECISION_LOG}). A zone outage's evaluation of a
 * destination visible to 100 clusters makes 100 decisions; stored one record each they were a
 * third of the records the outage wrote, as many as the configs themselves.
 *
 * @param decisions in epoch order, at most {@link #MAX} of them
 */
public record DecisionChunk(List<FailoverDecision> decisions) {

  /**
   * Decisions per chunk: a decision is a few hundred bytes, so a chunk stays far below the
   * 1 MiB record limit however many clients an evaluation decides for.
   */
  public static final int MAX = 32;

  private static final byte FORMAT = 1;

  public DecisionChunk {
    if (decisions.isEmpty() || decisions.size() > MAX) {
      throw new IllegalArgumentException("a chunk holds 1-" + MAX + " decisions, not "
          + decisions.size());
    }
    decisions = List.copyOf(decisions);
  }

  /** The newest epoch in the chunk. */
  public long lastEpoch() {
    return decisions.get(decisions.size() - 1).getEpoch();
  }

  /**
   * The chunk as its decisions' own encodings, each framed by its length: {@code element} is
   * the failover-events serde, so a decision just sent is not encoded again
   * ({@link EncodeOnce}), and a reader needs nothing but that serde.
   */
  public static Serde<DecisionChunk> serde(Serde<FailoverDecision> element) {
    Serializer<FailoverDecision> encode = element.serializer();
    Deserializer<FailoverDecision> decode = element.deserializer();
    Serializer<DecisionChunk> serializer = (topic, chunk) -> {
      if (chunk == null) {
        return null;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(256 * chunk.decisions().size());
      out.write(FORMAT);
      writeVarint(out, chunk.decisions().size());
      for (FailoverDecision decision : chunk.decisions()) {
        byte[] bytes = encode.serialize(topic, decision);
        writeVarint(out, bytes.length);
        out.writeBytes(bytes);
      }
      return out.toByteArray();
    };
    Deserializer<DecisionChunk> deserializer = (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      try {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        if (in.get() != FORMAT) {
          throw new SerializationException("not a decision chunk (format " + bytes[0] + ")");
        }
        int count = ByteUtils.readVarint(in);
        if (count < 1 || count > MAX) {
          throw new SerializationException("a decision chunk of " + count + " decisions");
        }
        List<FailoverDecision> decisions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          int length = ByteUtils.readVarint(in);
          if (length < 0 || length > in.remaining()) {
            throw new SerializationException("decision " + i + " of a chunk claims " + length
                + " bytes, " + in.remaining() + " left");
          }
          byte[] one = new byte[length];
          in.get(one);
          decisions.add(decode.deserialize(topic, one));
        }
        return new DecisionChunk(decisions);
      } catch (RuntimeException e) {
        throw e instanceof SerializationException s ? s
            : new SerializationException("unreadable decision chunk: " + e, e);
      }
    };
    return Serdes.serdeFrom(serializer, deserializer);
  }

  private static void writeVarint(ByteArrayOutputStream out, int value) {
    ByteBuffer buffer = ByteBuffer.allocate(5);
    ByteUtils.writeVarint(value, buffer);
    out.write(buffer.array(), 0, buffer.position());
  }
}
