package io.meshfed.topology.decide;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.ConfigAck;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.HealthOutcome;
import io.meshfed.avro.HealthSignal;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ReasonCode;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.avro.TrafficSplit;
import io.meshfed.avro.internal.AckFrom;
import io.meshfed.avro.internal.ControlEvent;
import io.meshfed.avro.internal.MemberUpdate;
import io.meshfed.rules.decision.DecideResult;
import io.meshfed.rules.decision.Decider;
import io.meshfed.rules.decision.DecisionInputs;
import io.meshfed.rules.decision.DecisionState;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.decision.EndpointInput;
import io.meshfed.rules.decision.MemberInput;
import io.meshfed.rules.decision.TierInput;
import io.meshfed.rules.health.HealthRules;
import io.meshfed.rules.health.OutlierDetector;
import io.meshfed.rules.health.OutlierPolicies;
import io.meshfed.rules.health.OutlierState;
import io.meshfed.rules.membership.Member;
import io.meshfed.rules.membership.Membership;
import io.meshfed.rules.membership.MembershipResult;
import io.meshfed.rules.model.ClusterInfo;
import io.meshfed.rules.model.Endpoint;
import io.meshfed.rules.model.Meta;
import io.meshfed.rules.model.PolicySelection;
import io.meshfed.rules.model.Resource;
import io.meshfed.rules.model.Service;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.split.SplitPolicy;
import io.meshfed.rules.status.ClusterAck;
import io.meshfed.rules.status.ResourceStatus;
import io.meshfed.rules.status.StatusRules;
import io.meshfed.rules.tiers.Tier;
import io.meshfed.rules.tiers.TierPlanner;
import io.meshfed.rules.validation.Findings;
import io.meshfed.rules.validation.HostnameClaims;
import io.meshfed.rules.validation.Validator;
import io.meshfed.topology.RoutingKeys;
import io.meshfed.topology.config.TopologyConfig;
import io.meshfed.topology.ingest.IngestProcessor;
import io.meshfed.topology.lag.EventsLag;
import io.meshfed.topology.state.KnownCluster;
import io.meshfed.topology.state.Stores;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Third stage, keyed by destination: holds each destination's members, endpoints and outlier
 * state, and per client cluster the decision memory; calls the rules and emits what changed —
 * per-cluster {@code FederatedDestination}s (or tombstones), {@code FailoverDecision}s and
 * {@code PolicyStatus}es. Policies and heartbeats arrive broadcast to every partition; each task
 * acts only for the destinations it owns. A wall-clock punctuator turns the passing of time into
 * decisions: clusters going stale, outlier ejections ending, failback damping maturing.
 *
 * <p>Effects happen here; every rule is in the rules module.
 */
public final class DecideProcessor implements Processor<String, SpecificRecord, String, SpecificRecord> {

  /** Header saying which output an emitted record is for: {@code config} or {@code decision}. */
  public static final String OUTPUT_HEADER = "meshfed.output";
  public static final String OUTPUT_CONFIG = "config";
  public static final String OUTPUT_DECISION = "decision";

  private static final StringSerializer KEYS = new StringSerializer();

  private final TopologyConfig config;
  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, ControlEvent> destinations;
  private KeyValueStore<String, ControlEvent> policies;
  private KeyValueStore<String, KnownCluster> clusters;
  private KeyValueStore<String, ServiceSnapshot> memberServices;
  private KeyValueStore<String, EndpointSnapshot> memberEndpoints;
  private KeyValueStore<String, OutlierState> outliers;
  private KeyValueStore<String, DecisionState> decisions;
  private KeyValueStore<String, Long> epochs;
  private KeyValueStore<String, FailoverDecision> decisionLog;
  private KeyValueStore<String, ConfigAck> acks;
  private KeyValueStore<String, PolicyStatus> statuses;
  private KeyValueStore<String, Long> wakeups;
  /**
   * Deserialized views of two JSON stores read on every evaluation. Writes go to the store and
   * the view together; the views are rebuilt in {@link #init} (a revived task gets a new
   * processor), so they never disagree with the store this task owns. Without them, JSON
   * parsing of cluster and decision state was the largest cost of an evaluation.
   */
  private final Map<String, KnownCluster> knownClusters = new TreeMap<>();
  private final Map<String, Map<String, DecisionState>> decisionsByDestination =
      new java.util.HashMap<>();
  private final HostnameIndex hostnames = new HostnameIndex();
  /**
   * The valid FailoverPolicies and OutlierDetectionPolicies, parsed once: rebuilt from the
   * replicated policy store when the task starts, kept in step by {@link #onPolicy}, so an
   * evaluation (one per health event) does not re-read and re-validate every policy.
   */
  private final Map<String, Resource> validPolicies = new java.util.TreeMap<>();
  /**
   * Every destination spec, decoded, mapped and validated once when it arrives (or when the
   * task starts), not on each of the evaluations a health event triggers: decoding the
   * PolicyEvent, mapping it and running the validator (regexes included) per evaluation was a
   * fixed cost of every endpoint flip.
   */
  private final Map<String, ParsedDestination> parsed = new HashMap<>();
  /** Views of small per-destination stores, so an unchanged value is neither read nor written. */
  private final Map<String, Long> wakeupView = new HashMap<>();
  private final Map<String, PolicyStatus> statusView = new HashMap<>();
  private final Map<String, Map<String, ClusterAck>> ackView = new HashMap<>();
  private Set<String> staleClusters;

