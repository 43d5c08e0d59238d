package io.meshfed.topology.state;

import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.ResourceRef;
import io.meshfed.serde.AvroSerde;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A serde for the config topics that encodes the shared part of a fan-out once. An evaluation
 * sends one {@link FederatedDestination} per client cluster, and in a failover most of them
 * differ only in the client's name, the epoch and the time: the hosts, ports, tiers (every
 * endpoint of every tier — nearly all of the bytes), active tier and outlier settings are the
 * same. The decide stage builds those shared parts once per evaluation and hands the same
 * instances to every client's record ({@code ConfigFanOut}); this serializer recognises them by
 * identity and copies their bytes instead of encoding the endpoints again.
 *
 * <p>Avro's binary encoding of a record is its fields' encodings one after another, so a
 * record is {@code header | destination | clientCluster | shared | epoch | policyGeneration |
 * time | clientMode}. The first record of a shared part is encoded whole by the inner serde (the registry's
 * wire format: {@link AvroSerde#HEADER} bytes, then the body); the shared bytes are cut out of
 * it, found by encoding the small fields around them. Later records copy header and shared bytes and encode only the small
 * fields. {@code FanOutSerdeTest} checks the result equals the inner serde's, byte for byte.
 *
 * <p>Sound because the shared values are not changed once built (immutable lists, and an
 * OutlierDetection nobody sets), and only while the schema's fields are in the order above:
 * {@link #SPLICES} checks that at class load, and with another layout every record is encoded
 * whole. The memory is the last {@value #REMEMBERED} shared parts per thread.
 */
public final class FanOutSerde implements Serde<SpecificRecord> {

  /** Whether {@link FederatedDestination}'s schema has the layout this class splices. */
  static final boolean SPLICES = layoutMatches(FederatedDestination.getClassSchema());
  /** Shared parts remembered per thread: an evaluation's distinct configs, usually one. */
  static final int REMEMBERED = 8;

  private static final SpecificDatumWriter<ResourceRef> REF_WRITER =
      new SpecificDatumWriter<>(ResourceRef.class);

  private final Serde<SpecificRecord> inner;
  private final ThreadLocal<Memo> memo = ThreadLocal.withInitial(Memo::new);

  private FanOutSerde(Serde<SpecificRecord> inner) {
    this.inner = inner;
  }

  /** {@code inner} writes the registry's wire format ({@link AvroSerde}: a header of
   *  {@link AvroSerde#HEADER} bytes, then the Avro body). */
  public static FanOutSerde of(Serde<SpecificRecord> inner) {
    return new FanOutSerde(inner);
  }

  /** The shared bytes of one fan-out and the wire-format header they were encoded under. */
  private record Shared(List<String> hosts, List<?> ports, List<?> tiers, int activeTier,
      Object outlier, byte[] header, byte[] bytes) {
    boolean matches(FederatedDestination d) {
      return d.getTiers() == tiers && d.getHosts() == hosts && d.getPorts() == ports
          && d.getOutlierDetection() == outlier && d.getActiveTier() == activeTier;
    }
  }

  private static final class Memo {
    final Shared[] shared = new Shared[REMEMBERED];
    int next;
    final ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
    BinaryEncoder encoder;

    Shared find(FederatedDestination d) {
      for (int i = 1; i <= REMEMBERED; i++) {
        Shared s = shared[Math.floorMod(next - i, REMEMBERED)];
        if (s == null) {
          return null;
        }
        if (s.matches(d)) {
          return s;
        }
      }
      return null;
    }

    void remember(Shared s) {
      shared[next] = s;
      next = (next + 1) % REMEMBERED;
    }

    /** The encoding of the fields before the shared part. */
    byte[] head(FederatedDestination d) {
      buffer.reset();
      encoder = EncoderFactory.get().directBinaryEncoder(buffer, encoder);
      try {
        REF_WRITER.write(d.getDestination(), encoder);
        encoder.writeString(d.getClientCluster());
        encoder.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return buffer.toByteArray();
    }

    /** The encoding of the fields after the shared part. */
    byte[] tail(FederatedDestination d) {
      buffer.reset();
      encoder = EncoderFactory.get().directBinaryEncoder(buffer, encoder);
      try {
        encoder.writeLong(d.getEpoch());
        encoder.writeLong(d.getPolicyGeneration());
        encoder.writeLong(d.getTime().toEpochMilli());
        encoder.writeEnum(d.getClientMode().ordinal());
        encoder.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return buffer.toByteArray();
    }
  }

  @Override
  public Serializer<SpecificRecord> serializer() {
    Serializer<SpecificRecord> whole = inner.serializer();
    return (topic, value) -> {
      if (!SPLICES || !(value instanceof FederatedDestination d)) {
        return whole.serialize(topic, value);
      }
      Memo m = memo.get();
      Shared known = m.find(d);
      if (known == null) {
        byte[] bytes = whole.serialize(topic, value);
        int header = AvroSerde.HEADER;
        byte[] head = m.head(d);
        byte[] tail = m.tail(d);
        int from = header + head.length;
        int to = bytes.length - tail.length;
        m.remember(new Shared(d.getHosts(), d.getPorts(), d.getTiers(), d.getActiveTier(),
            d.getOutlierDetection(), java.util.Arrays.copyOf(bytes, header),
            java.util.Arrays.copyOfRange(bytes, from, to)));
        return bytes;
      }
      byte[] head = m.head(d);
      byte[] tail = m.tail(d);
      byte[] out = new byte[known.header.length + head.length + known.bytes.length
          + tail.length];
      int at = 0;
      System.arraycopy(known.header, 0, out, at, known.header.length);
      at += known.header.length;
      System.arraycopy(head, 0, out, at, head.length);
      at += head.length;
      System.arraycopy(known.bytes, 0, out, at, known.bytes.length);
      at += known.bytes.length;
      System.arraycopy(tail, 0, out, at, tail.length);
      return out;
    };
  }

  @Override
  public Deserializer<SpecificRecord> deserializer() {
    return inner.deserializer();
  }

  /**
   * Whether the record's fields are destination, clientCluster, then the shared fields, then
   * epoch, policyGeneration (longs), time (timestamp-millis) and clientMode (an enum) — the
   * layout {@code head} and {@code tail} encode.
   */
  static boolean layoutMatches(Schema schema) {
    List<String> names = schema.getFields().stream().map(Schema.Field::name).toList();
    if (!names.equals(List.of("destination", "clientCluster", "hosts", "ports", "tiers",
        "activeTier", "outlierDetection", "epoch", "policyGeneration", "time", "clientMode"))) {
      return false;
    }
    Schema time = schema.getField("time").schema();
    return schema.getField("destination").schema().equals(ResourceRef.getClassSchema())
        && schema.getField("clientCluster").schema().getType() == Schema.Type.STRING
        && schema.getField("epoch").schema().getType() == Schema.Type.LONG
        && schema.getField("policyGeneration").schema().getType() == Schema.Type.LONG
        && time.getType() == Schema.Type.LONG
        && time.getLogicalType() instanceof LogicalTypes.TimestampMillis
        && schema.getField("clientMode").schema().getType() == Schema.Type.ENUM;
  }
}
