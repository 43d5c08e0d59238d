package io.meshfed.serde;

import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro SpecificRecords in the Confluent wire format: magic byte 0, a 4-byte big-endian schema
 * id, then the Avro binary encoding. Null is a tombstone both ways.
 *
 * <p>Subjects follow the record-name strategy: the subject of a record is its full schema name
 * ({@code io.meshfed.avro.ServiceSnapshot}). Per-cluster topics would multiply topic-named
 * subjects by the number of clusters, and one events topic carries several record types; with
 * record names there is one subject per type, one compatibility rule per type, whatever the
 * fleet size.
 *
 * <p>On read, the writer schema comes from the registry by id and the reader schema is that of
 * the generated class with the writer's full name, so old and new writers are resolved by Avro's
 * schema resolution.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

  private static final byte MAGIC = 0;
  private static final int HEADER = 5;

  private final Class<T> type;
  private final SchemaRegistryClient registry;
  private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();
  private final Map<Schema, SpecificDatumWriter<T>> writers = new ConcurrentHashMap<>();

  private AvroSerde(Class<T> type, SchemaRegistryClient registry) {
    this.type = type;
    this.registry = registry;
  }

  /** A serde for one record type. */
  public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type,
      SchemaRegistryClient registry) {
    return new AvroSerde<>(type, registry);
  }

  /** A serde for a topic that carries several record types; the schema id says which. */
  public static AvroSerde<SpecificRecord> anyRecord(SchemaRegistryClient registry) {
    return new AvroSerde<>(SpecificRecord.class, registry);
  }

  /** The subject a schema is registered under (record-name strategy). */
  public static String subjectFor(Schema schema) {
    return schema.getFullName();
  }

  @Override
  public Serializer<T> serializer() {
    return this::serialize;
  }

  @Override
  public Deserializer<T> deserializer() {
    return this::deserialize;
  }

  public byte[] serialize(String topic, T record) {
    if (record == null) {
      return null;
    }
    Schema schema = record.getSchema();
    int id;
    try {
      id = registry.idFor(subjectFor(schema), schema);
    } catch (SchemaRegistryException e) {
      throw new WireFormatException(topic, "cannot serialize " + schema.getFullName() + ": "
          + e.getMessage(), e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    out.write(MAGIC);
    out.write(id >>> 24);
    out.write(id >>> 16);
    out.write(id >>> 8);
    out.write(id);
    try {
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      writers.computeIfAbsent(schema, s -> new SpecificDatumWriter<>(s,
          SpecificData.getForSchema(s))).write(record, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      throw new WireFormatException(topic, "cannot encode " + schema.getFullName() + ": "
          + brief(e), e);
    }
    return out.toByteArray();
  }

  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    if (data.length < HEADER) {
      throw new WireFormatException.CorruptPayload(topic, "payload of " + data.length
          + " bytes is too short for the 5-byte schema-registry header", null);
    }
    ByteBuffer buffer = ByteBuffer.wrap(data);
    byte magic = buffer.get();
    if (magic != MAGIC) {
      throw new WireFormatException.CorruptPayload(topic, "payload starts with byte " + magic
          + ", not the schema-registry magic byte 0", null);
    }
    int id = buffer.getInt();
    SpecificDatumReader<T> reader = readers.computeIfAbsent(id, ignored -> readerFor(topic, id));
    try {
      BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, HEADER,
          data.length - HEADER, null);
      T record = reader.read(null, decoder);
      if (!decoder.isEnd()) {
        throw new IOException((data.length - HEADER) + "-byte body has trailing bytes");
      }
      return record;
    } catch (IOException | RuntimeException e) {
      throw new WireFormatException.CorruptPayload(topic, "body does not decode with schema id "
          + id + " (" + reader.getSchema().getFullName() + "): " + brief(e), e);
    }
  }

  /** Avro's messages can embed whole schemas; a dead-letter header needs the gist. */
  private static String brief(Exception e) {
    String text = e.getClass().getSimpleName() + ": " + e.getMessage();
    return text.length() <= 300 ? text : text.substring(0, 297) + "...";
  }

  private SpecificDatumReader<T> readerFor(String topic, int id) {
    Schema writer;
    try {
      writer = registry.schemaById(id);
    } catch (SchemaRegistryException e) {
      if (e.isNotFound()) {
        throw new WireFormatException.UnknownSchemaId(topic, id, e);
      }
      throw new WireFormatException(topic, "cannot resolve schema id " + id + ": "
          + e.getMessage(), e);
    }
    SpecificData model = SpecificData.get();
    Class<?> generated = model.getClass(writer);
    if (generated == null || !SpecificRecord.class.isAssignableFrom(generated)) {
      throw new WireFormatException.UnexpectedType(topic, "schema id " + id + " is "
          + writer.getFullName() + ", which has no generated record class here");
    }
    if (!type.isAssignableFrom(generated)) {
      throw new WireFormatException.UnexpectedType(topic, "schema id " + id + " is "
          + writer.getFullName() + ", but this topic carries " + type.getName());
    }
    Schema readerSchema = SpecificData.get().getSchema(generated);
    return new SpecificDatumReader<>(writer, readerSchema, SpecificData.getForSchema(readerSchema));
  }
}