  /** A destination as evaluation needs it. */
  private record ParsedDestination(ControlEvent control, PolicyEvent event,
      Resource.Destination resource, Findings specFindings, Instant seenAt) {
    /**
     * @param seenAt when this task first saw this generation; restored from the store it is the
     *     resource's creation time, so a restart does not hold decisions it already made
     */
    static ParsedDestination of(ControlEvent control, Instant seenAt) {
      PolicyEvent event = (PolicyEvent) control.getEvent();
      Resource.Destination resource = (Resource.Destination) AvroMapping.resource(event);
      return new ParsedDestination(control, event, resource, Validator.validate(resource),
          seenAt);
    }
  }

  public DecideProcessor(TopologyConfig config) {
    this.config = config;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    destinations = context.getStateStore(Stores.DESTINATIONS);
    policies = context.getStateStore(Stores.POLICIES);
    clusters = context.getStateStore(Stores.CLUSTERS);
    memberServices = context.getStateStore(Stores.MEMBER_SERVICES);
    memberEndpoints = context.getStateStore(Stores.MEMBER_ENDPOINTS);
    outliers = context.getStateStore(Stores.OUTLIERS);
    decisions = context.getStateStore(Stores.DECISIONS);
    epochs = context.getStateStore(Stores.EPOCHS);
    decisionLog = context.getStateStore(Stores.DECISION_LOG);
    acks = context.getStateStore(Stores.ACKS);
    statuses = context.getStateStore(Stores.STATUSES);
    wakeups = context.getStateStore(Stores.WAKEUPS);
    parsed.clear();
    try (KeyValueIterator<String, ControlEvent> all = destinations.all()) {
      all.forEachRemaining(kv -> {
        indexHostnames(kv.key, kv.value);
        parsed.put(kv.key, ParsedDestination.of(kv.value,
            ((PolicyEvent) kv.value.getEvent()).getCreationTimestamp()));
      });
    }
    wakeupView.clear();
    try (KeyValueIterator<String, Long> all = wakeups.all()) {
      all.forEachRemaining(kv -> wakeupView.put(kv.key, kv.value));
    }
    statusView.clear();
    ackView.clear();
    knownClusters.clear();
    try (KeyValueIterator<String, KnownCluster> all = clusters.all()) {
      all.forEachRemaining(kv -> knownClusters.put(kv.key, kv.value));
    }
    decisionsByDestination.clear();
    try (KeyValueIterator<String, ControlEvent> all = policies.all()) {
      all.forEachRemaining(kv -> rememberPolicy(kv.key, (PolicyEvent) kv.value.getEvent()));
    }
    context.schedule(config.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, this::onTimer);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    Instant now = now();
    SpecificRecord value = record.value();
    if (value instanceof ControlEvent control) {
      if (control.getEvent() instanceof PolicyEvent event) {
        if (isDestination(event)) {
          onDestination(record.key(), control, now);
        } else {
          onPolicy(record.key(), control, now);
        }
      } else {
        onHeartbeat(control.getSourceCluster(), (ClusterHeartbeat) control.getEvent(), now);
      }
    } else if (value instanceof MemberUpdate update) {
      onMember(record.key(), update, now);
    } else if (value instanceof AckFrom ack) {
      acks.put(RoutingKeys.join(record.key(), ack.getCluster()), ack.getAck());
      clusterAcks(record.key()).put(ack.getCluster(), clusterAck(ack.getCluster(), ack.getAck()));
      evaluate(record.key(), now);
    } else {
      throw new IllegalArgumentException("decide stage cannot handle "
          + (value == null ? "a tombstone" : value.getSchema().getFullName()));
    }
  }

