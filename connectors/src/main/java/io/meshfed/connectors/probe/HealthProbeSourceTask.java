package io.meshfed.connectors.probe;

import io.meshfed.avro.HealthOutcome;
import io.meshfed.avro.HealthSignal;
import io.meshfed.connectors.Messages;
import io.meshfed.connectors.Version;
import io.meshfed.connectors.probe.HealthProbeSourceConfig.Target;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.topics.EventKeys;
import io.meshfed.topics.MeshfedTopics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/**
 * One probe round per interval (plus jitter): every target probed once, one HealthSignal each,
 * all or none. Probe results are live observations, so a round that cannot be written (the
 * registry is down) is dropped, not replayed: the next round measures afresh.
 */
public class HealthProbeSourceTask extends SourceTask {

  private final Clock clock;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private HealthProbeSourceConfig config;
  private Prober prober;
  private AvroSerde<HealthSignal> serde;
  private String topic;
  private Map<String, String> sourcePartition;
  private Instant nextRoundAt = Instant.EPOCH;

  public HealthProbeSourceTask() {
    this(Clock.systemUTC());
  }

  HealthProbeSourceTask(Clock clock) {
    this.clock = clock;
  }

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    config = new HealthProbeSourceConfig(props);
    prober = new Prober(config);
    serde = AvroSerde.of(HealthSignal.class, new SchemaRegistryClient(config.registry()));
    topic = MeshfedTopics.CLUSTER_TOPIC_PREFIX + config.cluster() + MeshfedTopics.EVENTS_SUFFIX;
    sourcePartition = Map.of("probe.cluster", config.cluster());
  }

  @Override
  public List<SourceRecord> poll() throws InterruptedException {
    Instant now = clock.instant();
    if (now.isBefore(nextRoundAt)) {
      long waitMs = Math.min(1_000, Duration.between(now, nextRoundAt).toMillis() + 1);
      stopped.await(waitMs, TimeUnit.MILLISECONDS);
      return null;
    }
    List<HealthOutcome> outcomes = prober.probeAll();
    Instant observedAt = clock.instant();
    List<SourceRecord> records = new ArrayList<>(outcomes.size());
    try {
      for (int i = 0; i < outcomes.size(); i++) {
        Target target = config.targets().get(i);
        HealthSignal signal = HealthSignal.newBuilder()
            .setNamespace(target.namespace()).setService(target.service())
            .setAddress(target.address()).setPort(target.port())
            .setOutcome(outcomes.get(i)).setTime(observedAt).build();
        String key = EventKeys.health(config.cluster(), target.namespace(), target.service(),
            target.address(), target.port());
        records.add(new SourceRecord(sourcePartition,
            Map.of("round.time.ms", observedAt.toEpochMilli()), topic, null, Schema.BYTES_SCHEMA,
            key.getBytes(StandardCharsets.UTF_8), Schema.BYTES_SCHEMA,
            serde.serialize(topic, signal), observedAt.toEpochMilli()));
      }
    } catch (RuntimeException e) {
      nextRoundAt = observedAt.plus(config.retryBackoff());
      throw new RetriableException(Messages.bounded("probe round at " + observedAt
          + " not written, no health signals: " + Messages.describe(e) + " (next round in "
          + config.retryBackoff().toMillis() + " ms)"));
    }
    long jitter = config.jitter().isZero() ? 0
        : ThreadLocalRandom.current().nextLong(config.jitter().toMillis() + 1);
    nextRoundAt = now.plus(config.interval()).plusMillis(jitter);
    return records;
  }

  @Override
  public void stop() {
    stopped.countDown();
    if (prober != null) {
      prober.close();
    }
  }
}
