package io.meshfed.whatif;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.MeshfedTopology;
import io.meshfed.topology.StreamsSettings;
import io.meshfed.topology.config.TopologyConfig;
import io.meshfed.topology.state.Stores;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * {@link MeshfedTopology#build} in a {@link TopologyTestDriver} whose wall clock follows the
 * records piped into it, on whole steps of the punctuation interval (at least a second).
 *
 * <p><b>The clock.</b> A record is processed at the start of its step: before it is piped, the
 * clock moves to the last step at or before its timestamp. How it gets there is the
 * {@link Clock}: {@link Clock#EVERY_STEP} moves a step at a time, so the decide stage's
 * punctuation runs at every step of a silence as it would live; {@link Clock#WHEN_DUE} moves
 * straight to the next step at which a punctuation can do anything, and gives the same
 * decisions at the same times (whatif/DESIGN.md, "Time"):
 * <ul>
 *   <li>the decide stage's only punctuation (DecideProcessor#onTimer) re-judges staleness, marks
 *       the destinations whose wake-up time has come, continues the start-up sweep and
 *       evaluates what is dirty;
 *   <li>staleness is judged against "the last heartbeat from any cluster" (FleetSilence), not
 *       against the clock: the set of stale clusters changes only when a record is processed.
 *       So the first punctuation after a record runs at the next step, as it would;
 *   <li>wake-ups (damping maturing, an outlier ejection ending, a handover's wait, a partial
 *       view's grace) are in the decide-wakeups store: the clock stops at the first step at or
 *       after the earliest, and steps one at a time while one is due and not yet cleared;
 *   <li>the start-up sweep is empty (the replay's stores start empty); a round of evaluation cut
 *       at its time slice leaves destinations dirty — seen in the decide stage's
 *       {@code evaluation-slices-cut-total} metric, after which the clock steps once. If that
 *       metric cannot be found, the clock steps every step (never skips on a guess).
 * </ul>
 * Every other step's punctuation finds the same stale set, nothing due and nothing dirty: it
 * does nothing, and is skipped. Each clock move is a commit of the driver.
 */
final class ReplayDriver implements AutoCloseable {

  /** How the clock moves between records. */
  enum Clock { EVERY_STEP, WHEN_DUE }

  /** The replay's clock moves in steps no finer than this (timers resolve to it). */
  static final Duration MIN_STEP = Duration.ofSeconds(1);
  /** Outputs are read off the driver every this many records, so they never pile up. */
  private static final int DRAIN_EVERY = 256;
  private static final String SLICES_METRIC = "evaluation-slices-cut-total";
  private static final String SLICES_GROUP = "stream-meshfed-decide-metrics";

  private final TopologyConfig config;
  private final SchemaRegistryClient registry;
  private final MeshfedTopics topics;
  private final Clock mode;
  private final Consumer<FailoverDecision> decided;
  final Duration step;
  private final long stepMillis;
  private final Map<String, TestInputTopic<String, byte[]>> inputs = new HashMap<>();
  private TopologyTestDriver driver;
  private TestOutputTopic<String, FailoverDecision> decisions;
  private KeyValueStore<String, Long> wakeups;
  private Metric slices;
  private double slicesSeen;
  private long clock;
  /** A record was processed since the last punctuation: the next step's must run. */
  private boolean sinceLastPunctuation;
  private int sinceDrain;
  /** Records piped (each a pipeInput of the driver). */
  long piped;
  /** Clock moves (each a punctuation and a commit of the driver). */
  long clockMoves;

  ReplayDriver(TopologyConfig config, SchemaRegistryClient registry, MeshfedTopics topics,
      Clock mode, Consumer<FailoverDecision> decided) {
    this.config = config;
    this.registry = registry;
    this.topics = topics;
    this.mode = mode;
    this.decided = decided;
    this.step = config.punctuateInterval().compareTo(MIN_STEP) > 0
        ? config.punctuateInterval() : MIN_STEP;
    this.stepMillis = step.toMillis();
  }

  boolean started() {
    return driver != null;
  }

  void start(Instant at) {
    clock = onStep(at.toEpochMilli());
    driver = new TopologyTestDriver(
        MeshfedTopology.build(config, registry, MeshfedTopology.StoreKind.IN_MEMORY),
        StreamsSettings.from(config), Instant.ofEpochMilli(clock));
    decisions = driver.createOutputTopic(MeshfedTopics.FAILOVER_EVENTS,
        new StringDeserializer(), topics.failoverEvents().valueSerde().deserializer());
    wakeups = driver.getKeyValueStore(Stores.WAKEUPS);
    for (var e : driver.metrics().entrySet()) {
      if (e.getKey().name().equals(SLICES_METRIC) && e.getKey().group().equals(SLICES_GROUP)) {
        slices = e.getValue();
        slicesSeen = value(slices);
      }
    }
  }

  /** Pipes a record at its timestamp, the clock first moved to its step. */
  void pipe(String topic, String key, byte[] value, long timestamp) {
    advanceTo(timestamp);
    inputs.computeIfAbsent(topic, t -> driver.createInputTopic(t, new StringSerializer(),
        new ByteArraySerializer())).pipeInput(key, value, timestamp);
    piped++;
    sinceLastPunctuation = true;
    if (++sinceDrain >= DRAIN_EVERY) {
      drain();
    }
  }

  /** Moves the clock to the last whole step at or before {@code target} (epoch millis). */
  void advanceTo(long target) {
    long last = onStep(target);
    while (clock < last) {
      long next = Math.min(last, nextPunctuation());
      driver.advanceWallClockTime(Duration.ofMillis(next - clock));
      clock = next;
      clockMoves++;
      sinceLastPunctuation = false;
    }
  }

  /** The next step at which a punctuation can do anything (see the class comment). */
  private long nextPunctuation() {
    long next = clock + stepMillis;
    if (mode == Clock.EVERY_STEP || sinceLastPunctuation || slices == null) {
      return next;
    }
    double cut = value(slices);
    if (cut != slicesSeen) {
      slicesSeen = cut;
      return next; // destinations left dirty: the next punctuation evaluates them
    }
    long due = Long.MAX_VALUE;
    try (KeyValueIterator<String, Long> all = wakeups.all()) {
      while (all.hasNext()) {
        Long at = all.next().value;
        if (at != null && at < due) {
          due = at;
        }
      }
    }
    if (due == Long.MAX_VALUE) {
      return Long.MAX_VALUE;
    }
    // The first step at or after the wake-up (or the next step, if one is overdue).
    return Math.max(next, Math.floorDiv(due + stepMillis - 1, stepMillis) * stepMillis);
  }

  private static double value(Metric metric) {
    return metric.metricValue() instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  /** The whole step at or before {@code millis}. */
  private long onStep(long millis) {
    return Math.floorDiv(millis, stepMillis) * stepMillis;
  }

  /** Reads the decisions off the driver and drops every other output it holds. */
  void drain() {
    sinceDrain = 0;
    for (FailoverDecision d : decisions.readValuesToList()) {
      decided.accept(d);
    }
    for (String topic : driver.producedTopicNames()) {
      if (!topic.equals(MeshfedTopics.FAILOVER_EVENTS)) {
        driver.createOutputTopic(topic, new ByteArrayDeserializer(),
            new ByteArrayDeserializer()).readRecordsToList();
      }
    }
  }

  @Override
  public void close() {
    if (driver != null) {
      driver.close();
    }
  }
}