  // ---- inputs -------------------------------------------------------------------------------

  private void onDestination(String key, ControlEvent control, Instant now) {
    PolicyEvent event = (PolicyEvent) control.getEvent();
    ControlEvent previous = destinations.get(key);
    if (previous != null && event.getSpec() != null
        && ((PolicyEvent) previous.getEvent()).getGeneration() > event.getGeneration()
        && ((PolicyEvent) previous.getEvent()).getUid().equals(event.getUid())) {
      return; // an older generation arriving late
    }
    Set<String> affected = new TreeSet<>();
    affected.add(key);
    affected.addAll(hostnames.claimantsOf(hostnames.remove(key)));
    if (event.getSpec() == null) {
      destinations.delete(key);
      parsed.remove(key);
      if (owns(key) && previous != null) {
        emitConfig(control.getSourceCluster(), RoutingKeys.statusKey(ref(event)), null, now);
        statuses.delete(key);
        statusView.remove(key);
      }
    } else {
      destinations.put(key, control);
      ParsedDestination before = parsed.get(key);
      parsed.put(key, ParsedDestination.of(control, before != null
          && before.event().getGeneration() == event.getGeneration()
          && before.event().getUid().equals(event.getUid()) ? before.seenAt() : now));
      indexHostnames(key, control);
      affected.addAll(hostnames.claimantsOf(hostnames.hostsOf(key)));
    }
    for (String destination : affected) {
      if (owns(destination)) {
        evaluate(destination, now);
      }
    }
  }

  private void onPolicy(String key, ControlEvent control, Instant now) {
    PolicyEvent event = (PolicyEvent) control.getEvent();
    ControlEvent previous = policies.get(key);
    if (event.getSpec() == null) {
      policies.delete(key);
    } else {
      policies.put(key, control);
    }
    rememberPolicy(key, event);
    if (owns(key)) {
      if (event.getSpec() == null) {
        emitConfig(control.getSourceCluster(), RoutingKeys.statusKey(ref(event)), null, now);
      } else {
        Resource policy = AvroMapping.resource(event);
        ResourceStatus status = StatusRules.forPolicy(policy.meta(), Validator.validate(policy));
        emitStatusIfChanged(key, control.getSourceCluster(), status, event.getUid(), now);
      }
    }
    // Only the destinations the policy selects, or selected, can change.
    List<io.meshfed.rules.model.Selector> selectors = new ArrayList<>();
    for (ControlEvent c : java.util.Arrays.asList(previous, control)) {
      if (c != null && ((PolicyEvent) c.getEvent()).getSpec() != null) {
        Resource r = AvroMapping.resource((PolicyEvent) c.getEvent());
        if (r instanceof Resource.FailoverPolicy fp) {
          selectors.addAll(fp.spec().destinations());
        } else if (r instanceof Resource.OutlierDetectionPolicy od) {
          selectors.addAll(od.spec().destinations());
        }
      }
    }
    if (selectors.isEmpty()) {
      return;
    }
    for (String destination : new ArrayList<>(parsed.keySet())) {
      if (owns(destination)) {
        Meta meta = parsed.get(destination).resource().meta();
        if (selectors.stream().anyMatch(s -> s.matches(meta))) {
          evaluate(destination, now);
        }
      }
    }
  }

  private void onHeartbeat(String cluster, ClusterHeartbeat heartbeat, Instant now) {
    KnownCluster previous = knownClusters.get(cluster);
    if (previous != null && heartbeat.getTime().isBefore(previous.sentAt())) {
      return; // out of order
    }
    KnownCluster next = new KnownCluster(cluster, heartbeat.getAgentVersion(),
        heartbeat.getRegion(), heartbeat.getZones(), heartbeat.getLabels(),
        heartbeat.getMeshKind().name(), heartbeat.getTime(), now, heartbeat.getStartedAt());
    clusters.put(cluster, next);
    knownClusters.put(cluster, next);
    boolean wasStale = previous == null
        || HealthRules.isStale(previous.toClusterInfo(), now, config.heartbeatTtl());
    boolean localityChanged = previous != null && (!java.util.Objects.equals(previous.region(),
        next.region()) || !previous.zones().equals(next.zones())
        || !previous.labels().equals(next.labels()));
    if (wasStale || localityChanged) {
      if (staleClusters != null) {
        staleClusters.remove(cluster);
      }
      evaluateAllOwned(now);
    }
  }

