package io.meshfed.whatif;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.topics.EventKeys;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.MeshfedTopology;
import io.meshfed.topology.config.TopologyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * What-if replay: the retained events of every cluster, read from the broker in timestamp
 * order, through {@link MeshfedTopology#build} itself in a {@link TopologyTestDriver} whose wall
 * clock follows the records' timestamps, with the proposed resources in place of the live ones
 * of the same kind, namespace and name (or beside them, for new names). Its decisions are set
 * next to those read from {@code meshfed.failover-events}. Read-only: it reads topics without a
 * consumer group and writes nothing to the broker; the driver's state lives in a temporary
 * directory removed afterwards. See {@code whatif/DESIGN.md} for why this design.
 */
public final class WhatIf {

  /**
   * @param proposed resources in force from the start of the replay
   * @param from start of the window reported; everything retained before it is replayed too,
   *     so that the state at {@code from} is the one the topology had
   * @param to end of the window (and of the replay)
   * @param flapWindow a failback undone within it is a flap
   */
  public record Request(List<PolicyEvent> proposed, Instant from, Instant to,
      Duration flapWindow) {
    public Request {
      proposed = List.copyOf(proposed);
      if (!to.isAfter(from)) {
        throw new ProposedPolicies.BadPolicy("--to (" + to + ") must be after --from (" + from
            + ")");
      }
      if (flapWindow.isNegative() || flapWindow.isZero()) {
        throw new ProposedPolicies.BadPolicy("the flap window must be positive");
      }
    }
  }

  /**
   * A time as {@code --from}/{@code --to} take it: an ISO-8601 instant
   * ({@code 2026-11-22T10:00:00Z}), {@code now}, or a duration ago ({@code 90s}, {@code 15m},
   * {@code 2h}, {@code 1d}).
   */
  public static Instant parseTime(String text, Instant now) {
    String t = text == null ? "" : text.trim();
    if (t.equals("now")) {
      return now;
    }
    var ago = java.util.regex.Pattern.compile("(\\d{1,9})(ms|s|m|h|d)").matcher(t);
    if (ago.matches()) {
      long n = Long.parseLong(ago.group(1));
      Duration d = switch (ago.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
      return now.minus(d);
    }
    try {
      return Instant.parse(t);
    } catch (java.time.format.DateTimeParseException e) {
      throw new ProposedPolicies.BadPolicy("'" + (t.length() > 40 ? t.substring(0, 40) + "..."
          : t) + "' is not a time: an instant such as 2026-11-22T10:00:00Z, now, or a duration"
          + " ago such as 15m or 2h");
    }
  }

  private final TopologyConfig live;

  /** @param live the running topology's config: its broker, registry, timers, policy sources */
  public WhatIf(TopologyConfig live) {
    this.live = live;
  }

  public Report run(Request request) throws IOException {
    long started = System.nanoTime();
    SchemaRegistryClient registry = new SchemaRegistryClient(live.registry());
    MeshfedTopics topics = new MeshfedTopics(registry);
    Report report = new Report(request.from(), request.to(), request.flapWindow(),
        request.proposed().stream().map(ProposedPolicies::ref).toList());
    try (KafkaConsumer<String, byte[]> consumer = consumer()) {
      readMade(consumer, topics, request, report);
      replay(consumer, registry, topics, request, report);
    }
    report.replayMillis = (System.nanoTime() - started) / 1_000_000;
    return report;
  }

  private KafkaConsumer<String, byte[]> consumer() {
    Properties p = new Properties();
    p.putAll(live.kafkaClient());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, live.bootstrapServers());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MergedEvents.PER_PARTITION);
    // Bounded fetches: a fleet's worth of partitions each buffering a little.
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 256 * 1024);
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 8 * 1024 * 1024);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "meshfed-whatif-" + UUID.randomUUID());
    return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** The decisions made in the window, from meshfed.failover-events. */
  private static void readMade(KafkaConsumer<String, byte[]> consumer, MeshfedTopics topics,
      Request request, Report report) {
    List<TopicPartition> partitions = partitionsOf(consumer, Set.of(MeshfedTopics.FAILOVER_EVENTS));
    if (partitions.isEmpty()) {
      return;
    }
    consumer.assign(partitions);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
    Map<TopicPartition, Long> query = new HashMap<>();
    // A decision's record timestamp is when it was written, just after its time: a minute's
    // margin before the window finds the first one, and its own time decides.
    partitions.forEach(p -> query.put(p, request.from().minusSeconds(60).toEpochMilli()));
    consumer.offsetsForTimes(query, Duration.ofSeconds(30)).forEach((p, found) ->
        consumer.seek(p, found == null ? ends.get(p) : found.offset()));
    var deserializer = topics.failoverEvents().valueSerde().deserializer();
    Set<TopicPartition> open = new HashSet<>(partitions);
    while (!open.isEmpty()) {
      open.removeIf(p -> consumer.position(p) >= ends.get(p));
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        TopicPartition p = new TopicPartition(r.topic(), r.partition());
        if (r.offset() >= ends.get(p) || r.value() == null) {
          continue;
        }
        FailoverDecision d = deserializer.deserialize(r.topic(), r.value());
        if (!d.getTime().isBefore(request.from())) {
          report.made(d);
        }
      }
    }
    consumer.unsubscribe();
  }

  private void replay(KafkaConsumer<String, byte[]> consumer, SchemaRegistryClient registry,
      MeshfedTopics topics, Request request, Report report) throws IOException {
    Set<String> eventTopics = new TreeSet<>();
    consumer.listTopics(Duration.ofSeconds(30)).keySet().stream()
        .filter(t -> topics.clusterEvents().clusterOf(t).isPresent())
        .forEach(eventTopics::add);
    List<TopicPartition> partitions = partitionsOf(consumer, eventTopics);
    Path state = Files.createTempDirectory("meshfed-whatif");
    TopologyConfig config = replayConfig(live, state);
    Map<String, PolicyEvent> replacing = new HashMap<>();
    request.proposed().forEach(e -> replacing.put(ProposedPolicies.ref(e), e));
    // A proposal of a resource that exists live takes its place where the live one first
    // appears, so the replay's order of events is the live one; a new resource is in force
    // from the first record on.
    Set<String> existing = existing(consumer, topics, replacing.keySet(), request.to());
    Set<String> injected = new HashSet<>();
    String source = new TreeSet<>(live.policySourceClusters()).first();
    MergedEvents events = new MergedEvents(consumer, partitions, request.to().toEpochMilli());
    var serializer = topics.clusterEvents().valueSerde().serializer();
    ReplayDriver replay = new ReplayDriver(config, registry, topics,
        ReplayDriver.Clock.WHEN_DUE, report::wouldMake);
    java.util.function.Consumer<ConsumerRecord<String, byte[]>> toReplay = r -> {
      if (!replay.started()) {
        replay.start(Instant.ofEpochMilli(r.timestamp()));
        String topic = topics.clusterEvents().forCluster(source).name();
        for (PolicyEvent e : request.proposed()) {
          if (!existing.contains(ProposedPolicies.ref(e))) {
            replay.pipe(topic, EventKeys.policy(source, e.getKind(), e.getNamespace(),
                e.getName()), serializer.serialize(topic, e), r.timestamp());
          }
        }
      }
      String ref = replacedRef(r, replacing.keySet());
      if (ref == null) {
        replay.pipe(r.topic(), r.key(), r.value(), r.timestamp());
      } else if (injected.add(ref)) {
        replay.pipe(r.topic(), r.key(), serializer.serialize(r.topic(), replacing.get(ref)),
            r.timestamp());
      }
    };
    // Routine heartbeats are left out where that provably changes no decision (see there).
    var deserializer = topics.clusterEvents().valueSerde().deserializer();
    RoutineHeartbeats heartbeats = new RoutineHeartbeats(config.heartbeatTtl(), replay.step,
        r -> heartbeat(r, topics, deserializer), toReplay);
    try {
      events.forEach(heartbeats::accept);
      heartbeats.finish();
      if (replay.started()) {
        replay.advanceTo(request.to().toEpochMilli());
        replay.drain();
      }
      report.heartbeatsLeftOut = heartbeats.leftOut;
      report.replayedRecords += replay.piped + heartbeats.leftOut;
      report.clockMoves = replay.clockMoves;
    } finally {
      replay.close();
      deleteRecursively(state);
    }
  }

  /**
   * The replay's topology config: the live one's timers, policy sources and clients, its own
   * application id and state directory, one partition per repartition (one task: the whole
   * fleet in one timestamp order).
   */
  static TopologyConfig replayConfig(TopologyConfig live, Path state) {
    return new TopologyConfig(live.bootstrapServers(), live.registry(),
        "meshfed-whatif-" + UUID.randomUUID(), state, live.exactlyOnce(),
        live.commitInterval(), live.producerLinger(), live.cacheMaxBytes(), 0, 1, 1,
        live.policySourceClusters(), live.heartbeatTtl(), live.minHealthyDuration(),
        live.punctuateInterval(), null, live.kafkaClient());
  }

  /**
   * The record's heartbeat when ingest would take it as one (a heartbeat key naming the
   * cluster of its topic, a ClusterHeartbeat value); else null.
   */
  static io.meshfed.avro.ClusterHeartbeat heartbeat(ConsumerRecord<String, byte[]> r,
      MeshfedTopics topics,
      org.apache.kafka.common.serialization.Deserializer<? extends Object> deserializer) {
    var key = EventKeys.parse(r.key());
    if (key.isEmpty() || key.get().type() != EventKeys.Type.Heartbeat || r.value() == null
        || !topics.clusterEvents().clusterOf(r.topic()).equals(Optional.of(key.get().cluster()))) {
      return null;
    }
    try {
      return deserializer.deserialize(r.topic(), r.value())
          instanceof io.meshfed.avro.ClusterHeartbeat h ? h : null;
    } catch (RuntimeException e) {
      return null; // ingest dead-letters it; replayed as it is
    }
  }

  /** The resource a live record is of, when the proposal replaces it; else null. */
  private static String replacedRef(ConsumerRecord<String, byte[]> r, Set<String> replaced) {
    if (replaced.isEmpty() || r.key() == null) {
      return null;
    }
    return EventKeys.parse(r.key())
        .filter(k -> k.type() == EventKeys.Type.Policy && replaced.contains(k.path()))
        .map(EventKeys.EventKey::path).orElse(null);
  }

  /**
   * Which of {@code refs} the live policy sources published before {@code to}: a read of the
   * policy sources' events topics only (one cluster's in most fleets), keys only.
   */
  private Set<String> existing(KafkaConsumer<String, byte[]> consumer, MeshfedTopics topics,
      Set<String> refs, Instant to) {
    Set<String> found = new HashSet<>();
    if (refs.isEmpty()) {
      return found;
    }
    Set<String> names = new TreeSet<>();
    live.policySourceClusters().forEach(c ->
        names.add(topics.clusterEvents().forCluster(c).name()));
    List<TopicPartition> partitions = partitionsOf(consumer, names);
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
    Set<TopicPartition> open = new HashSet<>(partitions);
    while (!open.isEmpty()) {
      open.removeIf(p -> consumer.position(p) >= ends.get(p));
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        String ref = r.timestamp() <= to.toEpochMilli() ? replacedRef(r, refs) : null;
        if (ref != null) {
          found.add(ref);
        }
      }
    }
    consumer.unsubscribe();
    return found;
  }

  private static List<TopicPartition> partitionsOf(KafkaConsumer<?, ?> consumer,
      Set<String> names) {
    List<TopicPartition> out = new ArrayList<>();
    for (String name : names) {
      List<PartitionInfo> infos = consumer.partitionsFor(name, Duration.ofSeconds(30));
      if (infos != null) {
        infos.forEach(i -> out.add(new TopicPartition(i.topic(), i.partition())));
      }
    }
    return out;
  }

  private static void deleteRecursively(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A temporary directory left behind is not worth failing a finished replay for.
    }
  }
}
