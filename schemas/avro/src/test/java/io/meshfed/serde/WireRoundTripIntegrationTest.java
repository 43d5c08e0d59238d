package io.meshfed.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.schema.SampleRecords;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topics.Topic;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every record type through the real broker and the real registry, and the bad-bytes paths. */
class WireRoundTripIntegrationTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry();

  private static SchemaRegistryClient registry;
  private static MeshfedTopics topics;
  private static Topic<String, SpecificRecord> events;

  @BeforeAll
  static void setUp() {
    registry = new SchemaRegistryClient(
        RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT));
    topics = new MeshfedTopics(registry);
    events = topics.clusterEvents().forCluster("mgmt-cluster");
    STACK.kafka().createTopics(1, events.name(), "corrupt", "unknown-id");
  }

  @Test
  void everyRecordTypeRoundTripsThroughBrokerAndRegistry() throws Exception {
    List<SpecificRecord> sent = SampleRecords.all();
    try (var producer = new KafkaProducer<>(producerProps(), new StringSerializer(),
        events.valueSerde().serializer())) {
      for (SpecificRecord record : sent) {
        producer.send(new ProducerRecord<>(events.name(), record.getSchema().getName(), record))
            .get();
      }
    }

    List<ConsumerRecord<String, byte[]>> raw = readAll(events.name(), sent.size(),
        new ByteArrayDeserializer());
    List<SpecificRecord> received = new ArrayList<>();
    HttpClient http = HttpClient.newHttpClient();
    for (ConsumerRecord<String, byte[]> record : raw) {
      byte[] bytes = record.value();
      assertThat(bytes[0]).as("magic byte of %s", record.key()).isEqualTo((byte) 0);
      int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
      // The id must resolve, through the registry's own Confluent API, to the writer schema.
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(
          URI.create(STACK.registryUrl() + "/schemas/ids/" + id)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      Schema registered = new Schema.Parser().parse(
          new ObjectMapper().readTree(response.body()).path("schema").asText());
      SpecificRecord decoded = events.deserializeValue(bytes);
      assertThat(registered).isEqualTo(decoded.getSchema());
      received.add(decoded);
    }
    assertThat(received).containsExactlyElementsOf(sent);
  }

  @Test
  void corruptPayloadIsATypedErrorNamingTopicPartitionAndOffset() throws Exception {
    produceRaw("corrupt", new byte[] {0, 0, 0});
    RecordDeserializationException error = firstDeserializationError("corrupt");
    assertThat(error.topicPartition()).isEqualTo(new TopicPartition("corrupt", 0));
    assertThat(error.offset()).isZero();
    assertThat(error.getCause()).isInstanceOf(WireFormatException.CorruptPayload.class)
        .hasMessageContaining("topic 'corrupt'").hasMessageContaining("too short");
  }

  @Test
  void unknownSchemaIdIsATypedErrorNamingTopicPartitionAndOffset() throws Exception {
    byte[] frame = ByteBuffer.allocate(7).put((byte) 0).putInt(987_654).put((byte) 2)
        .put((byte) 'x').array();
    produceRaw("unknown-id", frame);
    RecordDeserializationException error = firstDeserializationError("unknown-id");
    assertThat(error.topicPartition()).isEqualTo(new TopicPartition("unknown-id", 0));
    assertThat(error.offset()).isZero();
    assertThat(error.getCause()).isInstanceOf(WireFormatException.UnknownSchemaId.class)
        .hasMessageContaining("topic 'unknown-id'").hasMessageContaining("987654");
    assertThat(((WireFormatException.UnknownSchemaId) error.getCause()).schemaId())
        .isEqualTo(987_654);
  }

  /**
   * Allocation bombs: a few bytes whose lengths or counts claim gigabytes. Avro's own decoder
   * allocates what they claim (an OutOfMemoryError kills the stream thread, which replays the
   * record forever); they must be corrupt payloads instead, decided before any allocation.
   */
  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {
      "array of 2^31 ports", "string of 2^31-1 bytes", "map of 2^30 labels",
      "negative string length", "block count after a valid block"})
  void hostileLengthsAreCorruptPayloadsDecidedBeforeAllocation(String bomb) throws Exception {
    Schema schema = bomb.contains("labels")
        ? io.meshfed.avro.ClusterHeartbeat.getClassSchema()
        : io.meshfed.avro.EndpointSnapshot.getClassSchema();
    int id = registry.idFor(AvroSerde.subjectFor(schema), schema);
    var body = new java.io.ByteArrayOutputStream();
    var encoder = org.apache.avro.io.EncoderFactory.get().directBinaryEncoder(body, null);
    switch (bomb) {
      case "array of 2^31 ports" -> {
        encoder.writeString("bookinfo");
        encoder.writeString("reviews");
        encoder.writeLong(1L << 31); // ports: one block claiming 2^31 items
      }
      case "string of 2^31-1 bytes" -> encoder.writeLong(Integer.MAX_VALUE); // namespace length
      case "map of 2^30 labels" -> {
        encoder.writeString("1.0"); // agentVersion
        encoder.writeIndex(0); // region: null
        encoder.writeLong(0); // zones: empty
        encoder.writeEnum(1); // meshKind
        encoder.writeLong(1L << 30); // labels: one block claiming 2^30 entries
      }
      case "negative string length" -> encoder.writeLong(-5);
      default -> {
        encoder.writeString("bookinfo");
        encoder.writeString("reviews");
        encoder.writeLong(0); // ports: empty
        encoder.writeLong(1); // endpoints: one block of one endpoint ...
        encoder.writeString("10.0.0.1"); // ... whose first field is fine, then junk counts
        encoder.writeLong(1L << 40);
      }
    }
    encoder.writeFixed(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    encoder.flush();
    byte[] frame = ByteBuffer.allocate(5 + body.size()).put((byte) 0).putInt(id)
        .put(body.toByteArray()).array();
    Deserializer<SpecificRecord> deserializer = events.valueSerde().deserializer();
    assertThatThrownBy(() -> deserializer.deserialize(events.name(), frame))
        .isInstanceOf(WireFormatException.CorruptPayload.class)
        .hasMessageContaining(schema.getFullName())
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(600));
  }

  @Test
  void aRecordOfTheWrongTypeForATypedTopicIsRejected() {
    byte[] heartbeat = events.serializeValue(SampleRecords.heartbeat());
    assertThatThrownBy(() -> topics.failoverEvents().deserializeValue(heartbeat))
        .isInstanceOf(WireFormatException.UnexpectedType.class)
        .hasMessageContaining("ClusterHeartbeat")
        .hasMessageContaining("io.meshfed.avro.FailoverDecision");
  }

  /**
   * The serializer reuses a thread's buffer and encoder: a record that fails half-way through
   * its encoding must leave nothing behind in the next one's bytes.
   */
  @Test
  void aFailedEncodingLeavesNothingInTheNextRecordsBytes() {
    var serde = AvroSerde.of(io.meshfed.avro.PolicyStatus.class, registry);
    io.meshfed.avro.PolicyStatus good = SampleRecords.status();
    byte[] alone = serde.serialize("t", good);
    io.meshfed.avro.PolicyStatus broken = io.meshfed.avro.PolicyStatus.newBuilder(good).build();
    broken.setWarnings(java.util.Arrays.asList("a warning written before the failure", null));
    assertThatThrownBy(() -> serde.serialize("t", broken))
        .isInstanceOf(WireFormatException.class);
    assertThat(serde.serialize("t", good)).isEqualTo(alone);
    assertThat(serde.deserialize("t", serde.serialize("t", good))).isEqualTo(good);
  }

  @Test
  void withoutAutoRegistrationOnlyRegisteredSchemasAreWritten() {
    var strictClient = new SchemaRegistryClient(RegistryConfig.of(STACK.registryUrl()));
    Schema status = io.meshfed.avro.PolicyStatus.getClassSchema();
    registry.register(AvroSerde.subjectFor(status), status);
    var strict = AvroSerde.of(io.meshfed.avro.PolicyStatus.class, strictClient);
    assertThat(strict.deserialize("t", strict.serialize("t", SampleRecords.status())))
        .isEqualTo(SampleRecords.status());

    Schema unregistered = org.apache.avro.SchemaBuilder.record("NeverRegistered")
        .namespace("io.meshfed.avro").fields().requiredString("x").endRecord();
    assertThatThrownBy(() -> strictClient.idFor(AvroSerde.subjectFor(unregistered), unregistered))
        .isInstanceOf(io.meshfed.registry.SchemaRegistryException.class)
        .hasMessageContaining("subject 'io.meshfed.avro.NeverRegistered'")
        .hasMessageContaining("HTTP 404");
  }

  private static void produceRaw(String topic, byte[] value) throws Exception {
    try (var producer = new KafkaProducer<>(producerProps(), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic, value)).get();
    }
  }

  private static RecordDeserializationException firstDeserializationError(String topic) {
    try (var consumer = new KafkaConsumer<>(consumerProps(), new StringDeserializer(),
        events.valueSerde().deserializer())) {
      consumer.assign(List.of(new TopicPartition(topic, 0)));
      consumer.seekToBeginning(List.of(new TopicPartition(topic, 0)));
      var error = new java.util.concurrent.atomic.AtomicReference<RecordDeserializationException>();
      await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).until(() -> {
        try {
          consumer.poll(Duration.ofMillis(200));
          return false;
        } catch (RecordDeserializationException e) {
          error.set(e);
          return true;
        }
      });
      return error.get();
    }
  }

  private static <V> List<ConsumerRecord<String, V>> readAll(String topic, int count,
      Deserializer<V> valueDeserializer) {
    List<ConsumerRecord<String, V>> out = new ArrayList<>();
    try (var consumer = new KafkaConsumer<>(consumerProps(), new StringDeserializer(),
        valueDeserializer)) {
      consumer.assign(List.of(new TopicPartition(topic, 0)));
      consumer.seekToBeginning(List.of(new TopicPartition(topic, 0)));
      await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).untilAsserted(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
        assertThat(out).as("records read back from %s", topic).hasSize(count);
      });
    }
    return out;
  }

  private static Map<String, Object> producerProps() {
    return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all");
  }

  private static Map<String, Object> consumerProps() {
    return Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
  }
}