  private void onMember(String destination, MemberUpdate update, Instant now) {
    ServiceRef ref = AvroMapping.serviceRef(update.getMember());
    String member = RoutingKeys.join(destination, RoutingKeys.service(ref));
    if (update.getRemoved()) {
      memberServices.delete(member);
      memberEndpoints.delete(member);
      deletePrefix(outliers, RoutingKeys.prefix(member));
    } else if (update.getHealth() != null) {
      if (!applyHealth(destination, member, update.getHealth(), now)) {
        return; // nothing a decision depends on changed
      }
    } else {
      memberServices.put(member, update.getService());
      if (update.getEndpoints() == null) {
        memberEndpoints.delete(member);
      } else {
        memberEndpoints.put(member, update.getEndpoints());
      }
    }
    evaluate(destination, now);
  }

  /** Outlier detection; true when the endpoint's ejection state changed. */
  private boolean applyHealth(String destination, String member, HealthSignal signal,
      Instant now) {
    ParsedDestination dest = parsed.get(destination);
    if (dest == null || signal.getOutcome() == HealthOutcome.UNKNOWN_OUTCOME) {
      return false;
    }
    var settings = OutlierPolicies.forDestination(dest.resource().meta(), validPolicies(
            Resource.OutlierDetectionPolicy.class)).settings();
    String key = RoutingKeys.join(member, signal.getAddress() + ":" + signal.getPort());
    OutlierState before = outliers.get(key);
    if (before == null) {
      before = OutlierState.CLEAN;
    }
    OutlierState after;
    if (signal.getOutcome() == HealthOutcome.SUCCESS) {
      after = OutlierDetector.onSuccess(before, signal.getTime());
    } else {
      int total = AvroMapping.endpoints(memberEndpoints.get(member)).size();
      int ejected = 0;
      try (KeyValueIterator<String, OutlierState> it =
          outliers.prefixScan(RoutingKeys.prefix(member), KEYS)) {
        while (it.hasNext()) {
          if (it.next().value.isEjected(now)) {
            ejected++;
          }
        }
      }
      after = OutlierDetector.onError(before, signal.getTime(), settings,
          OutlierDetector.mayEject(ejected, Math.max(total, 1), settings.maxEjectionPercent()));
    }
    outliers.put(key, after);
    return before.isEjected(now) != after.isEjected(now);
  }

  private void onTimer(long wallClockMillis) {
    Instant now = Instant.ofEpochMilli(wallClockMillis);
    Set<String> staleNow = new HashSet<>();
    for (var entry : new ArrayList<>(knownClusters.entrySet())) {
      String name = entry.getKey();
      KnownCluster cluster = entry.getValue();
      if (HealthRules.isStale(cluster.toClusterInfo(), now, config.heartbeatTtl())) {
        if (EventsLag.isBehind(context.applicationId(), name)) {
          // Its heartbeats may be among the records not yet read: a backlog (a flood of bad
          // records, the topology's own downtime) is not silence. Counted as heard from now, in
          // this view only, until the backlog is read.
          knownClusters.put(name, cluster.heardAt(now));
          continue;
        }
        staleNow.add(name);
      }
    }
    boolean changed = staleClusters != null && !staleClusters.equals(staleNow);
    staleClusters = staleNow;
    if (changed) {
      evaluateAllOwned(now);
      return;
    }
    List<String> due = new ArrayList<>();
    wakeupView.forEach((destination, at) -> {
      if (at <= wallClockMillis) {
        due.add(destination);
      }
    });
    due.forEach(destination -> evaluate(destination, now));
  }

  // ---- evaluation -----------------------------------------------------------------------------

  private void evaluateAllOwned(Instant now) {
    List<String> owned = new ArrayList<>();
    for (String destination : parsed.keySet()) {
      if (owns(destination)) {
        owned.add(destination);
      }
    }
    owned.forEach(destination -> evaluate(destination, now));
  }

