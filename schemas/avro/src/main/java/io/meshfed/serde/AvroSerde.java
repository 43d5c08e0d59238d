package io.meshfed.serde;

import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
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
  /** Bytes before the Avro body: the magic byte and the schema id. */
  public static final int HEADER = 5;

  private final Class<T> type;
  private final SchemaRegistryClient registry;
  private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();
  private final Map<Schema, SpecificDatumWriter<T>> writers = new ConcurrentHashMap<>();
  private final Map<Integer, Long> unknownIds = new ConcurrentHashMap<>();
  private static final long UNKNOWN_ID_RETRY_MS = 5_000;
  private static final int MAX_UNKNOWN_IDS = 10_000;
  static final int LOOKUPS_PER_SECOND = 50;
  private final LookupBudget lookups = new LookupBudget(LOOKUPS_PER_SECOND);

  /** At most {@code perSecond} registry look-ups of new ids in any one-second window. */
  private static final class LookupBudget {
    private final int perSecond;
    private long windowStart;
    private int used;

    LookupBudget(int perSecond) {
      this.perSecond = perSecond;
    }

    synchronized boolean tryAcquire(long now) {
      if (now - windowStart >= 1_000) {
        windowStart = now;
        used = 0;
      }
      return ++used <= perSecond;
    }
  }

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
    Buffer buffer = BUFFERS.get();
    ByteArrayOutputStream out = buffer.out;
    out.reset();
    out.write(MAGIC);
    out.write(id >>> 24);
    out.write(id >>> 16);
    out.write(id >>> 8);
    out.write(id);
    try {
      // Buffered, not direct: the direct encoder hands the stream one byte at a time for every
      // varint (a synchronized write and a capacity check each), 4 % of a stream thread's time
      // in the bench latency section's profile.
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, buffer.encoder);
      buffer.encoder = encoder;
      writers.computeIfAbsent(schema, s -> new SpecificDatumWriter<>(s,
          SpecificData.getForSchema(s))).write(record, encoder);
      encoder.flush();
    } catch (IOException | RuntimeException e) {
      // A failed encoding may leave bytes in the encoder's buffer, which its next configure
      // would flush into the next record: start the next one with a fresh encoder.
      buffer.encoder = null;
      throw new WireFormatException(topic, "cannot encode " + schema.getFullName() + ": "
          + brief(e), e);
    } finally {
      if (out.size() > Buffer.KEEP_BYTES) {
        buffer.out = new ByteArrayOutputStream(Buffer.INITIAL_BYTES);
        buffer.encoder = null;
      }
    }
    return out.toByteArray();
  }

  /**
   * A thread's encoding buffer, reused across records: an encoding grows it once instead of every
   * record growing a new one from 256 bytes. One that grew past {@link #KEEP_BYTES} (a large
   * snapshot) is dropped after use, so a thread keeps at most that much.
   */
  private static final class Buffer {
    static final int INITIAL_BYTES = 1024;
    static final int KEEP_BYTES = 256 * 1024;
    ByteArrayOutputStream out = new ByteArrayOutputStream(INITIAL_BYTES);
    BinaryEncoder encoder;
  }

  private static final ThreadLocal<Buffer> BUFFERS = ThreadLocal.withInitial(Buffer::new);

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
    SpecificDatumReader<T> reader = readers.get(id);
    if (reader == null) {
      reader = resolve(topic, id);
    }
    try {
      BoundedDecoder decoder = new BoundedDecoder(DecoderFactory.get().binaryDecoder(data,
          HEADER, data.length - HEADER, null), data.length - HEADER);
      T record = reader.read(null, decoder);
      if (!decoder.isEnd()) {
        throw new IOException((data.length - HEADER) + "-byte body has trailing bytes");
      }
      return record;
    } catch (Throwable e) {
      // Anything the decoder throws — an IOException, Avro's runtime exceptions, or an Error
      // such as OutOfMemoryError or StackOverflowError from a hostile body that got past the
      // bounds — is a property of these bytes, not of the process: the record is corrupt and
      // goes to the dead-letter topic. Rethrowing an Error would kill the stream thread and
      // replay the same record forever.
      throw new WireFormatException.CorruptPayload(topic, "body of " + (data.length - HEADER)
          + " bytes does not decode with schema id " + id + " ("
          + reader.getSchema().getFullName() + "): " + brief(e), null);
    }
  }

  /** Avro's messages can embed whole schemas; a dead-letter header needs the gist. */
  private static String brief(Throwable e) {
    String text = e.getClass().getSimpleName() + ": " + e.getMessage();
    return text.length() <= 300 ? text : text.substring(0, 297) + "...";
  }

  /**
   * The reader for a schema id, from the registry. An id the registry does not know is
   * remembered for five seconds, so a flood of records with made-up ids costs one registry call
   * per id and five seconds, not one per record (and a real schema registered under an id a
   * hostile record guessed first is readable five seconds later at most).
   */
  private SpecificDatumReader<T> resolve(String topic, int id) {
    Long unknownSince = unknownIds.get(id);
    long now = System.currentTimeMillis();
    if (unknownSince != null && now - unknownSince < UNKNOWN_ID_RETRY_MS) {
      throw new WireFormatException.UnknownSchemaId(topic, id, null);
    }
    if (!lookups.tryAcquire(now)) {
      // A flood of made-up ids would otherwise cost a registry round trip per record (measured:
      // ~550 bad records/s, and the registry timing out under the load). Records with an id
      // not looked up are dead-lettered like unknown ones; they can be replayed from there.
      throw new WireFormatException(topic, "schema id " + id + " was not looked up: more than "
          + LOOKUPS_PER_SECOND + " new schema ids a second (a flood of bad records?)", null);
    }
    try {
      SpecificDatumReader<T> reader = readerFor(topic, id);
      readers.put(id, reader);
      unknownIds.remove(id);
      return reader;
    } catch (WireFormatException.UnknownSchemaId e) {
      if (unknownIds.size() >= MAX_UNKNOWN_IDS) {
        unknownIds.clear();
      }
      unknownIds.put(id, now);
      throw e;
    }
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
