package io.meshfed.topology.decide;

import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.rules.decision.DecideResult;
import io.meshfed.rules.decision.Decider;
import io.meshfed.rules.decision.DecisionInputs;
import io.meshfed.rules.decision.DecisionState;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.decision.EndpointInput;
import io.meshfed.rules.decision.MemberInput;
import io.meshfed.rules.decision.TierInput;
import io.meshfed.rules.decision.WeightsMemo;
import io.meshfed.rules.health.HealthRules;
import io.meshfed.rules.health.OutlierPolicies;
import io.meshfed.rules.membership.DestinationPorts;
import io.meshfed.rules.membership.Member;
import io.meshfed.rules.membership.Membership;
import io.meshfed.rules.membership.MembershipResult;
import io.meshfed.rules.model.ClusterInfo;
import io.meshfed.rules.model.Endpoint;
import io.meshfed.rules.model.FailoverPolicySpec;
import io.meshfed.rules.model.PolicySelection;
import io.meshfed.rules.model.Resource;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.Service;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.split.SplitPolicy;
import io.meshfed.rules.status.ResourceStatus;
import io.meshfed.rules.status.StatusInputs;
import io.meshfed.rules.status.StatusRules;
import io.meshfed.rules.tiers.Tier;
import io.meshfed.rules.tiers.TierPlanner;
import io.meshfed.rules.validation.Findings;
import io.meshfed.rules.validation.Validator;
import io.meshfed.topology.config.TopologyConfig;
import io.meshfed.topology.decide.Evaluation.Decided;
import io.meshfed.topology.decide.Evaluation.Outcome;
import io.meshfed.topology.decide.Evaluation.Retired;
import io.meshfed.topology.decide.Evaluation.StatusUpdate;
import io.meshfed.topology.decide.handover.Handovers;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Recomputes one destination — status, and per client cluster the decision and config — by
 * calling the rules on what the task holds. Reads state, writes none: the result is an
 * {@link Evaluation} that the {@link DecisionLedger} applies.
 *
 * <p>Cost: one prefix scan of the members (with a get of each member's endpoints), one prefix
 * scan of the destination's outlier state, the endpoints of each member mapped once (not once
 * per client), and one {@link Decider#decide} per client cluster.
 *
 * <p>One reason to change: how the rules are fed.
 */
final class DestinationEvaluator {

  /** How long a new FailoverService waits for its backing services before a first decision. */
  static final Duration PARTIAL_VIEW_GRACE = Duration.ofSeconds(10);

  private final TopologyConfig config;
  private final DestinationCatalog catalog;
  private final ClusterView clusters;
  private final MemberTable members;
  private final DecisionLedger ledger;
  /** Whether a cluster's events topic still holds records the topology has not read. */
  private final Predicate<String> behind;
  /** Make-before-break: a move to a new tier goes out in two phases (see Handover). */
  private final Handovers handovers;

  DestinationEvaluator(TopologyConfig config, DestinationCatalog catalog, ClusterView clusters,
      MemberTable members, DecisionLedger ledger, Predicate<String> behind,
      Handovers handovers) {
    this.handovers = handovers;
    this.config = config;
    this.catalog = catalog;
    this.clusters = clusters;
    this.members = members;
    this.ledger = ledger;
    this.behind = behind;
  }

  Evaluation evaluate(String destination, Instant now) {
    ParsedDestination dest = catalog.get(destination);
    Map<String, DecisionState> previous = new TreeMap<>(ledger.states(destination));
    long epoch = ledger.lastEpoch(destination);
    List<Outcome> outcomes = new ArrayList<>();
    if (dest == null) {
      for (var e : previous.entrySet()) {
        epoch = Math.max(e.getValue().epoch(), epoch) + 1;
        outcomes.add(new Retired(e.getKey(), e.getValue(), epoch));
      }
      return new Evaluation(destination, outcomes, epoch, null, null,
          io.meshfed.avro.ClientMode.AUTO);
    }
    PolicyEvent event = dest.event();
    Resource.Destination resource = dest.resource();
    Findings findings = dest.specFindings();
    Findings conflicts = findings.isValid() ? catalog.hostnameConflicts(resource) : Findings.NONE;
    findings = findings.plus(conflicts);

    MemberTable.Members read = members.read(destination);
    List<Service> services = read.services().entrySet().stream()
        .map(e -> AvroMapping.service(e.getKey().cluster(), e.getValue())).toList();
    MembershipResult membership;
    FailoverPolicySpec failoverPolicy = null;
    List<ResourceId> appliedPolicies = new ArrayList<>();
    if (resource instanceof Resource.FailoverService fs) {
      membership = Membership.select(fs.spec(), services);
      findings = findings.plus(
          Validator.resolveReferences(fs.spec(), read.services()::containsKey));
      findings = findings.plus(Validator.resolveMeshGroups(fs.spec(), clusters.infos().values()));
    } else {
      Resource.VirtualDestination vd = (Resource.VirtualDestination) resource;
      membership = Membership.select(vd.spec(), services);
      var selected = PolicySelection.forDestination(resource.meta(),
          catalog.validPolicies(Resource.FailoverPolicy.class), p -> p.spec().destinations());
      failoverPolicy = selected.policy().map(Resource.FailoverPolicy::spec).orElse(null);
      selected.policy().ifPresent(p -> appliedPolicies.add(p.id()));
      findings = findings.plus(new Findings(List.of(), selected.warnings()));
    }
    var outlier = OutlierPolicies.forDestination(resource.meta(),
        catalog.validPolicies(Resource.OutlierDetectionPolicy.class));
    outlier.source().ifPresent(appliedPolicies::add);
    findings = findings.plus(new Findings(List.of(), membership.warnings()))
        .plus(new Findings(List.of(), outlier.warnings()));

    Map<String, ClusterInfo> known = clusters.infos();
    Set<String> targets = new TreeSet<>();
    if (findings.isValid()) {
      known.values().stream().filter(resource::isVisibleTo).map(ClusterInfo::name)
          .forEach(targets::add);
    }
    for (var e : previous.entrySet()) {
      if (!targets.contains(e.getKey())) {
        epoch = Math.max(e.getValue().epoch(), epoch) + 1;
        outcomes.add(new Retired(e.getKey(), e.getValue(), epoch));
      }
    }

    Instant wake = null;
    // No decision on a partial view: while the backing services of a new FailoverService, or of
    // a new generation of one, have not all been reported (service and endpoints), a decision
    // would route by what happened to arrive first — the walkthrough once failed over to tier 1
    // for 92 ms because tier 0's endpoints were still on their way. The decision for that
    // generation waits for the full view, or PARTIAL_VIEW_GRACE after the topology first saw it;
    // meanwhile a client keeps the decision it has. One made after the grace says so.
    List<String> unreported = resource instanceof Resource.FailoverService fs
        ? unreported(fs, read.services(), read.endpoints(), known.keySet()) : List.of();
    Instant decideBy = dest.seenAt().plus(PARTIAL_VIEW_GRACE);
    boolean waiting = !unreported.isEmpty() && now.isBefore(decideBy);
    String reasonSuffix = unreported.isEmpty() ? "" : "; decided after the "
        + PARTIAL_VIEW_GRACE.toSeconds() + " s grace with no report yet from "
        + String.join(", ", unreported);
    // A FailoverService sets its own threshold; a VirtualDestination takes its FailoverPolicy's.
    // An invalid destination decides nothing, and its threshold may be out of range.
    Integer threshold = resource instanceof Resource.FailoverService fs
        ? fs.spec().failoverThresholdPercent()
        : failoverPolicy == null ? null : failoverPolicy.failoverThresholdPercent();
    SplitPolicy split = SplitPolicy.forThreshold(findings.isValid() ? threshold : null);
    Duration minHealthy = failoverPolicy != null
        && failoverPolicy.minHealthyDurationMillis() != null
        ? Duration.ofMillis(failoverPolicy.minHealthyDurationMillis())
        : config.minHealthyDuration();
    // Each destination port routes to its own backend port, resolved on the members' endpoints.
    List<DesiredConfig.Port> ports = findings.isValid()
        ? DestinationPorts.resolve(resource, membership.members(), (member, servicePort) ->
            AvroMapping.endpointPort(read.endpoints().get(member.ref()), servicePort))
        : List.of();
    // A member's endpoints do not depend on the client: mapped once per evaluation.
    Map<ServiceRef, List<EndpointInput>> endpointInputs = new HashMap<>();
    Map<List<Tier>, List<TierInput>> tierInputsByPlan = new HashMap<>();
    WeightsMemo weights = new WeightsMemo();
    Handovers.Round handover = handovers.begin(destination, previous, ledger.acks(destination),
        now);
    for (String client : targets) {
      DecisionState last = previous.get(client);
      if (waiting && (last == null || last.config().generation() != event.getGeneration())) {
        wake = earliest(wake, decideBy);
        continue;
      }
      List<Tier> tiers = resource instanceof Resource.FailoverService fs
          ? TierPlanner.forFailoverService(fs.spec(), membership.members())
          : TierPlanner.forVirtualDestination(membership.members(), failoverPolicy, client, known);
      // Clients with the same tier plan (all of a FailoverService's; a VirtualDestination's
      // clients of one locality) get the same tier inputs instance, so their endpoint weights
      // are computed once per split (WeightsMemo) and their configs share one tiers instance.
      List<TierInput> tierInputs = tierInputsByPlan.computeIfAbsent(tiers, plan -> {
        List<TierInput> built = new ArrayList<>(plan.size());
        for (Tier tier : plan) {
          List<MemberInput> memberInputs = new ArrayList<>(tier.members().size());
          for (Tier.WeightedMember wm : tier.members()) {
            ServiceRef ref = wm.member().ref();
            memberInputs.add(new MemberInput(ref, wm.weight(), endpointInputs.computeIfAbsent(
                ref, r -> endpointInputs(wm.member(), read, known, now))));
          }
          built.add(new TierInput(tier.index(), memberInputs));
        }
        return List.copyOf(built);
      });
      DecisionInputs inputs = new DecisionInputs(resource.id(), event.getGeneration(), client,
          resource.hostnames(), ports, outlier.settings(), tierInputs, split, minHealthy, epoch);
      DecideResult result = handover.plan(last, Decider.decide(last, inputs, now, weights));
      if (result.decision().isPresent()) {
        epoch = result.decision().get().epoch();
      }
      outcomes.add(new Decided(client, result, !result.state().equals(last), reasonSuffix));
      if (result.reevaluateAt().isPresent()) {
        wake = earliest(wake, result.reevaluateAt().get());
      }
    }
    wake = earliest(wake, read.nextOutlierChange(now));
    wake = earliest(wake, handover.wakeAt());

    List<ServiceRef> selected = membership.members().stream().map(Member::ref).toList();
    // Status inputs: each target's latest decision epoch (a cluster that has not applied the
    // latest failover is not ACCEPTED), the clusters' meshes, the lost hostname claims.
    Map<String, Long> latestEpochs = new HashMap<>();
    previous.forEach((client, state) -> latestEpochs.put(client, state.epoch()));
    for (Evaluation.Outcome o : outcomes) {
      if (o instanceof Decided d) {
        latestEpochs.put(d.client(), d.result().state().epoch());
      }
    }
    Map<String, String> meshOf = new HashMap<>();
    known.values().forEach(c -> {
      if (c.mesh() != null) {
        meshOf.put(c.name(), c.mesh());
      }
    });
    ResourceStatus status = StatusRules.forDestination(resource.meta(), findings, selected,
        new StatusInputs(targets, ledger.acks(destination), latestEpochs, meshOf,
            resource instanceof Resource.FailoverService fs ? meshNames(fs) : null,
            conflicts.errors(), appliedPolicies));
    return new Evaluation(destination, outcomes, epoch, wake,
        new StatusUpdate(dest.control().getSourceCluster(), status, event.getUid()),
        AvroMapping.clientMode(resource));
  }

  private List<EndpointInput> endpointInputs(Member member, MemberTable.Members read,
      Map<String, ClusterInfo> known, Instant now) {
    ServiceRef ref = member.ref();
    EndpointSnapshot snapshot = read.endpoints().get(ref);
    ClusterInfo cluster = known.get(ref.cluster());
    boolean stale = clusters.isStale(ref.cluster(), now)
        && (cluster == null || !behind.test(ref.cluster()));
    int port = AvroMapping.endpointPort(snapshot, member.targetPorts().get(0));
    List<Integer> ports = DestinationPorts.endpointPorts(member,
        (m, servicePort) -> AvroMapping.endpointPort(snapshot, servicePort));
    List<Endpoint> endpoints = AvroMapping.endpoints(snapshot);
    List<EndpointInput> inputs = new ArrayList<>(endpoints.size());
    for (Endpoint e : endpoints) {
      inputs.add(new EndpointInput(e.address(), port,
          HealthRules.resolve(e, stale, read.outlier(ref, e.address(), port), now), e.zone(),
          e.region() != null ? e.region() : cluster == null ? null : cluster.region(), ports));
    }
    return inputs;
  }

  /**
   * The backing services of {@code fs} not heard from: their service or endpoints not reported
   * (or no endpoints yet), or their cluster's heartbeat never received (without it the cluster
   * counts as stale and its endpoints as unknown — a first decision would route around healthy
   * endpoints).
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

  private static List<String> meshNames(Resource.FailoverService fs) {
    return fs.spec().meshes().stream().filter(java.util.Objects::nonNull).toList();
  }

  static Instant earliest(Instant a, Instant b) {
    return a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
  }
}