  /** Recomputes one destination: status, and per client cluster the decision and config. */
  void evaluate(String destination, Instant now) {
    ParsedDestination dest = parsed.get(destination);
    Map<String, DecisionState> previous = new TreeMap<>(decisionStates(destination));
    if (dest == null) {
      previous.forEach((client, state) -> retire(destination, client, state, now));
      decisionsByDestination.remove(destination);
      setWakeup(destination, null);
      return;
    }
    ControlEvent control = dest.control();
    PolicyEvent event = dest.event();
    Resource.Destination resource = dest.resource();
    Findings findings = dest.specFindings();
    if (findings.isValid()) {
      findings = findings.plus(hostnameConflicts(destination, resource));
    }

    Map<ServiceRef, ServiceSnapshot> snapshots = new LinkedHashMap<>();
    Map<ServiceRef, EndpointSnapshot> endpointsByRef = new HashMap<>();
    try (KeyValueIterator<String, ServiceSnapshot> it =
        memberServices.prefixScan(RoutingKeys.prefix(destination), KEYS)) {
      it.forEachRemaining(kv -> {
        ServiceRef ref = RoutingKeys.parseService(RoutingKeys.rest(kv.key));
        snapshots.put(ref, kv.value);
        endpointsByRef.put(ref, memberEndpoints.get(kv.key));
      });
    }
    List<Service> services = snapshots.entrySet().stream()
        .map(e -> AvroMapping.service(e.getKey().cluster(), e.getValue())).toList();

    MembershipResult membership;
    io.meshfed.rules.model.FailoverPolicySpec failoverPolicy = null;
    if (resource instanceof Resource.FailoverService fs) {
      membership = Membership.select(fs.spec(), services);
      findings = findings.plus(Validator.resolveReferences(fs.spec(), snapshots::containsKey));
    } else {
      Resource.VirtualDestination vd = (Resource.VirtualDestination) resource;
      membership = Membership.select(vd.spec(), services);
      var selected = PolicySelection.forDestination(resource.meta(),
          validPolicies(Resource.FailoverPolicy.class), p -> p.spec().destinations());
      failoverPolicy = selected.policy().map(Resource.FailoverPolicy::spec).orElse(null);
      findings = findings.plus(new Findings(List.of(), selected.warnings()));
    }
    var outlier = OutlierPolicies.forDestination(resource.meta(),
        validPolicies(Resource.OutlierDetectionPolicy.class));
    findings = findings.plus(new Findings(List.of(), membership.warnings()))
        .plus(new Findings(List.of(), outlier.warnings()));

    Map<String, ClusterInfo> known = new TreeMap<>();
    knownClusters.forEach((name, cluster) -> known.put(name, cluster.toClusterInfo()));
    Set<String> targets = new TreeSet<>();
    if (findings.isValid()) {
      known.keySet().stream().filter(resource::isVisibleTo).forEach(targets::add);
    }
    previous.forEach((client, state) -> {
      if (!targets.contains(client)) {
        retire(destination, client, state, now);
      }
    });

    Instant wake = null;
    // No decision on a partial view: while the backing services of a new FailoverService, or of
    // a new generation of one, have not all been reported (service and endpoints), a decision
    // would route by what happened to arrive first — the walkthrough once failed over to tier 1
    // for 92 ms because tier 0's endpoints were still on their way. The decision for that
    // generation waits for the full view, or PARTIAL_VIEW_GRACE after the topology first saw it;
    // meanwhile a client keeps the decision it has. One made after the grace says so.
    List<String> unreported = resource instanceof Resource.FailoverService fs
        ? unreported(fs, snapshots, endpointsByRef, known.keySet()) : List.of();
    Instant decideBy = dest.seenAt().plus(PARTIAL_VIEW_GRACE);
    boolean waiting = !unreported.isEmpty() && now.isBefore(decideBy);
    for (String client : targets) {
      DecisionState last = previous.get(client);
      if (waiting && (last == null || last.config().generation() != event.getGeneration())) {
        wake = earliest(wake, decideBy);
        continue;
      }
      List<Tier> tiers = resource instanceof Resource.FailoverService fs
          ? TierPlanner.forFailoverService(fs.spec(), membership.members())
          : TierPlanner.forVirtualDestination(membership.members(), failoverPolicy, client, known);
      List<TierInput> tierInputs = new ArrayList<>();
      for (Tier tier : tiers) {
        List<MemberInput> members = new ArrayList<>();
        for (Tier.WeightedMember wm : tier.members()) {
          members.add(memberInput(destination, wm, endpointsByRef.get(wm.member().ref()), known,
              now));
        }
        tierInputs.add(new TierInput(tier.index(), members));
      }
      DecisionInputs inputs = new DecisionInputs(resource.id(), event.getGeneration(), client,
          resource.hostnames(), ports(resource), outlier.settings(), tierInputs,
          failoverPolicy != null && failoverPolicy.failoverThresholdPercent() != null
              ? new SplitPolicy.Threshold(failoverPolicy.failoverThresholdPercent())
              : SplitPolicy.DEFAULT,
          failoverPolicy != null && failoverPolicy.minHealthyDurationMillis() != null
              ? Duration.ofMillis(failoverPolicy.minHealthyDurationMillis())
              : config.minHealthyDuration(),
          lastEpoch(destination));
      DecideResult result = Decider.decide(previous.get(client), inputs, now);
      if (!result.state().equals(previous.get(client))) {
        // Unchanged state is not written again: no JSON encode, no store or changelog write.
        decisions.put(RoutingKeys.join(destination, client), result.state());
        decisionStates(destination).put(client, result.state());
      }
      result.decision().ifPresent(d -> {
        epochs.put(destination, d.epoch());
        emitConfig(client, RoutingKeys.configKey(AvroMapping.ref(d.destination())),
            AvroMapping.federatedDestination(d.config(), now), now);
        FailoverDecision decision = AvroMapping.decision(d);
        if (!unreported.isEmpty()) {
          decision.setReason(decision.getReason() + "; decided after the "
              + PARTIAL_VIEW_GRACE.toSeconds() + " s grace with no report yet from "
              + String.join(", ", unreported));
        }
        emitDecision(decision, now);
      });
      if (result.reevaluateAt().isPresent()) {
        wake = earliest(wake, result.reevaluateAt().get());
      }
    }
    wake = earliest(wake, nextEjectionEnd(destination, now));
    setWakeup(destination, wake == null ? null : wake.toEpochMilli());

    List<ServiceRef> selected = membership.members().stream().map(Member::ref).toList();
    ResourceStatus status = StatusRules.forDestination(resource.meta(), findings, selected,
        targets, clusterAcks(destination));
    emitStatusIfChanged(destination, control.getSourceCluster(), status, event.getUid(), now);
  }

