package io.meshfed.topology.decide;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.internal.AckFrom;
import io.meshfed.avro.internal.ControlEvent;
import io.meshfed.avro.internal.MemberUpdate;
import io.meshfed.rules.health.OutlierPolicies;
import io.meshfed.rules.model.Resource;
import io.meshfed.topology.config.TopologyConfig;
import io.meshfed.topology.decide.DecideMetrics.Cause;
import io.meshfed.topology.decide.handover.Handovers;
import io.meshfed.topology.lag.EventsLag;
import io.meshfed.topology.state.Stores;
import io.meshfed.topology.commit.CommitOnDrain;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Third stage, keyed by destination: routes each input to the part that keeps it, and
 * re-evaluates the destinations the input can change — only those, and only the ones this task
 * owns (specs, policies and heartbeats arrive broadcast to every task; a destination is owned by
 * the task {@link DestinationPartitioner#partitionOf} names). A wall-clock punctuator turns the
 * passing of time into decisions: clusters going stale, outlier ejections ending, failback
 * damping maturing.
 *
 * <p><b>Coalescing.</b> An input marks the destinations it can change dirty; they are evaluated
 * once each when the task has processed everything the stream thread's last poll returned for
 * its partitions ({@link CommitOnDrain#drained}), before the thread's group commit asks for a
 * commit, and at every punctuation. A burst — a zone outage sends several member updates per
 * destination, a fleet's agents ack a decision one by one — costs one evaluation per destination
 * per batch, not one per record. Without a counted poll (TopologyTestDriver) the task is drained
 * after every record and evaluation is synchronous.
 *
 * <p>Streams may commit while destinations are still dirty (the commit interval, a rebalance):
 * their inputs are in the stores, committed, but not yet evaluated, and a crash or a move of the
 * task would forget them. So a task that starts (a new processor: first start, restart, or a
 * task moved here) sweeps every destination it owns once, in slices per punctuation.
 * Evaluation is idempotent — nothing is sent unless a decision changes — so the sweep costs
 * CPU, not output.
 *
 * <p>The parts, one reason to change each: {@link DestinationCatalog} (specs and policies),
 * {@link ClusterView} (heartbeats, staleness), {@link MemberTable} (members, endpoints, outlier
 * state), {@link DestinationEvaluator} (feeding the rules; writes nothing) and
 * {@link DecisionLedger} (what was decided and sent; the only writer). Every rule is in the
 * rules module.
 */
public final class DecideProcessor
    implements Processor<String, SpecificRecord, String, SpecificRecord> {

  private final TopologyConfig config;
  private ProcessorContext<String, SpecificRecord> context;
  private DestinationCatalog catalog;
  private ClusterView clusters;
  private MemberTable members;
  private DecisionLedger ledger;
  private DestinationEvaluator evaluator;
  private Handovers handovers;
  private PolicyStatusPublisher policyStatuses;
  /** Destinations an input changed, evaluated once when the task's inputs are drained. */
  private final Set<String> dirty = new LinkedHashSet<>();
  /** Owned destinations the start-up sweep has not evaluated yet. */
  private final Deque<String> sweep = new ArrayDeque<>();
  /** The task's input partitions, for {@link CommitOnDrain#drained}. */
  private List<TopicPartition> inputs;
  private DecideMetrics metrics;

  /**
   * The longest one round of evaluation runs before the thread may commit: a tenth of the
   * producer's {@code transaction.timeout.ms} (Streams' 10 s: 1 s). With exactly-once everything
   * between two commits is one transaction, and the coordinator aborts a transaction open longer
   * than its timeout: 1,000 FailoverServices visible to 100 clusters applied at once are 100,000
   * decisions, which a loaded machine did not finish in 10 s — the abort replayed the same batch,
   * which timed out again. A slice keeps each transaction's share of evaluation short; what is
   * left stays dirty and is evaluated at the next drain or punctuation.
   */
  private long sliceNanos;

  /**
   * Holds evaluation while a burst of expensive evaluations is read; an evaluation is expensive
   * when a thousand fill a slice (1 ms with Streams' transaction timeout).
   */
  private BurstHold burstHold;

  /** Streams' producer default with exactly-once. */
  static final long STREAMS_TRANSACTION_TIMEOUT_MS = 10_000;

  /** Destinations the start-up sweep evaluates per punctuation. */
  static final int SWEEP_PER_PUNCTUATION = 2_000;

  public DecideProcessor(TopologyConfig config) {
    this.config = config;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    catalog = new DestinationCatalog(context.getStateStore(Stores.DESTINATIONS),
        context.getStateStore(Stores.POLICIES));
    clusters = new ClusterView(context.getStateStore(Stores.CLUSTERS), config.heartbeatTtl());
    members = new MemberTable(context.getStateStore(Stores.MEMBER_SERVICES),
        context.getStateStore(Stores.MEMBER_ENDPOINTS), context.getStateStore(Stores.OUTLIERS));
    ledger = new DecisionLedger(context, new Outputs(context));
    policyStatuses = new PolicyStatusPublisher(catalog, ledger, this::owns);
    handovers = new Handovers(config.handoverWait(), context.getStateStore(Stores.HANDOVERS));
    evaluator = new DestinationEvaluator(config, catalog, clusters, members, ledger,
        cluster -> EventsLag.isBehind(context.applicationId(), cluster), handovers);
    metrics = new DecideMetrics(context.metrics(), context.taskId().toString());
    sliceNanos = transactionTimeoutMs(context.appConfigs()) * 100_000L;
    burstHold = new BurstHold(Duration.ofNanos(sliceNanos / 1_000), metrics::burstHoldBegun);
    int partition = context.taskId().partition();
    inputs = INPUT_REPARTITIONS.stream().map(name -> new TopicPartition(
        context.applicationId() + "-" + name + "-repartition", partition)).toList();
    for (String destination : catalog.keys()) {
      if (owns(destination)) {
        sweep.add(destination);
      }
    }
    context.schedule(config.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, this::onTimer);
  }

  /** The repartition topics the decide stage reads (see MeshfedTopology). */
  static final List<String> INPUT_REPARTITIONS = List.of("by-destination", "acks", "control");

  @Override
  public void process(Record<String, SpecificRecord> record) {
    Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
    SpecificRecord value = record.value();
    if (value instanceof ControlEvent control && control.getEvent() instanceof PolicyEvent event) {
      if (isDestination(event)) {
        onDestination(record.key(), control, now);
      } else {
        onPolicy(record.key(), control, now);
      }
    } else if (value instanceof ControlEvent control) {
      if (clusters.onHeartbeat(control.getSourceCluster(), (ClusterHeartbeat) control.getEvent(),
          now)) {
        evaluateOwned(catalog.keys(), Cause.HEARTBEAT);
      }
    } else if (value instanceof MemberUpdate update) {
      String destination = record.key();
      if (members.apply(destination, update, () -> outlierSettings(destination), now)) {
        mark(destination, Cause.MEMBER);
      }
    } else if (value instanceof AckFrom ack) {
      if (ledger.onAck(record.key(), ack, clusters.restartEpoch(ack.getCluster()))) {
        mark(record.key(), Cause.ACK);
      }
    } else {
      throw new IllegalArgumentException("decide stage cannot handle "
          + (value == null ? "a tombstone" : value.getSchema().getFullName()));
    }
    if (CommitOnDrain.drained(inputs) && !burstHold.holding(
        CommitOnDrain.recentPollSize(inputs, BurstHold.RECENT_POLL), now)) {
      evaluateDirty(now);
    }
  }

  /**
   * Evaluates every dirty destination once. One that fails does not stop the others; the first
   * failure is rethrown afterwards, so the record being processed is dead-lettered with it and
   * the stage goes on.
   */
  private void evaluateDirty(Instant now) {
    policyStatuses.publishDirty(now);
    RuntimeException failure = null;
    long started = System.nanoTime();
    long deadline = started + sliceNanos;
    int evaluated = 0;
    while (!dirty.isEmpty()) {
      if (System.nanoTime() - deadline > 0) {
        // The rest stays dirty for the next drain or punctuation; commit what is done first.
        context.commit();
        metrics.sliced();
        break;
      }
      Iterator<String> next = dirty.iterator();
      String destination = next.next();
      next.remove();
      try {
        evaluate(destination, now);
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
      evaluated++;
    }
    burstHold.evaluated(evaluated, System.nanoTime() - started);
    if (failure != null) {
      throw failure;
    }
  }

  private void onDestination(String key, ControlEvent control, Instant now) {
    ParsedDestination before = catalog.get(key);
    DestinationCatalog.DestinationChange change = catalog.putDestination(key, control, now);
    if (change == null) {
      return; // an older generation arriving late
    }
    ParsedDestination after = catalog.get(key);
    policyStatuses.onDestination(key, before == null ? null : before.resource().meta(),
        after == null ? null : after.resource().meta());
    PolicyEvent event = (PolicyEvent) control.getEvent();
    if (event.getSpec() == null && owns(key) && change.existed()) {
      ledger.withdrawStatus(key, control.getSourceCluster(), ref(event), now);
    }
    evaluateOwned(change.affected(), Cause.SPEC);
  }

  private void onPolicy(String key, ControlEvent control, Instant now) {
    List<String> matched = new ArrayList<>(catalog.putPolicy(key, control));
    policyStatuses.onPolicy(key, control, now);
    evaluateOwned(matched, Cause.POLICY);
  }

  private void onTimer(long wallClockMillis) {
    Instant now = Instant.ofEpochMilli(wallClockMillis);
    if (clusters.recheckStaleness(now,
        cluster -> EventsLag.isBehind(context.applicationId(), cluster))) {
      evaluateOwned(catalog.keys(), Cause.STALENESS);
      sweep.clear();
    } else {
      ledger.wakeups().forEach((destination, at) -> {
        if (at <= wallClockMillis) {
          mark(destination, Cause.WAKEUP);
        }
      });
      for (int i = 0; i < SWEEP_PER_PUNCTUATION && !sweep.isEmpty(); i++) {
        mark(sweep.poll(), Cause.SWEEP);
      }
    }
    if (!burstHold.holding(
        CommitOnDrain.recentPollSize(inputs, BurstHold.RECENT_POLL), now)) {
      evaluateDirty(now);
    }
  }

  /** The producer's transaction timeout as Streams will configure it. */
  static long transactionTimeoutMs(java.util.Map<String, Object> appConfigs) {
    for (String key : List.of("producer.transaction.timeout.ms", "transaction.timeout.ms")) {
      Object value = appConfigs.get(key);
      if (value != null) {
        return Math.max(1, Long.parseLong(value.toString()));
      }
    }
    return STREAMS_TRANSACTION_TIMEOUT_MS;
  }

  private io.meshfed.rules.health.OutlierSettings outlierSettings(String destination) {
    ParsedDestination dest = catalog.get(destination);
    return dest == null ? null : OutlierPolicies.forDestination(dest.resource().meta(),
        catalog.validPolicies(Resource.OutlierDetectionPolicy.class)).settings();
  }

  private void evaluateOwned(Collection<String> destinations, Cause cause) {
    int marked = 0;
    for (String destination : destinations) {
      if (owns(destination)) {
        dirty.add(destination);
        marked++;
      }
    }
    metrics.marked(cause, marked);
  }

  private void mark(String destination, Cause cause) {
    dirty.add(destination);
    metrics.marked(cause, 1);
  }

  private void evaluate(String destination, Instant now) {
    Evaluation evaluation = evaluator.evaluate(destination, now);
    ledger.apply(evaluation, now);
    handovers.commit(destination);
    metrics.evaluated(evaluation.decisions());
  }

  @Override
  public void close() {
    if (metrics != null) {
      metrics.close(context.metrics());
    }
  }

  private boolean owns(String destinationKey) {
    return DestinationPartitioner.partitionOf(destinationKey, config.partitions())
        == context.taskId().partition();
  }

  private static boolean isDestination(PolicyEvent event) {
    return event.getKind() == ResourceKind.FailoverService
        || event.getKind() == ResourceKind.VirtualDestination;
  }

  private static ResourceRef ref(PolicyEvent event) {
    return new ResourceRef(event.getKind(), event.getNamespace(), event.getName());
  }
}
