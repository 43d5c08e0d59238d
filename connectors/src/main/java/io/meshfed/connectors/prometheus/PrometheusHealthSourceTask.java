package io.meshfed.connectors.prometheus;

import io.meshfed.avro.HealthSignal;
import io.meshfed.connectors.Messages;
import io.meshfed.connectors.Version;
import io.meshfed.connectors.prometheus.PrometheusClient.QueryFailedException;
import io.meshfed.connectors.prometheus.SeriesMapper.ClusterSignal;
import io.meshfed.connectors.prometheus.SeriesMapper.Mapped;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.topics.MeshfedTopics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates the health query once per epoch-aligned window and emits one HealthSignal per
 * endpoint and window, in the Confluent wire format the agents write.
 *
 * <p>Windows: the window ending at {@code t} is evaluated at Prometheus time {@code t} once
 * {@code t + evaluation.delay} has passed. The end of the last emitted window is the source
 * offset, so a restarted task continues with the next window: none is repeated (unless the
 * worker died between sending and committing, Connect's at-least-once), none skipped (up to
 * {@code max.catchup.windows}).
 *
 * <p>Failures: a window is all or nothing. If the query fails, the answer is garbage or the
 * registry cannot give the schema id, nothing is emitted for it (no false health), the offset
 * does not move, and the same window is tried again after {@code retry.backoff.ms}: Connect
 * logs the {@link RetriableException} and keeps the task running. After {@code fail.after.ms}
 * of failures the task fails with the last error, which the status API shows.
 */
public class PrometheusHealthSourceTask extends SourceTask {

  private static final Logger log = LoggerFactory.getLogger(PrometheusHealthSourceTask.class);

  /** Source offset field: end of the last emitted window, epoch ms. */
  static final String OFFSET_WINDOW_END = "window.end.ms";
  /** Longest a poll blocks, so the worker can stop the task promptly. */
  private static final long MAX_POLL_WAIT_MS = 1_000;

  private final Clock clock;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private PrometheusHealthSourceConfig config;
  private PrometheusClient prometheus;
  private SeriesMapper mapper;
  private AvroSerde<HealthSignal> serde;
  private Map<String, String> sourcePartition;
  private Instant lastEmittedWindowEnd;
  private Instant nextAttemptAt = Instant.EPOCH;
  private Instant failingSince;

  public PrometheusHealthSourceTask() {
    this(Clock.systemUTC());
  }