  private MemberInput memberInput(String destination, Tier.WeightedMember wm,
      EndpointSnapshot snapshot, Map<String, ClusterInfo> known, Instant now) {
    ServiceRef ref = wm.member().ref();
    ClusterInfo cluster = known.get(ref.cluster());
    boolean stale = HealthRules.isStale(cluster, now, config.heartbeatTtl())
        && (cluster == null || !EventsLag.isBehind(context.applicationId(), ref.cluster()));
    int port = AvroMapping.endpointPort(snapshot, wm.member().targetPorts().get(0));
    String member = RoutingKeys.join(destination, RoutingKeys.service(ref));
    List<EndpointInput> endpoints = new ArrayList<>();
    for (Endpoint e : AvroMapping.endpoints(snapshot)) {
      OutlierState outlier = outliers.get(RoutingKeys.join(member, e.address() + ":" + port));
      endpoints.add(new EndpointInput(e.address(), port,
          HealthRules.resolve(e, stale, outlier, now), e.zone(),
          e.region() != null ? e.region() : cluster == null ? null : cluster.region()));
    }
    return new MemberInput(ref, wm.weight(), endpoints);
  }

  private static List<DesiredConfig.Port> ports(Resource.Destination resource) {
    if (resource instanceof Resource.FailoverService fs) {
      int number = fs.spec().port().number().intValue();
      return List.of(new DesiredConfig.Port(number,
          fs.spec().port().protocol().toUpperCase(Locale.ROOT), number));
    }
    return ((Resource.VirtualDestination) resource).spec().ports().stream()
        .map(p -> new DesiredConfig.Port(p.number().intValue(),
            p.protocol().toUpperCase(Locale.ROOT),
            p.targetPort() != null && p.targetPort().number() != null
                ? p.targetPort().number().intValue() : p.number().intValue()))
        .toList();
  }

