package io.meshfed.connectors.probe;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.Endpoint;
import io.meshfed.avro.EndpointPort;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.HealthOutcome;
import io.meshfed.avro.HealthSignal;
import io.meshfed.avro.MeshKind;
import io.meshfed.avro.ServicePort;
import io.meshfed.avro.ServiceSnapshot;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/**
 * One probe round per interval (plus jitter): every target probed once, one HealthSignal each,
 * all or none. Probe results are live observations, so a round that cannot be written (the
 * registry is down) is dropped, not replayed: the next round measures afresh.
 *
 * <p>With {@code members.publish} the task is also the agent of its cluster for the declared
 * external members: a ClusterHeartbeat every round, and on the first round after each start a
 * ServiceSnapshot and EndpointSnapshot per declared service, plus tombstones for services the
 * last committed offset lists but the config no longer does.
 */
public class HealthProbeSourceTask extends SourceTask {

  /** Offset field listing the services published as members, so dropped ones get deleted. */
  static final String MEMBERS_OFFSET = "members";

  private final Clock clock;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private HealthProbeSourceConfig config;
  private Prober prober;
  private AvroSerde<SpecificRecord> serde;
  private String topic;
  private Map<String, String> sourcePartition;
  private Instant nextRoundAt = Instant.EPOCH;
  private Instant startedAt;
  private Instant failingSince;
  /** Services whose snapshots are in Kafka; null until the first round is written. */
  private Set<String> published;
  /** Services named in the last committed offset: those not declared any more are deleted. */
  private Set<String> previouslyPublished;

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
    serde = AvroSerde.anyRecord(new SchemaRegistryClient(config.registry()));
    topic = MeshfedTopics.CLUSTER_TOPIC_PREFIX + config.cluster() + MeshfedTopics.EVENTS_SUFFIX;
    sourcePartition = Map.of("probe.cluster", config.cluster());
    startedAt = clock.instant();
    previouslyPublished = Set.of();
    if (config.publishMembers() && context != null) {
      Map<String, Object> offset = context.offsetStorageReader().offset(sourcePartition);
      Object members = offset == null ? null : offset.get(MEMBERS_OFFSET);
      if (members instanceof String list && !list.isEmpty()) {
        previouslyPublished = new TreeSet<>(List.of(list.split(",")));
      }
    }
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
    Map<String, List<Target>> services = new TreeMap<>();
    for (Target target : config.targets()) {
      services.computeIfAbsent(target.namespace() + "/" + target.service(),
          s -> new ArrayList<>()).add(target);
    }
    Map<String, Object> offset = new HashMap<>();
    offset.put("round.time.ms", observedAt.toEpochMilli());
    if (config.publishMembers()) {
      offset.put(MEMBERS_OFFSET, String.join(",", services.keySet()));
    }
    List<SourceRecord> records = new ArrayList<>(outcomes.size());
    try {
      if (config.publishMembers()) {
        // The heartbeat first: the topology counts a cluster's endpoints only while it is fresh.
        records.add(record(offset, EventKeys.heartbeat(config.cluster()), heartbeat(observedAt),
            observedAt));
        if (published == null) {
          // Snapshots on the first round after a (re)start, which a config change also causes;
          // the topic is compacted, so they stay until replaced or deleted.
          for (String gone : previouslyPublished) {
            if (!services.containsKey(gone)) {
              String[] ref = gone.split("/", 2);
              records.add(record(offset, EventKeys.service(config.cluster(), ref[0], ref[1]),
                  null, observedAt));
              records.add(record(offset, EventKeys.endpoints(config.cluster(), ref[0], ref[1]),
                  null, observedAt));
            }
          }
          for (List<Target> targets : services.values()) {
            Target first = targets.get(0);
            records.add(record(offset, EventKeys.service(config.cluster(), first.namespace(),
                first.service()), serviceSnapshot(first), observedAt));
            records.add(record(offset, EventKeys.endpoints(config.cluster(), first.namespace(),
                first.service()), endpointSnapshot(targets), observedAt));
          }
        }
      }
      for (int i = 0; i < outcomes.size(); i++) {
        Target target = config.targets().get(i);
        HealthSignal signal = HealthSignal.newBuilder()
            .setNamespace(target.namespace()).setService(target.service())
            .setAddress(target.address()).setPort(target.port())
            .setOutcome(outcomes.get(i)).setTime(observedAt).build();
        records.add(record(offset, EventKeys.health(config.cluster(), target.namespace(),
            target.service(), target.address(), target.port()), signal, observedAt));
      }
    } catch (RuntimeException e) {
      nextRoundAt = observedAt.plus(config.retryBackoff());
      if (failingSince == null) {
        failingSince = observedAt;
      }
      String message = Messages.bounded("probe round at " + observedAt
          + " not written, no health signals: " + Messages.describe(e) + " (next round in "
          + config.retryBackoff().toMillis() + " ms)");
      if (config.failAfter().isPresent()
          && !Duration.between(failingSince, observedAt).minus(config.failAfter().get())
              .isNegative()) {
        // A RUNNING task's retries show only in the worker log; FAILED shows in the status API.
        throw new ConnectException(Messages.bounded("no probe round written for "
            + Duration.between(failingSince, observedAt).toMillis() + " ms ("
            + HealthProbeSourceConfig.FAIL_AFTER_MS + "); last error: " + message));
      }
      throw new RetriableException(message);
    }
    failingSince = null;
    published = services.keySet();
    long jitter = config.jitter().isZero() ? 0
        : ThreadLocalRandom.current().nextLong(config.jitter().toMillis() + 1);
    nextRoundAt = now.plus(config.interval()).plusMillis(jitter);
    return records;
  }

  private SourceRecord record(Map<String, Object> offset, String key, SpecificRecord value,
      Instant time) {
    return new SourceRecord(sourcePartition, offset, topic, null, Schema.BYTES_SCHEMA,
        key.getBytes(StandardCharsets.UTF_8), Schema.OPTIONAL_BYTES_SCHEMA,
        value == null ? null : serde.serialize(topic, value), time.toEpochMilli());
  }

  private ClusterHeartbeat heartbeat(Instant now) {
    return ClusterHeartbeat.newBuilder().setAgentVersion("meshfed-connectors/" + Version.get())
        .setRegion(config.memberRegion()).setZones(config.memberZones())
        .setMeshKind(MeshKind.UNKNOWN_MESH).setLabels(Map.of()).setTime(now)
        .setStartedAt(startedAt).build();
  }

  private ServiceSnapshot serviceSnapshot(Target target) {
    // A stable uid: the same declaration is the same service across restarts.
    String uid = "external:" + config.cluster() + "/" + target.namespace() + "/"
        + target.service();
    return ServiceSnapshot.newBuilder().setNamespace(target.namespace())
        .setName(target.service()).setUid(uid).setCreationTimestamp(config.membersCreated())
        .setLabels(config.memberLabels())
        .setPorts(List.of(new ServicePort(config.memberPortName(), target.port(), "TCP", null)))
        .setKind(config.memberKind())
        .build();
  }

  private EndpointSnapshot endpointSnapshot(List<Target> targets) {
    Target first = targets.get(0);
    // Declared endpoints are ready; their probes' HealthSignals feed outlier detection, which
    // ejects a failing one exactly as it ejects a pod answering 5xx.
    List<Endpoint> endpoints = targets.stream().map(t -> Endpoint.newBuilder()
        .setAddresses(List.of(t.address())).setReady(true).setServing(true)
        .setTerminating(false).setRegion(config.memberRegion()).build()).toList();
    return EndpointSnapshot.newBuilder().setNamespace(first.namespace())
        .setServiceName(first.service())
        .setPorts(List.of(new EndpointPort(config.memberPortName(), first.port(), "TCP", null)))
        .setEndpoints(endpoints).build();
  }

  @Override
  public void stop() {
    stopped.countDown();
    if (prober != null) {
      prober.close();
    }
  }
}