  PrometheusHealthSourceTask(Clock clock) {
    this.clock = clock;
  }

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    config = new PrometheusHealthSourceConfig(props);
    prometheus = new PrometheusClient(config.prometheusUrl(), config.requestTimeout(),
        config.maxResponseBytes());
    mapper = new SeriesMapper(config);
    serde = AvroSerde.of(HealthSignal.class, new SchemaRegistryClient(config.registry()));
    // One partition per server and query: a connector re-pointed at another Prometheus or
    // query starts afresh instead of resuming someone else's windows.
    sourcePartition = Map.of("prometheus.url", config.prometheusUrl().toString(),
        "prometheus.query", config.query());
    Map<String, Object> offset = context == null ? null
        : context.offsetStorageReader().offset(sourcePartition);
    if (offset != null && offset.get(OFFSET_WINDOW_END) instanceof Number end) {
      lastEmittedWindowEnd = Instant.ofEpochMilli(end.longValue());
      log.info("Resuming health windows after {}", lastEmittedWindowEnd);
    }
  }

  @Override
  public List<SourceRecord> poll() throws InterruptedException {
    Instant now = clock.instant();
    Instant window = nextWindowEnd(now);
    Instant dueAt = window.plus(config.evaluationDelay());
    Instant wakeAt = dueAt.isAfter(nextAttemptAt) ? dueAt : nextAttemptAt;
    if (now.isBefore(wakeAt)) {
      long waitMs = Math.min(MAX_POLL_WAIT_MS, Duration.between(now, wakeAt).toMillis() + 1);
      stopped.await(waitMs, TimeUnit.MILLISECONDS);
      return null;
    }
    try {
      List<SourceRecord> records = evaluate(window);
      lastEmittedWindowEnd = window;
      if (failingSince != null) {
        log.info("Health windows resumed at {} after failing since {}", window, failingSince);
      }
      failingSince = null;
      nextAttemptAt = Instant.EPOCH;
      return records;
    } catch (QueryFailedException | RuntimeException e) {
      String message = Messages.bounded("no health signals for the window ending " + window
          + ": " + (e instanceof QueryFailedException ? e.getMessage() : Messages.describe(e)));
      if (failingSince == null) {
        failingSince = now;
      }
      nextAttemptAt = now.plus(config.retryBackoff());
      Duration failAfter = config.failAfter();
      if (failAfter != null && !Duration.between(failingSince, now).minus(failAfter).isNegative()) {
        throw new ConnectException(Messages.bounded("failing since " + failingSince + " (longer"
            + " than " + PrometheusHealthSourceConfig.FAIL_AFTER_MS + "): " + message));
      }
      throw new RetriableException(message + " (retrying in " + config.retryBackoff().toMillis()
          + " ms)");
    }
  }

  /**
   * The end of the window to evaluate next: the one after the last emitted, or, on a first start
   * or after too long a gap, the newest due window (minus the catch-up allowance).
   */
  private Instant nextWindowEnd(Instant now) {
    long windowMs = config.window().toMillis();
    long newestDue = Math.floorDiv(now.minus(config.evaluationDelay()).toEpochMilli(), windowMs)
        * windowMs;
    if (lastEmittedWindowEnd == null) {
      // First start: begin with the newest due window, and remember that choice, so that
      // if it fails it is the window emitted on recovery rather than a later one.
      lastEmittedWindowEnd = Instant.ofEpochMilli(newestDue - windowMs);
    }
    long next = Math.floorDiv(lastEmittedWindowEnd.toEpochMilli(), windowMs) * windowMs + windowMs;
    long oldestAllowed = newestDue - (config.maxCatchupWindows() - 1L) * windowMs;
    if (next < oldestAllowed) {
      log.warn("Skipping {} health windows from {} to {}: more than {} ({}) behind",
          (oldestAllowed - next) / windowMs, Instant.ofEpochMilli(next),
          Instant.ofEpochMilli(oldestAllowed - windowMs), config.maxCatchupWindows(),
          PrometheusHealthSourceConfig.MAX_CATCHUP_WINDOWS);
      next = oldestAllowed;
      // Remembered, so a window that keeps failing does not repeat this warning every poll.
      lastEmittedWindowEnd = Instant.ofEpochMilli(next - windowMs);
    }
    return Instant.ofEpochMilli(next);
  }

  /** All records of one window, or an exception and none. */
  private List<SourceRecord> evaluate(Instant windowEnd) throws QueryFailedException {
    Mapped mapped = mapper.map(prometheus.query(config.query(), windowEnd), windowEnd);
    if (mapped.skipped() > 0) {
      log.warn("Window ending {}: skipped {} series that name no endpoint, e.g. {}", windowEnd,
          mapped.skipped(), mapped.skipReasons());
    }
    Map<String, Long> offset = Map.of(OFFSET_WINDOW_END, windowEnd.toEpochMilli());
    List<SourceRecord> records = new ArrayList<>(mapped.signals().size());
    for (ClusterSignal signal : mapped.signals()) {
      String topic = MeshfedTopics.CLUSTER_TOPIC_PREFIX + signal.cluster()
          + MeshfedTopics.EVENTS_SUFFIX;
      // Serialized here, not by a converter: a registry failure then fails this window inside
      // the task, where it is retried with nothing emitted, and the bytes are those AvroSerde
      // gives the agents.
      byte[] value = serde.serialize(topic, signal.signal());
      records.add(new SourceRecord(sourcePartition, offset, topic, null, Schema.BYTES_SCHEMA,
          signal.key().getBytes(StandardCharsets.UTF_8), Schema.BYTES_SCHEMA, value,
          windowEnd.toEpochMilli()));
    }
    if (records.isEmpty()) {
      // Nothing to send means nothing to carry the offset; the window is still done, and a
      // restart re-evaluating it would emit nothing either.
      log.debug("Window ending {}: no endpoint had requests", windowEnd);
    } else {
      log.debug("Window ending {}: {} health signals", windowEnd, records.size());
    }
    return records;
  }

  @Override
  public void stop() {
    stopped.countDown();
  }
}