  private Findings hostnameConflicts(String destination, Resource.Destination resource) {
    List<Resource.Destination> rivals = new ArrayList<>();
    for (String key : hostnames.claimantsOf(resource.hostnames())) {
      ParsedDestination rival = parsed.get(key);
      if (rival != null) {
        rivals.add(rival.resource());
      }
    }
    if (rivals.size() <= 1) {
      return Findings.NONE; // the destination alone claims its hostnames
    }
    return HostnameClaims.conflicts(rivals).getOrDefault(resource.id(), Findings.NONE);
  }

  /** The destination is gone, invalid or invisible to {@code client}: withdraw its config. */
  private void retire(String destination, String client, DecisionState state, Instant now) {
    decisions.delete(RoutingKeys.join(destination, client));
    decisionStates(destination).remove(client);
    long epoch = Math.max(state.epoch(), lastEpoch(destination)) + 1;
    epochs.put(destination, epoch);
    ResourceRef ref = AvroMapping.ref(io.meshfed.rules.model.ResourceId.parse(destination));
    emitConfig(client, RoutingKeys.configKey(ref), null, now);
    FailoverDecision removal = FailoverDecision.newBuilder()
        .setDestination(ref).setClientCluster(client).setEpoch(epoch)
        .setBefore(AvroMapping.split(state.split()))
        .setAfter(new TrafficSplit(-1, List.of()))
        .setReasonCode(ReasonCode.DESTINATION_REMOVED)
        .setReason("destination " + destination + " was deleted, became invalid or is no longer"
            + " visible to " + client + ": its config is withdrawn")
        .setPolicyGeneration(state.config().generation())
        .setTime(now).build();
    emitDecision(removal, now);
  }

  /** How long a new FailoverService waits for its backing services before a first decision. */
  static final Duration PARTIAL_VIEW_GRACE = Duration.ofSeconds(10);

  /**
   * The backing services of {@code fs} not heard from: their service or endpoints not reported
   * (or no endpoints yet), or their cluster's heartbeat never received (without it the cluster counts as stale and its
   * endpoints as unknown — a first decision would route around healthy endpoints).
   */
  private static List<String> unreported(Resource.FailoverService fs,
      Map<ServiceRef, ServiceSnapshot> services, Map<ServiceRef, EndpointSnapshot> endpoints,
      Set<String> heardFrom) {
    List<String> missing = new ArrayList<>();
    for (var backing : fs.spec().backingServices()) {
      EndpointSnapshot reported = backing == null ? null : endpoints.get(backing.ref());
      if (backing != null && (!services.containsKey(backing.ref()) || reported == null
          // A Service's endpoints are published before its first EndpointSlice exists: within
          // the grace an empty list is taken as not yet reported, not as a scaled-down service.
          || reported.getEndpoints().isEmpty()
          || !heardFrom.contains(backing.clusterName()))) {
        missing.add(backing.clusterName() + "/" + backing.namespace() + "/" + backing.name());
      }
    }
    return missing;
  }

