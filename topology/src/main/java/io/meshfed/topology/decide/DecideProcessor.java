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
import io.meshfed.rules.status.StatusRules;
import io.meshfed.rules.validation.Validator;
import io.meshfed.topology.config.TopologyConfig;
import io.meshfed.topology.lag.EventsLag;
import io.meshfed.topology.state.Stores;
import io.meshfed.topology.commit.CommitOnDrain;
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
  /** Destinations an input changed, evaluated once when the task's inputs are drained. */
  private final Set<String> dirty = new LinkedHashSet<>();
  /** Owned destinations the start-up sweep has not evaluated yet. */
  private final Deque<String> sweep = new ArrayDeque<>();
  /** The task's input partitions, for {@link CommitOnDrain#drained}. */
  private List<TopicPartition> inputs;

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
    evaluator = new DestinationEvaluator(config, catalog, clusters, members, ledger,
        cluster -> EventsLag.isBehind(context.applicationId(), cluster));
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
        evaluateOwned(catalog.keys());
      }
    } else if (value instanceof MemberUpdate update) {
      String destination = record.key();
      if (members.apply(destination, update, () -> outlierSettings(destination), now)) {
        dirty.add(destination);
      }
    } else if (value instanceof AckFrom ack) {
      if (ledger.onAck(record.key(), ack, clusters.restartEpoch(ack.getCluster()))) {
        dirty.add(record.key());
      }
    } else {
      throw new IllegalArgumentException("decide stage cannot handle "
          + (value == null ? "a tombstone" : value.getSchema().getFullName()));
    }
    if (CommitOnDrain.drained(inputs)) {
      evaluateDirty(now);
    }
  }

  /**
   * Evaluates every dirty destination once. One that fails does not stop the others; the first
   * failure is rethrown afterwards, so the record being processed is dead-lettered with it and
   * the stage goes on.
   */
  private void evaluateDirty(Instant now) {
    RuntimeException failure = null;
    while (!dirty.isEmpty()) {
      Iterator<String> next = dirty.iterator();
      String destination = next.next();
      next.remove();
      try {
        evaluate(destination, now);
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void onDestination(String key, ControlEvent control, Instant now) {
    DestinationCatalog.DestinationChange change = catalog.putDestination(key, control, now);
    if (change == null) {
      return; // an older generation arriving late
    }
    PolicyEvent event = (PolicyEvent) control.getEvent();
    if (event.getSpec() == null && owns(key) && change.existed()) {
      ledger.withdrawStatus(key, control.getSourceCluster(), ref(event), now);
    }
    evaluateOwned(change.affected());
  }

  private void onPolicy(String key, ControlEvent control, Instant now) {
    PolicyEvent event = (PolicyEvent) control.getEvent();
    List<String> matched = new ArrayList<>(catalog.putPolicy(key, control));
    if (owns(key)) {
      if (event.getSpec() == null) {
        ledger.withdrawStatus(key, control.getSourceCluster(), ref(event), now);
      } else {
        Resource policy = AvroMapping.resource(event);
        ledger.publishStatus(key, control.getSourceCluster(),
            StatusRules.forPolicy(policy.meta(), Validator.validate(policy)), event.getUid(), now);
      }
    }
    evaluateOwned(matched);
  }

  private void onTimer(long wallClockMillis) {
    Instant now = Instant.ofEpochMilli(wallClockMillis);
    if (clusters.recheckStaleness(now,
        cluster -> EventsLag.isBehind(context.applicationId(), cluster))) {
      evaluateOwned(catalog.keys());
      sweep.clear();
    } else {
      ledger.wakeups().forEach((destination, at) -> {
        if (at <= wallClockMillis) {
          dirty.add(destination);
        }
      });
      for (int i = 0; i < SWEEP_PER_PUNCTUATION && !sweep.isEmpty(); i++) {
        dirty.add(sweep.poll());
      }
    }
    evaluateDirty(now);
  }

  private io.meshfed.rules.health.OutlierSettings outlierSettings(String destination) {
    ParsedDestination dest = catalog.get(destination);
    return dest == null ? null : OutlierPolicies.forDestination(dest.resource().meta(),
        catalog.validPolicies(Resource.OutlierDetectionPolicy.class)).settings();
  }

  private void evaluateOwned(Collection<String> destinations) {
    for (String destination : destinations) {
      if (owns(destination)) {
        dirty.add(destination);
      }
    }
  }

  private void evaluate(String destination, Instant now) {
    ledger.apply(evaluator.evaluate(destination, now), now);
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
