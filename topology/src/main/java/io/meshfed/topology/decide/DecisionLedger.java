package io.meshfed.topology.decide;

import io.meshfed.avro.ConfigAck;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ReasonCode;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.TrafficSplit;
import io.meshfed.avro.internal.AckFrom;
import io.meshfed.rules.decision.DecisionState;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.status.ClusterAck;
import io.meshfed.rules.status.ResourceStatus;
import io.meshfed.rules.status.RestartEpochs;
import io.meshfed.topology.RoutingKeys;
import io.meshfed.topology.decide.Evaluation.Decided;
import io.meshfed.topology.decide.Evaluation.Outcome;
import io.meshfed.topology.decide.Evaluation.Retired;
import io.meshfed.topology.state.Stores;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The decide stage's memory of what it decided and sent, and the only place that writes it:
 * decision state per destination and client, the destination's epoch, the queryable decision
 * log, statuses, acks and wake-up times. {@link #apply} turns an {@link Evaluation} into store
 * writes and output records.
 *
 * <p>Writes only what changed: an unchanged decision state, status or wake-up is neither
 * encoded nor written; the epoch is written once per evaluation, not once per decision; the
 * decisions of an evaluation go to the queryable history as a few chunks, not one record each
 * ({@link DecisionHistory}). Reads go through views kept beside the stores, rebuilt when a
 * task's processor is created (a revived or migrated task gets a new one), so they cannot
 * drift from the store the task owns.
 *
 * <p>One reason to change: what the stage remembers and how it is written.
 */
final class DecisionLedger {

  private static final StringSerializer KEYS = new StringSerializer();

  private final DecisionMemory decisions;
  /**
   * Epoch floors, read only: the epochs a standby's takeover seeded ({@code TakeoverEpochs}) and
   * those written before the epoch moved into the clients' record ({@link DecisionMemory}).
   */
  private final KeyValueStore<String, Long> epochFloors;
  private final DecisionHistory history;
  /** The decisions of the evaluation being applied, for {@link #history}. */
  private final List<FailoverDecision> made = new ArrayList<>();
  private final KeyValueStore<String, ConfigAck> acks;
  private final KeyValueStore<String, PolicyStatus> statuses;
  private final ConfigFanOut fanOut = new ConfigFanOut();
  private final KeyValueStore<String, Long> wakeups;
  private final Outputs out;

  private final Map<String, Long> floorView = new HashMap<>();
  private final Map<String, Long> wakeupView = new HashMap<>();
  private final Map<String, PolicyStatus> statusView = new HashMap<>();
  private final Map<String, Map<String, ClusterAck>> ackView = new HashMap<>();
  /**
   * What this processor last published per resource, as the rules computed it: an evaluation
   * whose status is unchanged (most of them: an endpoint flip changes a decision, not a status)
   * is recognised without building, copying and comparing the Avro record.
   */
  private final Map<String, Published> publishedView = new HashMap<>();

  private record Published(ResourceStatus status, String uid, String sourceCluster) {}

  DecisionLedger(ProcessorContext<String, ?> context, Outputs out) {
    this.decisions = new DecisionMemory(context);
    this.epochFloors = context.getStateStore(Stores.EPOCHS);
    this.history = new DecisionHistory(context.getStateStore(Stores.DECISION_LOG));
    this.acks = context.getStateStore(Stores.ACKS);
    this.statuses = context.getStateStore(Stores.STATUSES);
    this.wakeups = context.getStateStore(Stores.WAKEUPS);
    this.out = out;
    try (KeyValueIterator<String, Long> all = wakeups.all()) {
      all.forEachRemaining(kv -> wakeupView.put(kv.key, kv.value));
    }
  }

  /** The destination's decision state per client cluster (read-only). */
  Map<String, DecisionState> states(String destination) {
    return Collections.unmodifiableMap(decisions.states(destination));
  }

  /** The destination's last epoch: the one stored with its clients, or a floor above it. */
  long lastEpoch(String destination) {
    long floor = floorView.computeIfAbsent(destination, d -> {
      Long seeded = epochFloors.get(d);
      return seeded == null ? 0L : seeded;
    });
    return Math.max(decisions.lastEpoch(destination), floor);
  }

  /** The destination's acks by cluster: the view, loaded once. */
  Map<String, ClusterAck> acks(String destination) {
    return ackView.computeIfAbsent(destination, d -> {
      Map<String, ClusterAck> byCluster = new HashMap<>();
      try (KeyValueIterator<String, ConfigAck> it = acks.prefixScan(RoutingKeys.prefix(d), KEYS)) {
        it.forEachRemaining(kv -> {
          String cluster = RoutingKeys.rest(kv.key);
          byCluster.put(cluster, clusterAck(cluster, kv.value));
        });
      }
      return byCluster;
    });
  }

  /**
   * Records an ack, unless it is fenced: it comes from an agent restart epoch older than the
   * cluster's ({@code clusterRestartEpoch}, from its heartbeats) or than the stored ack's — an
   * agent since replaced. False when fenced.
   */
  boolean onAck(String destination, AckFrom ack, long clusterRestartEpoch) {
    ClusterAck stored = acks(destination).get(ack.getCluster());
    if (RestartEpochs.isStale(ack.getAck().getRestartEpoch(), clusterRestartEpoch,
        stored == null ? RestartEpochs.UNKNOWN : stored.restartEpoch())) {
      return false;
    }
    acks.put(RoutingKeys.join(destination, ack.getCluster()), ack.getAck());
    acks(destination).put(ack.getCluster(), clusterAck(ack.getCluster(), ack.getAck()));
    return true;
  }

  /** Wake-up times by destination (read-only). */
  Map<String, Long> wakeups() {
    return Collections.unmodifiableMap(wakeupView);
  }

  /** Writes and sends what an evaluation decided. */
  void apply(Evaluation evaluation, Instant now) {
    made.clear(); // left over only if the last evaluation failed half-way
    fanOut.reset();
    String destination = evaluation.destination();
    Map<String, DecisionState> changed = new HashMap<>();
    List<String> retired = new ArrayList<>();
    for (Outcome outcome : evaluation.outcomes()) {
      if (outcome instanceof Retired r) {
        retire(destination, r, now);
        retired.add(r.client());
      } else if (outcome instanceof Decided d) {
        if (d.stateChanged()) {
          changed.put(d.client(), d.result().state());
        }
        d.result().decision().ifPresent(decided -> {
          FederatedDestination config = fanOut.federatedDestination(decided.config(), now);
          config.setClientMode(evaluation.clientMode());
          out.config(d.client(), RoutingKeys.configKey(AvroMapping.ref(decided.destination())),
              config, now);
          FailoverDecision decision = AvroMapping.decision(decided);
          if (!d.reasonSuffix().isEmpty()) {
            decision.setReason(decision.getReason() + d.reasonSuffix());
          }
          record(decision, now);
        });
      }
    }
    history.append(destination, made);
    made.clear();
    decisions.update(destination, changed, retired, evaluation.lastEpoch());
    if (evaluation.status() == null) {
      decisions.forget(destination);
      setWakeup(destination, null);
      return;
    }
    setWakeup(destination, evaluation.wakeAt() == null ? null
        : evaluation.wakeAt().toEpochMilli());
    Evaluation.StatusUpdate status = evaluation.status();
    publishStatus(destination, status.sourceCluster(), status.status(), status.uid(), now);
  }

  /** Publishes a resource's status to its source cluster when it differs from the last one. */
  void publishStatus(String key, String sourceCluster, ResourceStatus status, String uid,
      Instant now) {
    Published published = new Published(status, uid, sourceCluster);
    if (published.equals(publishedView.get(key))) {
      return;
    }
    publishedView.put(key, published);
    PolicyStatus next = AvroMapping.status(status, uid, now);
    PolicyStatus last = statusView.computeIfAbsent(key, statuses::get);
    if (last != null) {
      AvroMapping.keepTransitionTimes(last, next);
    }
    if (last != null && sameButTime(last, next)) {
      return;
    }
    statuses.put(key, next);
    statusView.put(key, next);
    out.config(sourceCluster, RoutingKeys.statusKey(next.getResource()), next, now);
  }

  private static boolean sameButTime(PolicyStatus last, PolicyStatus next) {
    Instant time = next.getTime();
    next.setTime(last.getTime());
    boolean same = last.equals(next);
    next.setTime(time);
    return same;
  }

  /** The resource was deleted: a tombstone for its status, and its status forgotten. */
  void withdrawStatus(String key, String sourceCluster, ResourceRef ref, Instant now) {
    out.config(sourceCluster, RoutingKeys.statusKey(ref), null, now);
    statuses.delete(key);
    statusView.remove(key);
    publishedView.remove(key);
  }

  private void retire(String destination, Retired r, Instant now) {
    ResourceRef ref = AvroMapping.ref(ResourceId.parse(destination));
    out.config(r.client(), RoutingKeys.configKey(ref), null, now);
    record(FailoverDecision.newBuilder()
        .setDestination(ref).setClientCluster(r.client()).setEpoch(r.epoch())
        .setBefore(AvroMapping.split(r.state().split()))
        .setAfter(new TrafficSplit(-1, List.of()))
        .setReasonCode(ReasonCode.DESTINATION_REMOVED)
        .setReason("destination " + destination + " was deleted, became invalid or is no longer"
            + " visible to " + r.client() + ": its config is withdrawn")
        .setPolicyGeneration(r.state().config().generation())
        .setTime(now).build(), now);
  }

  /**
   * Sends a decision; the evaluation's decisions go to the destination's history together, as
   * chunks, when the evaluation is applied ({@link DecisionHistory}).
   */
  private void record(FailoverDecision decision, Instant now) {
    out.decision(decision, now);
    made.add(decision);
  }

  private void setWakeup(String destination, Long at) {
    if (Objects.equals(wakeupView.get(destination), at)) {
      return;
    }
    if (at == null) {
      wakeups.delete(destination);
      wakeupView.remove(destination);
    } else {
      wakeups.put(destination, at);
      wakeupView.put(destination, at);
    }
  }

  private static ClusterAck clusterAck(String cluster, ConfigAck a) {
    return new ClusterAck(cluster, a.getPolicyGeneration(), a.getEpoch(),
        a.getOutcome() == io.meshfed.avro.AckResult.APPLIED, a.getMessage(),
        a.getRestartEpoch());
  }
}
