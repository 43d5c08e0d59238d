package io.meshfed.bench.chaos;

import static org.awaitility.Awaitility.await;

import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.bench.chaos.ChaosSuite.Env;
import io.meshfed.serde.AvroSerde;
import io.meshfed.topics.EventKeys;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyMain;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Fault class a: bad records mixed into live traffic. The topology runs in this JVM (its stream
 * threads' names show a replaced thread); mgmt-cluster's readiness flips while the bad records
 * arrive. Every bad record must come back on the dead-letter topic, byte-equal (or, when
 * oversized, as key and headers), with the headers saying why; every flip must be decided;
 * the end state must be the oracle's.
 */
final class BadInput {

  static final String EVENTS = "meshfed.cluster." + Bookinfo.MGMT + ".events";

  /** The kinds of bad record, in turn; an oversized one only every OVERSIZE_EVERY records. */
  static final List<String> KINDS = List.of("allocation-bomb", "unknown-schema-id", "garbage",
      "spoofed-cluster-key", "not-a-key", "hostile-strings", "truncated-avro");
  static final int OVERSIZE_EVERY = 5_000;

  private final Env env;
  private final ChaosSuite.Sizes sizes;

  BadInput(Env env, ChaosSuite.Sizes sizes) {
    this.env = env;
    this.sizes = sizes;
  }

  FaultResult run() throws Exception {
    FaultResult r = new FaultResult("bad-input");
    Map<TopicPartition, Long> dlqStart = endOffsets();
    KafkaStreams streams = TopologyMain.start(env.topologyConfig("chaos-bad-input",
        Files.createTempDirectory(env.work, "state-bad-input")), new Properties());
    try (Observer observer = new Observer(env.bootstrap(), env.registryClient);
        KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.<String, Object>of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrap(),
            ProducerConfig.LINGER_MS_CONFIG, 5,
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * 1024 * 1024),
            new StringSerializer(), new ByteArraySerializer())) {
      await().atMost(Duration.ofSeconds(120))
          .until(() -> streams.state() == KafkaStreams.State.RUNNING);
      env.world();
      if (!env.awaitOracle(observer, true, Duration.ofSeconds(120))) {
        r.findings.add("The initial world never reached the oracle: "
            + Env.oracleDiff(observer, true));
      }
      // One decision per client for the initial world, counted as such even if late.
      int initial = 2;
      Env.awaitDecisions(observer, initial, Duration.ofSeconds(30));

      Generator generator = new Generator(env);
      Map<String, Integer> sentHash = new HashMap<>(sizes.badRecords() * 2);
      Map<String, String> kindOf = new HashMap<>(sizes.badRecords() * 2);
      int flipEvery = Math.max(1, sizes.badRecords() / Math.max(1, sizes.flipsDuringBadInput()));
      boolean ready = true;
      int flips = 0;
      for (int i = 0; i < sizes.badRecords(); i++) {
        Generator.Bad bad = generator.next(i);
        sentHash.put(bad.key(), Arrays.hashCode(bad.value()));
        kindOf.put(bad.key(), bad.kind());
        r.perKind.merge(bad.kind(), 1L, Long::sum);
        raw.send(new ProducerRecord<>(EVENTS, bad.key(), bad.value()));
        if (i % flipEvery == flipEvery - 1 && flips < sizes.flipsDuringBadInput()) {
          raw.flush(); // the flip lands between the bad records, not ahead of them
          ready = !ready;
          env.flip(ready);
          flips++;
          // Each flip decided before the next: the decide stage coalesces what one batch holds
          // (a flip and its reverse decide nothing), and this class counts two decisions per
          // flip. The bad records keep coming behind it.
          Env.awaitDecisions(observer, initial + 2 * flips, Duration.ofSeconds(60));
        }
      }
      raw.flush();
      long sent = System.nanoTime();
      r.injectedCount = sizes.badRecords();
      r.injected = String.format("%,d bad records (%d kinds) among %d flips",
          sizes.badRecords(), r.perKind.size(), flips);
      int expected = initial + 2 * flips;

      // Dead letters: every bad record, once, with the headers saying why.
      r.deadLetterExpected = (long) sizes.badRecords();
      DeadLetters dead = readDeadLetters(dlqStart, sentHash, kindOf, sizes.badRecords());
      r.deadLettered = dead.total;
      r.deadLetteredWithHeaders = dead.withHeaders;
      if (!dead.missingByKind.isEmpty()) {
        r.findings.add("Not dead-lettered, per kind: " + dead.missingByKind + ".");
      }
      if (!dead.problems.isEmpty()) {
        r.findings.add("Dead letters not as sent (first few): " + dead.problems + ".");
      }

      boolean finalReady = ready;
      Env.awaitDecisions(observer, expected, Duration.ofSeconds(180));
      r.finalEqualsOracle = env.awaitOracle(observer, finalReady, Duration.ofSeconds(60));
      r.maxRecoverySeconds = (System.nanoTime() - sent) / 1e9;
      if (!r.finalEqualsOracle) {
        r.findings.add("Final state is not the oracle's: "
            + Env.oracleDiff(observer, finalReady));
      }
      // Quiet for a moment, so that a late extra decision is counted too.
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30))
          .until(() -> Env.matchesOracle(observer, finalReady));
      Env.judgeLog(r, observer, expected);
      Env.judgeThreads(r, streams);
      r.findings.add(String.format("Dead-lettering took %.1f s after the last bad record"
          + " was sent.", dead.seconds));
    } finally {
      streams.close(Duration.ofSeconds(30));
    }
    return r;
  }

  private Map<TopicPartition, Long> endOffsets() {
    try (var consumer = dlqConsumer()) {
      List<TopicPartition> partitions = consumer.partitionsFor(MeshfedTopics.DEAD_LETTER)
          .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      return consumer.endOffsets(partitions);
    }
  }

  private KafkaConsumer<String, byte[]> dlqConsumer() {
    return new KafkaConsumer<>(Map.<String, Object>of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrap(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024),
        new org.apache.kafka.common.serialization.StringDeserializer(),
        new ByteArrayDeserializer());
  }

  static final class DeadLetters {
    long total;
    long withHeaders;
    double seconds;
    final Map<String, Long> missingByKind = new java.util.TreeMap<>();
    final List<String> problems = new ArrayList<>();
  }

  /**
   * Reads the dead-letter topic from where it ended before the class began until every bad
   * record is there (or nothing new arrives for a while), checking each against what was sent.
   */
  private DeadLetters readDeadLetters(Map<TopicPartition, Long> start,
      Map<String, Integer> sentHash, Map<String, String> kindOf, int count) {
    DeadLetters d = new DeadLetters();
    long t0 = System.nanoTime();
    Map<String, Integer> unseen = new HashMap<>(sentHash);
    try (var consumer = dlqConsumer()) {
      consumer.assign(start.keySet());
      start.forEach(consumer::seek);
      var lastProgress = new long[] {System.nanoTime()};
      // Bounded by "nothing new for a minute" below; the overall bound only stops a trickle.
      // 20 minutes was too little for 100,000 records on a loaded machine (the reduced run
      // dead-lettered ~77 a second at load ~100), and its timeout threw the whole class away.
      try {
        await().atMost(Duration.ofMinutes(sizes.quick() ? 3 : 90))
            .pollInterval(Duration.ofMillis(10)).until(() -> {
              for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(200))) {
                if (!EVENTS.equals(header(rec, "__streams.errors.topic"))) {
                  continue; // another topology's or another class's dead letter
                }
                Integer hash = unseen.remove(rec.key());
                if (hash == null) {
                  if (d.problems.size() < 5) {
                    d.problems.add("unexpected or repeated key " + abbreviate(rec.key()));
                  }
                  continue;
                }
                lastProgress[0] = System.nanoTime();
                d.total++;
                boolean omitted = header(rec, "meshfed.dlq.value-omitted") != null;
                boolean valueOk = omitted || Arrays.hashCode(rec.value()) == hash;
                boolean headers = header(rec, "__streams.errors.exception") != null
                    && header(rec, "__streams.errors.message") != null;
                if (headers && valueOk) {
                  d.withHeaders++;
                } else if (d.problems.size() < 5) {
                  d.problems.add(kindOf.get(rec.key()) + ": " + (headers ? "value differs"
                      : "headers missing"));
                }
              }
              // Done when all arrived, or when nothing arrived for a minute (what is missing
              // is then reported, not waited for forever).
              return unseen.isEmpty()
                  || System.nanoTime() - lastProgress[0] > Duration.ofSeconds(60).toNanos();
            });
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        // What is still missing is reported below, as when progress stops.
      }
    }
    d.seconds = (System.nanoTime() - t0) / 1e9;
    unseen.keySet().forEach(k -> d.missingByKind.merge(kindOf.get(k), 1L, Long::sum));
    return d;
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    var header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static String abbreviate(String s) {
    return s == null ? "null" : s.length() > 80 ? s.substring(0, 80) + "…" : s;
  }

  /** The bad records, deterministic for a seed, each with a key of its own. */
  static final class Generator {
    record Bad(String kind, String key, byte[] value) {}

    private final Random random = new Random(21);
    private final byte[] bomb;
    private final AvroSerde<ServiceSnapshot> services;
    private final AvroSerde<EndpointSnapshot> endpoints;

    Generator(Env env) throws Exception {
      services = AvroSerde.of(ServiceSnapshot.class, env.registryClient);
      endpoints = AvroSerde.of(EndpointSnapshot.class, env.registryClient);
      int id = env.registryClient.idFor(AvroSerde.subjectFor(EndpointSnapshot.getClassSchema()),
          EndpointSnapshot.getClassSchema());
      // 24 bytes whose ports array claims 2^31 - 100 items: Avro would allocate before reading.
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(body, null);
      encoder.writeString("b");
      encoder.writeString("r");
      encoder.writeLong((1L << 31) - 100);
      encoder.writeFixed(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
      encoder.flush();
      bomb = ByteBuffer.allocate(5 + body.size()).put((byte) 0).putInt(id)
          .put(body.toByteArray()).array();
    }

    Bad next(int i) {
      String m = Bookinfo.MGMT;
      if (i % OVERSIZE_EVERY == OVERSIZE_EVERY - 1) {
        // 900 KB whose key and payload disagree: the message must not embed the payload.
        EndpointSnapshot huge = EndpointSnapshot.newBuilder().setNamespace("n".repeat(900_000))
            .setServiceName("reviews").setPorts(List.of()).setEndpoints(List.of()).build();
        return new Bad("oversized-value", EventKeys.endpoints(m, "bookinfo", "o" + i),
            endpoints.serialize(EVENTS, huge));
      }
      String kind = KINDS.get(i % KINDS.size());
      return switch (kind) {
        case "allocation-bomb" -> new Bad(kind, EventKeys.endpoints(m, "b", "bomb-" + i), bomb);
        case "unknown-schema-id" -> new Bad(kind, EventKeys.endpoints(m, "bookinfo", "x" + i),
            ByteBuffer.allocate(9).put((byte) 0).putInt(900_000 + i % 16).putInt(i).array());
        case "garbage" -> {
          byte[] value = new byte[1 + random.nextInt(64)];
          random.nextBytes(value);
          yield new Bad(kind, EventKeys.service(m, "bookinfo", "g" + i), value);
        }
        case "spoofed-cluster-key" -> new Bad(kind,
            EventKeys.service(Bookinfo.REMOTE, "bookinfo", "spoofed-" + i),
            services.serialize(EVENTS, service("spoofed-" + i)));
        case "not-a-key" -> new Bad(kind, "not-a-key-" + i, new byte[] {0, 0, 0, 0, 1, 2});
        case "hostile-strings" -> new Bad(kind, EventKeys.service(m, "bookinfo", "h" + i),
            services.serialize(EVENTS, service("h" + i + "\u0000\n\u202e<script>../../"
                + "\uD835\uDD18".repeat(40) + "'; DROP TABLE")));
        case "truncated-avro" -> {
          byte[] whole = services.serialize(EVENTS, service("t" + i));
          yield new Bad(kind, EventKeys.service(m, "bookinfo", "t" + i),
              Arrays.copyOf(whole, whole.length / 2));
        }
        default -> throw new IllegalStateException(kind);
      };
    }

    private static ServiceSnapshot service(String name) {
      return ServiceSnapshot.newBuilder().setNamespace("bookinfo").setName(name)
          .setUid("uid-" + name).setCreationTimestamp(Instant.parse("2026-11-22T09:00:00Z"))
          .setLabels(Map.of("app", "bad"))
          .setPorts(List.of(new io.meshfed.avro.ServicePort("http", 9080, "TCP", null)))
          .build();
    }
  }
}
