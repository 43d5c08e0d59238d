package io.meshfed.topology.integration;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshfed.avro.ClusterObjectRef;
import io.meshfed.avro.Endpoint;
import io.meshfed.avro.EndpointPort;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.FailoverServiceSpec;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.PortSpec;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceState;
import io.meshfed.serde.AvroSerde;
import io.meshfed.topics.EventKeys;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.faults.PoisonRecords;
import io.meshfed.topology.lag.EventsLag;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.Test;

/**
 * One bad record must never stop the control plane. Each test sends a record that once killed
 * the stream thread (which was then replaced and replayed the same record forever), then the
 * walkthrough's good records, and asserts that the good records are decided, that the bad one
 * is on the dead-letter topic with headers saying why, and that the stream thread was never
 * replaced (a replaced thread gets a new name).
 *
 * <p>Each test's good records decide a FailoverService of its own (named after the test, see
 * {@link #world}), and what a test waits for is that destination's config: an earlier test's
 * output on the shared topics can never satisfy it, and on the shared topology (below) the
 * good records still change something, so their config proves they were read past the bad one.
 */
// The tests that need no settings of their own share one topology ({@link #sharedTopology}):
// one start, and it reads the events topics once instead of each test's topology reading every
// earlier test's records again. The refused-write test (a small max.request.size, and a thread
// it expects to lose) and the backlog test (a 3 s TTL, and it pauses the topology) have their
// own. A topology reads the shared events topics from the beginning, so the order is fixed: the
// refused-write test first (its limit would refuse the others' large records too), the backlog
// last (its topology then wades only through the flood's 2,000, not the flood's topology
// through its 6,000).
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class PoisonRecordIntegrationTest extends BrokerTestBase {

  /** The topology of the tests that need no settings of their own; null until the first. */
  private static KafkaStreams shared;

  private static KafkaStreams sharedTopology() throws Exception {
    if (shared == null) {
      shared = startUnclosed(config("it-poison-shared", DAMPING), new Properties());
    }
    return shared;
  }

  /**
   * Before the backlog test: the shared topology would dead-letter its backlog too (the same
   * records, timestamps and topic), and it has served its tests.
   */
  @org.junit.jupiter.api.AfterAll
  static void closeSharedTopology() {
    if (shared != null) {
      shared.close(Duration.ofSeconds(30));
      shared = null;
    }
  }

  private static final String EVENTS = "meshfed.cluster.mgmt-cluster.events";

  /**
   * Issue #21's sizes — the 20,000-record flood that caused false failovers and a 60,000-record
   * backlog — run in a fault run: {@code mvn -B -pl topology -am test
   * -Dtest=PoisonRecordIntegrationTest -Dmeshfed.faults=true -Dsurefire.failIfNoSpecifiedTests=false}.
   * The suite runs a tenth of each (2,000 and 6,000): every kind of bad record is still there
   * hundreds of times, interleaved with good ones, and both tests still assert that every bad
   * record is dead-lettered, nothing else is, and no decision changes. At full size they took
   * about 60 s and 30 s of the suite (most of it the topology writing dead letters), which is
   * what the sizes change; the backlog's length past the TTL no longer depends on its size (it
   * is held back by pausing the topology, see below).
   */
  static final boolean FULL_SIZE = Boolean.getBoolean("meshfed.faults");
  static final int FLOOD = FULL_SIZE ? 20_000 : 2_000;
  static final int BACKLOG = FULL_SIZE ? 60_000 : 6_000;
  /** A good record (a heartbeat) after every this many bad ones in the flood. */
  static final int GOOD_EVERY = 100;
  /** The backlog test's heartbeat TTL; heartbeats are sent every second. */
  static final Duration TTL = Duration.ofSeconds(3);

  @Test
  @org.junit.jupiter.api.Order(2)
  void anAvroAllocationBombIsDeadLetteredAndTheThreadLives() throws Exception {
    KafkaStreams streams = sharedTopology();
    OutputCollector out = collect();
    int id = registry.idFor(AvroSerde.subjectFor(EndpointSnapshot.getClassSchema()),
        EndpointSnapshot.getClassSchema());
    // 24 bytes: header, namespace "b", serviceName "r", then a ports array claiming 2^31 items.
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(body, null);
    encoder.writeString("b");
    encoder.writeString("r");
    encoder.writeLong((1L << 31) - 100); // below Avro's own 2^31-8 cap: Avro would allocate it
    encoder.writeFixed(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    encoder.flush();
    byte[] bomb = ByteBuffer.allocate(5 + body.size()).put((byte) 0).putInt(id)
        .put(body.toByteArray()).array();
    assertThat(bomb).hasSize(24);
    raw(EventKeys.endpoints(MGMT, "b", "r"), bomb);

    var agent = agent();
    heartbeats(agent);
    world(agent, "bomb");
    awaitConfig(out, "bomb");
    List<ConsumerRecord<byte[], byte[]>> dead = deadLetters(1);
    assertThat(header(dead.get(0), "__streams.errors.exception"))
        .isEqualTo("io.meshfed.serde.WireFormatException$CorruptPayload");
    assertThat(header(dead.get(0), "__streams.errors.message")).contains("exceeds the");
    assertThat(dead.get(0).value()).isEqualTo(bomb);
    assertThreadNeverReplaced(streams);
  }

  @Test
  @org.junit.jupiter.api.Order(3)
  void anOversizedRecordWhoseKeyAndPayloadDisagreeIsDeadLetteredWhole() throws Exception {
    KafkaStreams streams = sharedTopology();
    OutputCollector out = collect();
    String huge = "n".repeat(900_000);
    EndpointSnapshot payload = EndpointSnapshot.newBuilder().setNamespace(huge)
        .setServiceName("reviews").setPorts(List.of()).setEndpoints(List.of()).build();
    byte[] bytes = AvroSerde.of(EndpointSnapshot.class, registry).serialize(EVENTS, payload);
    raw(EventKeys.endpoints(MGMT, "bookinfo", "reviews"), bytes);

    var agent = agent();
    heartbeats(agent);
    world(agent, "oversized");
    awaitConfig(out, "oversized");
    ConsumerRecord<byte[], byte[]> dead = deadLetters(1).get(0);
    assertThat(header(dead, "__streams.errors.exception"))
        .isEqualTo("io.meshfed.topology.ingest.InvalidEventException");
    assertThat(header(dead, "__streams.errors.message"))
        .contains("but the payload names", "(900008 characters)").hasSizeLessThan(1_000);
    assertThat(header(dead, "__streams.errors.stacktrace")).hasSizeLessThanOrEqualTo(8_000);
    assertThat(dead.value()).as("the whole bad record is kept").isEqualTo(bytes);
    assertThreadNeverReplaced(streams);
  }

  @Test
  @org.junit.jupiter.api.Order(4)
  void aFailoverServiceWithTenThousandBackingServicesIsInvalidNotAStoppedTopology()
      throws Exception {
    KafkaStreams streams = sharedTopology();
    OutputCollector out = collect();
    var agent = agent();
    heartbeats(agent);
    List<ClusterObjectRef> backing = IntStream.range(0, 10_000)
        .mapToObj(i -> new ClusterObjectRef("svc-" + i, "bookinfo", "cluster-" + i)).toList();
    PolicyEvent absurd = PolicyEvent.newBuilder().setKind(ResourceKind.FailoverService)
        .setNamespace("service-mesh-hub").setName("absurd").setUid("uid-absurd")
        .setGeneration(1).setCreationTimestamp(Instant.now())
        .setSpec(FailoverServiceSpec.newBuilder().setHostname("absurd.bookinfo.global")
            .setPort(new PortSpec(9080L, "http")).setBackingServices(backing).build())
        .build();
    send(agent, MGMT, KeyValue.pair(EventKeys.policy(MGMT, ResourceKind.FailoverService,
        "service-mesh-hub", "absurd"), absurd));
    world(agent, "after-absurd");

    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(configOf(out, REMOTE, "after-absurd")).isNotNull();
      List<PolicyStatus> statuses = out.onTopic("meshfed.cluster." + MGMT + ".config").stream()
          .filter(s -> s.value() instanceof PolicyStatus p
              && p.getResource().getName().equals("absurd"))
          .map(s -> (PolicyStatus) s.value()).toList();
      assertThat(statuses).as("statuses of the absurd FailoverService").isNotEmpty();
      PolicyStatus status = statuses.get(statuses.size() - 1);
      assertThat(status.getState()).isEqualTo(ResourceState.INVALID);
      assertThat(status.getValidationErrors()).containsExactly("spec.backingServices lists"
          + " 10000 backing services; at most 1000 are allowed");
    });
    assertThreadNeverReplaced(streams);
  }

  /**
   * A record whose output the producer refuses (here: an endpoint list larger than the
   * topology's max.request.size) aborts the exactly-once transaction, and the task replays it.
   * The breaker dead-letters it on the replay, without processing it again, and the records
   * behind it are decided. The thread the abort cost is replaced (Kafka Streams reports its death
   * as an uncaught exception, which this test expects and does not let Awaitility fail on).
   */
  @Test
  @org.junit.jupiter.api.Order(1) // first: the other tests' large records exceed its limit too
  void aRecordWhoseOutputCannotBeWrittenIsSkippedOnItsReplay() throws Exception {
    PoisonRecords.clear();
    Properties overrides = new Properties();
    overrides.put("producer.max.request.size", 200_000);
    KafkaStreams streams = start(config("it-poison-breaker", DAMPING), overrides);
    OutputCollector out = collect();
    var agent = agent();
    List<Endpoint> many = IntStream.range(0, 10_000).mapToObj(i -> Endpoint.newBuilder()
        .setAddresses(List.of("10.9." + (i / 250) + "." + (i % 250))).setReady(true)
        .setServing(true).setTargetName("pod-" + i).build()).toList();
    EndpointSnapshot tooBig = EndpointSnapshot.newBuilder().setNamespace("bookinfo")
        .setServiceName("big").setPorts(List.of(new EndpointPort("http", 9080, "TCP", null)))
        .setEndpoints(many).build();
    send(agent, MGMT, KeyValue.pair(EventKeys.endpoints(MGMT, "bookinfo", "big"), tooBig));
    world(agent, "breaker");

    await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(90))
        .untilAsserted(() -> assertThat(configOf(out, REMOTE, "breaker")).isNotNull());
    ConsumerRecord<byte[], byte[]> dead = deadLetters(1).get(0);
    assertThat(header(dead, "__streams.errors.exception"))
        .isEqualTo("io.meshfed.topology.faults.PoisonRecordException");
    assertThat(header(dead, "__streams.errors.message"))
        .contains("failed after processing", "RecordTooLargeException");
    assertThat(header(dead, "__streams.errors.topic")).isEqualTo(EVENTS);
    assertThat(header(dead, "meshfed.dlq.value-omitted")).contains("bytes, sha256");
    assertThat(PoisonRecords.skippedTotal()).isGreaterThanOrEqualTo(1);
    // Under exactly-once the producer's refusal dooms the transaction and the thread with it:
    // one thread, replaced once, never a loop.
    assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
    assertThat(streams.metadataForLocalThreads()).extracting(ThreadMetadata::threadName)
        .allSatisfy(name -> assertThat(name).matches(".*-StreamThread-[12]"));
  }

  /**
   * A flood of bad records — {@link #FLOOD} of four kinds, round-robin, with a good record (a
   * heartbeat) after every {@link #GOOD_EVERY} — changes no decision: the bad records cost one
   * log line a second, not a stack trace each, so the heartbeats behind them arrive in time and
   * no cluster is declared stale. Every bad record is dead-lettered and no good one; the
   * topology reads to the end of its topics (the good records among the bad are processed).
   */
  @Test
  @org.junit.jupiter.api.Order(5)
  void aFloodOfBadRecordsChangesNoDecision() throws Exception {
    KafkaStreams streams = sharedTopology();
    OutputCollector out = collect();
    settledWorld("it-poison-shared", out, "flood");
    int decisionsBefore = decisions(out).size();
    int configsBefore = out.onTopic("meshfed.cluster." + REMOTE + ".config").size();

    int flood = FLOOD;
    var goodSerializer = AvroSerde.anyRecord(registry).serializer();
    try (var raw = rawProducer()) {
      for (int i = 0; i < flood; i++) {
        if (i % GOOD_EVERY == 0) {
          KeyValue<String, org.apache.avro.specific.SpecificRecord> heartbeat =
              Bookinfo.heartbeat(MGMT, Instant.now());
          raw.send(new ProducerRecord<>(EVENTS, heartbeat.key,
              goodSerializer.serialize(EVENTS, heartbeat.value)));
        }
        String key;
        byte[] value;
        switch (i % 4) {
          case 0 -> {
            key = EventKeys.service(MGMT, "bookinfo", "s" + i);
            value = "garbage".getBytes(StandardCharsets.UTF_8);
          }
          case 1 -> {
            key = "not-a-key-" + i;
            value = new byte[] {0, 0, 0, 0, 1, 2};
          }
          case 2 -> {
            key = EventKeys.service(REMOTE, "bookinfo", "spoofed-" + i);
            value = new byte[] {0, 0, 0, 0, 7};
          }
          default -> {
            key = EventKeys.endpoints(MGMT, "bookinfo", "x" + i);
            value = ByteBuffer.allocate(9).put((byte) 0).putInt(900_000 + i).putInt(i).array();
          }
        }
        raw.send(new ProducerRecord<>(EVENTS, key, value));
      }
      raw.flush();
    }
    List<ConsumerRecord<byte[], byte[]>> dead = deadLetters(flood);
    assertThat(dead).hasSize(flood).allSatisfy(r ->
        assertThat(header(r, "__streams.errors.topic")).isEqualTo(EVENTS));
    awaitNothingUnread("it-poison-shared");
    assertThat(decisions(out)).as("decisions while only bad records arrived")
        .hasSize(decisionsBefore);
    assertThat(out.onTopic("meshfed.cluster." + REMOTE + ".config"))
        .as("remote-cluster's config while only bad records arrived").hasSize(configsBefore);
    assertThreadNeverReplaced(streams);
  }

  /**
   * A backlog longer than the heartbeat TTL is not silence: with a 3 s TTL and heartbeats every
   * second, {@link #BACKLOG} bad records ahead of the heartbeats, and the topology unable to
   * read them for longer than the TTL, no cluster is declared stale (their topics hold unread
   * records, see EventsLag).
   *
   * <p>The topology is paused while the backlog is written and until the last heartbeat it read
   * is older than the TTL, then resumed: so the backlog outlasts the TTL on any machine, at any
   * size, rather than only where reading 60,000 records happens to take longer than 3 s (the
   * full size still runs in a fault run, see {@link #FULL_SIZE}). A paused topology neither
   * processes nor punctuates; the lag monitor goes on measuring.
   */
  @Test
  @org.junit.jupiter.api.Order(6)
  void aBacklogLongerThanTheTtlIsNotTakenForSilence() throws Exception {
    closeSharedTopology(); // see there
    String app = "it-poison-backlog";
    KafkaStreams streams = start(config(app, DAMPING)
        .withTimers(TTL, DAMPING, Duration.ofMillis(200)));
    OutputCollector out = collect();
    settledWorld(app, out, "backlog");
    int decisionsBefore = decisions(out).size();

    streams.pause();
    long pausedAt = System.currentTimeMillis();
    try (var raw = rawProducer()) {
      for (int i = 0; i < BACKLOG; i++) {
        raw.send(new ProducerRecord<>(EVENTS, EventKeys.service(MGMT, "bookinfo", "b" + i),
            "garbage".getBytes(StandardCharsets.UTF_8)));
      }
      raw.flush();
    }
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
        EventsLag.of(app).get(MGMT)).as("mgmt-cluster's unread records, as the monitor saw them")
        .isGreaterThanOrEqualTo((long) BACKLOG));
    // The premise: every heartbeat the topology has read is older than the TTL when it resumes.
    await().atMost(Duration.ofSeconds(60))
        .until(() -> System.currentTimeMillis() - pausedAt > TTL.toMillis() + 1_000);
    streams.resume();

    // Its own bad records only: this topology reads the events topic from the start, and an
    // earlier test's record can come back as a dead letter that passes the time filter (two did
    // in a CI run: 6,002 for 6,000).
    java.util.Set<String> backlogKeys = new java.util.HashSet<>();
    for (int i = 0; i < BACKLOG; i++) {
      backlogKeys.add(EventKeys.service(MGMT, "bookinfo", "b" + i));
    }
    deadLetters(BACKLOG, r -> r.key() != null
        && backlogKeys.contains(new String(r.key(), StandardCharsets.UTF_8)));
    awaitNothingUnread(app);
    assertThat(decisions(out)).as("decisions while a backlog of bad records was read")
        .hasSize(decisionsBefore);
    assertThreadNeverReplaced(streams);
  }

  /** Until the topology has read every cluster's events topic to its end. */
  private static void awaitNothingUnread(String applicationId) {
    await().atMost(Duration.ofSeconds(120)).untilAsserted(() ->
        assertThat(EventsLag.of(applicationId)).as("unread records per cluster").isNotEmpty()
            .allSatisfy((cluster, lag) -> assertThat(lag).isZero()));
  }

  /**
   * The walkthrough's world with heartbeats every second and this test's destination, once the
   * topology has decided that destination for both clusters (its configs, which no earlier
   * test's output can stand in for), has read everything (the class's earlier tests left
   * records on the shared topics) and its decisions and configs have all arrived (no change
   * for two seconds).
   */
  private void settledWorld(String applicationId, OutputCollector out, String destination)
      throws Exception {
    var agent = agent();
    heartbeats(agent);
    world(agent, destination);
    awaitConfig(out, destination);
    await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
      assertThat(EventsLag.of(applicationId)).as("unread records per cluster").isNotEmpty()
          .allSatisfy((cluster, lag) -> assertThat(lag).isZero());
    });
    var last = new java.util.concurrent.atomic.AtomicInteger(-1);
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).until(() -> {
      int n = decisions(out).size() + out.onTopic("meshfed.cluster." + REMOTE + ".config").size();
      return n == last.getAndSet(n);
    });
  }

  /**
   * The walkthrough's world (both clusters' heartbeat, reviews service and endpoints, the outlier
   * policy) and a FailoverService of the test's own, named {@code destination}.
   */
  private static void world(KafkaProducer<String, org.apache.avro.specific.SpecificRecord> agent,
      String destination) throws Exception {
    send(agent, MGMT, Bookinfo.heartbeat(MGMT, Instant.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    send(agent, REMOTE, Bookinfo.heartbeat(REMOTE, Instant.now()),
        Bookinfo.reviewsService(REMOTE), Bookinfo.reviewsEndpoints(REMOTE, true));
    send(agent, MGMT, Bookinfo.outlierPolicy(), Bookinfo.failoverServiceNamed(MGMT, destination,
        "uid-" + destination, destination + ".bookinfo.global", 1));
  }

  /** Until both clusters have a config of this test's destination. */
  private static void awaitConfig(OutputCollector out, String destination) {
    await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
      assertThat(configOf(out, MGMT, destination)).as("mgmt-cluster's " + destination)
          .isNotNull();
      assertThat(configOf(out, REMOTE, destination)).as("remote-cluster's " + destination)
          .isNotNull();
    });
  }

  /** The latest config of the FailoverService {@code destination} for a client cluster. */
  private static FederatedDestination configOf(OutputCollector out, String cluster,
      String destination) {
    String key = "FederatedDestination/FailoverService/service-mesh-hub/" + destination;
    FederatedDestination latest = null;
    for (var seen : out.onTopic("meshfed.cluster." + cluster + ".config")) {
      if (seen.record().key().equals(key)) {
        latest = (FederatedDestination) seen.value();
      }
    }
    return latest;
  }

  private static void assertThreadNeverReplaced(KafkaStreams streams) {
    assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
    assertThat(streams.metadataForLocalThreads()).extracting(ThreadMetadata::threadName)
        .allSatisfy(name -> assertThat(name).endsWith("-StreamThread-1"));
  }

  private static KafkaProducer<String, byte[]> rawProducer() {
    return new KafkaProducer<>(Map.<String, Object>of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 5),
        new StringSerializer(), new ByteArraySerializer());
  }

  private static void raw(String key, byte[] value) throws Exception {
    try (var producer = rawProducer()) {
      producer.send(new ProducerRecord<>(EVENTS, key, value)).get();
    }
  }

  /** Exactly {@code count} dead letters of this test's topology, read_committed. */
  private List<ConsumerRecord<byte[], byte[]>> deadLetters(int count) {
    return deadLetters(count, r -> true);
  }

  /** Exactly {@code count} dead letters since this test began that {@code ours} accepts. */
  private List<ConsumerRecord<byte[], byte[]>> deadLetters(int count,
      java.util.function.Predicate<ConsumerRecord<byte[], byte[]>> ours) {
    List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
    try (var dlq = new KafkaConsumer<>(Map.<String, Object>of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "dlq-reader-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 2 * 1024 * 1024),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      dlq.subscribe(List.of(MeshfedTopics.DEAD_LETTER));
      await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
        dlq.poll(Duration.ofMillis(200)).forEach(all::add);
        assertThat(all.stream().filter(this::sinceThisTest).filter(ours).count())
            .isEqualTo(count);
      });
    }
    return all.stream().filter(this::sinceThisTest).filter(ours).toList();
  }

  private final long startedAt = System.currentTimeMillis();

  /**
   * The dead-letter topic is shared by the class's tests; each reads its own. A dead letter
   * keeps its bad record's timestamp, and every test sends its bad records after it exists (by
   * this JVM's clock): so a topology that reads an earlier test's bad records again (the
   * backlog's reads the flood's) writes dead letters this test does not count. (There was a
   * second's slack here, which an earlier test's last records can fall within.)
   */
  private boolean sinceThisTest(ConsumerRecord<byte[], byte[]> record) {
    return record.timestamp() >= startedAt || record.timestamp() < 0;
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    var header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }
}