  /** Writes the destination's wake-up time only when it changed. */
  private void setWakeup(String destination, Long at) {
    Long before = wakeupView.get(destination);
    if (java.util.Objects.equals(before, at)) {
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

  /** The destination's acks by cluster: the view, loaded from the store once. */
  private Map<String, ClusterAck> clusterAcks(String destination) {
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

  private static ClusterAck clusterAck(String cluster, ConfigAck a) {
    return new ClusterAck(cluster, a.getPolicyGeneration(), a.getEpoch(),
        a.getOutcome() == io.meshfed.avro.AckResult.APPLIED, a.getMessage());
  }

  private long lastEpoch(String destination) {
    Long last = epochs.get(destination);
    return last == null ? 0 : last;
  }

  private Instant nextEjectionEnd(String destination, Instant now) {
    Instant next = null;
    try (KeyValueIterator<String, OutlierState> it =
        outliers.prefixScan(RoutingKeys.prefix(destination), KEYS)) {
      while (it.hasNext()) {
        next = earliest(next, OutlierDetector.nextChangeAt(it.next().value, now));
      }
    }
    return next;
  }

  private <P extends Resource> List<P> validPolicies(Class<P> type) {
    return validPolicies.values().stream().filter(type::isInstance).map(type::cast).toList();
  }

  private void rememberPolicy(String key, PolicyEvent event) {
    validPolicies.remove(key);
    if (event.getSpec() != null) {
      Resource policy = AvroMapping.resource(event);
      if (Validator.validate(policy).isValid()) {
        validPolicies.put(key, policy);
      }
    }
  }

  // ---- outputs --------------------------------------------------------------------------------

  private void emitStatusIfChanged(String key, String sourceCluster, ResourceStatus status,
      String uid, Instant now) {
    PolicyStatus next = AvroMapping.status(status, uid, now);
    PolicyStatus last = statusView.computeIfAbsent(key, statuses::get);
    if (last != null) {
      PolicyStatus comparable = PolicyStatus.newBuilder(last).setTime(now).build();
      if (comparable.equals(next)) {
        return;
      }
    }
    statuses.put(key, next);
    statusView.put(key, next);
    emitConfig(sourceCluster, RoutingKeys.statusKey(next.getResource()), next, now);
  }

  private void emitConfig(String cluster, String key, SpecificRecord value, Instant now) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(OUTPUT_HEADER, OUTPUT_CONFIG.getBytes(StandardCharsets.UTF_8));
    headers.add(IngestProcessor.TARGET_CLUSTER_HEADER, cluster.getBytes(StandardCharsets.UTF_8));
    context.forward(new Record<>(key, value, now.toEpochMilli(), headers));
  }

  private void emitDecision(FailoverDecision decision, Instant now) {
    remember(decision);
    RecordHeaders headers = new RecordHeaders();
    headers.add(OUTPUT_HEADER, OUTPUT_DECISION.getBytes(StandardCharsets.UTF_8));
    context.forward(new Record<>(RoutingKeys.decisionKey(decision.getDestination(),
        decision.getClientCluster()), decision, now.toEpochMilli(), headers));
  }

  /** Keeps the last {@link Stores#DECISION_LOG_KEEP} decisions of a destination queryable. */
  private void remember(FailoverDecision decision) {
    String destination = RoutingKeys.destination(decision.getDestination());
    decisionLog.put(decisionLogKey(destination, decision.getEpoch()), decision);
    // Epochs of a destination are contiguous, so the one to drop is known without a scan (a
    // scan deserialized up to 100 decisions per decision: the largest cost of a flip).
    long drop = decision.getEpoch() - Stores.DECISION_LOG_KEEP;
    if (drop > 0) {
      decisionLog.delete(decisionLogKey(destination, drop));
    }
  }

  /** Epochs zero-padded so the store's byte order is epoch order. */
  public static String decisionLogKey(String destination, long epoch) {
    return RoutingKeys.join(destination, String.format("%020d", epoch));
  }

  // ---- helpers --------------------------------------------------------------------------------

  private void indexHostnames(String key, ControlEvent control) {
    PolicyEvent event = (PolicyEvent) control.getEvent();
    if (event.getSpec() == null) {
      return;
    }
    Resource resource = AvroMapping.resource(event);
    if (resource instanceof Resource.Destination d && Validator.validate(resource).isValid()) {
      hostnames.put(key, d.hostnames());
    }
  }

  private boolean owns(String destinationKey) {
    return DestinationPartitioner.partitionOf(destinationKey, config.partitions())
        == context.taskId().partition();
  }

  private Instant now() {
    return Instant.ofEpochMilli(context.currentSystemTimeMs());
  }

  private static boolean isDestination(PolicyEvent event) {
    return event.getKind() == io.meshfed.avro.ResourceKind.FailoverService
        || event.getKind() == io.meshfed.avro.ResourceKind.VirtualDestination;
  }

  private static ResourceRef ref(PolicyEvent event) {
    return new ResourceRef(event.getKind(), event.getNamespace(), event.getName());
  }

  /** The destination's decision state per client cluster: the view, loaded from the store once. */
  private Map<String, DecisionState> decisionStates(String destination) {
    return decisionsByDestination.computeIfAbsent(destination, d -> {
      Map<String, DecisionState> states = new java.util.HashMap<>();
      try (KeyValueIterator<String, DecisionState> it =
          decisions.prefixScan(RoutingKeys.prefix(d), KEYS)) {
        it.forEachRemaining(kv -> states.put(RoutingKeys.rest(kv.key), kv.value));
      }
      return states;
    });
  }

  private static Instant earliest(Instant a, Instant b) {
    return a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
  }

  private static <V> void deletePrefix(KeyValueStore<String, V> store, String prefix) {
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, V> it = store.prefixScan(prefix, KEYS)) {
      it.forEachRemaining(kv -> keys.add(kv.key));
    }
    keys.forEach(store::delete);
  }
}
