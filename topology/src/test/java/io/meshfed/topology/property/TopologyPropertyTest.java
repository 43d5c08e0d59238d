package io.meshfed.topology.property;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.ClusterObjectRef;
import io.meshfed.avro.ClusterWeight;
import io.meshfed.avro.EndpointPort;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.MeshKind;
import io.meshfed.avro.ObjectSelector;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.OutlierDetectionPolicySpec;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PortMapping;
import io.meshfed.avro.PortSpec;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ServicePort;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.avro.TargetPort;
import io.meshfed.avro.VirtualDestinationSpec;
import io.meshfed.rules.decision.Decider;
import io.meshfed.rules.decision.DecisionInputs;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.decision.EndpointInput;
import io.meshfed.rules.decision.MemberInput;
import io.meshfed.rules.decision.TierInput;
import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.health.HealthRules;
import io.meshfed.rules.health.OutlierPolicies;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.membership.MembershipResult;
import io.meshfed.rules.membership.Membership;
import io.meshfed.rules.model.BackendKind;
import io.meshfed.rules.model.ClusterInfo;
import io.meshfed.rules.model.FailoverServiceSpec.BackingService;
import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.Meta;
import io.meshfed.rules.model.PolicySelection;
import io.meshfed.rules.model.Resource;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.Selector;
import io.meshfed.rules.model.Service;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.model.TierOrdering;
import io.meshfed.rules.split.SplitPolicy;
import io.meshfed.rules.tiers.Tier;
import io.meshfed.rules.tiers.TierPlanner;
import io.meshfed.rules.validation.Findings;
import io.meshfed.rules.validation.Validator;
import io.meshfed.testing.EmbeddedSchemaRegistry;
import io.meshfed.topics.EventKeys;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;

/**
 * The whole topology under random interleavings of agent events, checked against the rules
 * module applied to the final inputs.
 *
 * <p>The world: four clusters (mgmt-cluster, the only policy source, and east-1 in us-east-1;
 * west-1 and west-2 sharing a zone in eu-west-1), two services per cluster ({@code shop/ratings},
 * {@code shop/reviews}, labelled {@code app=<name>}, port {@code http} 9080) with 1–6
 * endpoints, up to three FailoverServices over 1–3 of those eight services, up to two
 * VirtualDestinations selecting {@code app=ratings} or {@code app=reviews}, sometimes a
 * FailoverPolicy (LOCALITY or CLUSTER_ORDER, a threshold or Envoy overprovisioning, a cluster
 * weight, default/zero/5 s damping) and an OutlierDetectionPolicy. Steps: services created,
 * updated and deleted (tombstones, which ingest turns into {@code Removal}s), endpoint snapshots
 * replaced, endpoints' readiness flipped, endpoint snapshots deleted, destinations and policies
 * created, changed (a new generation) and deleted, a cluster's heartbeats stopping and
 * resuming, and time passing (heartbeats every 5 s from the clusters that are alive).
 *
 * <p>A sequence is up to 12 setup steps (services, endpoint snapshots, destinations) and up to
 * 48 interleaved steps of any kind, each followed by a 50 ms tick before anything is read (the
 * decide stage may evaluate on a wall-clock punctuation). Both lists shrink to nothing.
 *
 * <p>After the sequence the wall clock advances 65 s in 5 s steps (alive clusters keep
 * heartbeating), so failback damping, the partial-view grace and staleness have all matured.
 * Then:
 *
 * <ol>
 *   <li>every client cluster's compacted config equals what the rules give for the final
 *       inputs, recorded by this test (never read from the topology's stores): the same
 *       destination keys, and for each hosts, ports, outlier settings, active tier, and per tier
 *       the load, members and {@code address:port=weight} list. The oracle mirrors
 *       {@code DecideProcessor.evaluate}: Validator, Membership, PolicySelection,
 *       OutlierPolicies, TierPlanner, HealthRules (STALE for a silent cluster, else readiness;
 *       silence counted as the fleet-silence rule counts it, {@link World#heardAt}),
 *       and {@code Decider.decide(null, ...)} — once damping has matured, a decision's effective
 *       health is the raw health, so the previous state does not matter;
 *   <li>the epochs of every destination, over all decisions of the run, are 1, 2, 3, ...;
 *   <li>re-sending every cluster's latest service and endpoint records (tombstones included)
 *       and the alive clusters' heartbeats produces no decision and no config record.
 * </ol>
 *
 * <p>Left out to keep the oracle simple: health signals (so no outlier ejections), hostname
 * conflicts (every destination has its own hostname), invalid specs, policies from clusters
 * that are not policy sources, acks, endpoint zones and cluster labels (PRIORITY_LABELS),
 * several services of one cluster matching a VirtualDestination, and health labels in the
 * config (a health change that moves no weight is deliberately not re-emitted).
 */
class TopologyPropertyTest {

  private static EmbeddedSchemaRegistry registry;

  @BeforeContainer
  static void startRegistry() {
    registry = io.meshfed.testing.SharedSchemaRegistry.get(); // the JVM's; not closed here
  }

  // ---- the world --------------------------------------------------------------------------------

  static final List<String> CLUSTERS = List.of(Bookinfo.MGMT, "east-1", "west-1", "west-2");
  static final Map<String, String> REGION = Map.of(Bookinfo.MGMT, "us-east-1",
      "east-1", "us-east-1", "west-1", "eu-west-1", "west-2", "eu-west-1");
  static final Map<String, List<String>> ZONES = Map.of(Bookinfo.MGMT, List.of("us-east-1a"),
      "east-1", List.of("us-east-1b"), "west-1", List.of("eu-west-1a"),
      "west-2", List.of("eu-west-1a", "eu-west-1b"));
  static final List<String> SERVICES = List.of("ratings", "reviews");
  static final String NS = "shop";
  static final String POLICY_NS = "global";
  static final int FS_COUNT = 3;
  static final int VD_COUNT = 2;
  static final int PORT = 9080;
  static final int VD_PORT = 8080;
  static final Instant CREATED = Bookinfo.CREATED;
  static final String FP_NAME = "shop-failover";
  static final String ODP_NAME = "shop-outlier";

  static String fsName(int i) {
    return "fs-" + i;
  }

  static String vdName(int i) {
    return "vd-" + i;
  }

  static ServiceRef serviceRef(int cluster, int service) {
    return new ServiceRef(CLUSTERS.get(cluster), NS, SERVICES.get(service));
  }

  static ServiceRef serviceRef(int pair) {
    return serviceRef(pair / SERVICES.size(), pair % SERVICES.size());
  }

  static String address(ServiceRef ref, int i) {
    return "10." + CLUSTERS.indexOf(ref.cluster()) + "." + SERVICES.indexOf(ref.name()) + "."
        + (i + 1);
  }

  // ---- steps ------------------------------------------------------------------------------------

  sealed interface Step {}

  record PutService(int cluster, int service, int version) implements Step {}

  record DeleteService(int cluster, int service) implements Step {}

  record PutEndpoints(int cluster, int service, List<Boolean> ready) implements Step {}

  record FlipEndpoint(int cluster, int service, int index) implements Step {}

  record DeleteEndpoints(int cluster, int service) implements Step {}

  record PutFailoverService(int index, List<Integer> backing, List<Integer> visibleTo)
      implements Step {}

  record DeleteFailoverService(int index) implements Step {}

  record PutVirtualDestination(int index, int app, boolean teamLabel, List<Integer> visibleTo)
      implements Step {}

  record DeleteVirtualDestination(int index) implements Step {}

  /** damping: 0 the configured default, 1 zero, 2 five seconds. */
  record PutFailoverPolicy(boolean clusterOrder, List<Integer> order, Integer threshold,
      int damping, int weightedCluster, int weight) implements Step {}

  record DeleteFailoverPolicy() implements Step {}

  record PutOutlierPolicy(int consecutiveErrors) implements Step {}

  record DeleteOutlierPolicy() implements Step {}

  record StopHeartbeats(int cluster) implements Step {}

  record StartHeartbeats(int cluster) implements Step {}

  record Pass(int seconds) implements Step {}

  record Scenario(List<Integer> initiallyAlive, List<Step> steps) {}

  static List<Step> concat(List<Step> first, List<Step> then) {
    List<Step> all = new ArrayList<>(first);
    all.addAll(then);
    return all;
  }

  @Provide
  Arbitrary<Scenario> scenarios() {
    Arbitrary<Integer> cluster = Arbitraries.integers().between(0, CLUSTERS.size() - 1);
    Arbitrary<Integer> service = Arbitraries.integers().between(0, SERVICES.size() - 1);
    Arbitrary<List<Integer>> clusterSubset = cluster.list().ofMaxSize(3).uniqueElements();
    Arbitrary<Step> putService = Combinators.combine(cluster, service,
        Arbitraries.integers().between(0, 1)).as(PutService::new);
    Arbitrary<Step> deleteService = Combinators.combine(cluster, service).as(DeleteService::new);
    Arbitrary<Step> putEndpoints = Combinators.combine(cluster, service,
        Arbitraries.of(true, true, false).list().ofMinSize(1).ofMaxSize(6))
        .as(PutEndpoints::new);
    Arbitrary<Step> flip = Combinators.combine(cluster, service,
        Arbitraries.integers().between(0, 5)).as(FlipEndpoint::new);
    Arbitrary<Step> deleteEndpoints = Combinators.combine(cluster, service)
        .as(DeleteEndpoints::new);
    Arbitrary<Step> putFs = Combinators.combine(
        Arbitraries.integers().between(0, FS_COUNT - 1),
        Arbitraries.integers().between(0, CLUSTERS.size() * SERVICES.size() - 1).list()
            .ofMinSize(1).ofMaxSize(3).uniqueElements(),
        clusterSubset).as(PutFailoverService::new);
    Arbitrary<Step> deleteFs = Arbitraries.integers().between(0, FS_COUNT - 1)
        .map(DeleteFailoverService::new);
    Arbitrary<Step> putVd = Combinators.combine(Arbitraries.integers().between(0, VD_COUNT - 1),
        service, Arbitraries.of(true, true, false), clusterSubset)
        .as(PutVirtualDestination::new);
    Arbitrary<Step> deleteVd = Arbitraries.integers().between(0, VD_COUNT - 1)
        .map(DeleteVirtualDestination::new);
    Arbitrary<Step> putFp = Combinators.combine(Arbitraries.of(false, true),
        cluster.list().ofMinSize(1).ofMaxSize(CLUSTERS.size()).uniqueElements(),
        Arbitraries.integers().between(50, 100).injectNull(0.5),
        Arbitraries.integers().between(0, 2), cluster, Arbitraries.integers().between(1, 3))
        .as(PutFailoverPolicy::new);
    Arbitrary<Step> putOdp = Arbitraries.integers().between(1, 10).map(PutOutlierPolicy::new);
    Arbitrary<Step> stop = cluster.map(StopHeartbeats::new);
    Arbitrary<Step> start = cluster.map(StartHeartbeats::new);
    Arbitrary<Step> pass = Arbitraries.integers().between(1, 25).map(Pass::new);
    @SuppressWarnings("unchecked")
    Arbitrary<Step> step = Arbitraries.frequencyOf(
        Tuple.of(6, putService), Tuple.of(2, deleteService), Tuple.of(6, putEndpoints),
        Tuple.of(8, flip), Tuple.of(2, deleteEndpoints), Tuple.of(4, putFs),
        Tuple.of(1, deleteFs), Tuple.of(3, putVd), Tuple.of(1, deleteVd), Tuple.of(2, putFp),
        Tuple.of(1, Arbitraries.just(new DeleteFailoverPolicy())), Tuple.of(1, putOdp),
        Tuple.of(1, Arbitraries.just(new DeleteOutlierPolicy())), Tuple.of(2, stop),
        Tuple.of(2, start), Tuple.of(4, pass))
        .map(s -> (Step) s);
    // A few services and destinations first, so most tries have configs to compare; both
    // lists shrink to nothing.
    @SuppressWarnings("unchecked")
    Arbitrary<Step> setup = Arbitraries.frequencyOf(Tuple.of(3, putService),
        Tuple.of(3, putEndpoints), Tuple.of(2, putFs), Tuple.of(2, putVd)).map(s -> (Step) s);
    return Combinators.combine(
        cluster.list().ofMinSize(1).ofMaxSize(CLUSTERS.size()).uniqueElements(),
        setup.list().ofMaxSize(12).withSizeDistribution(RandomDistribution.uniform()),
        step.list().ofMaxSize(48).withSizeDistribution(RandomDistribution.uniform()))
        .as((alive, first, then) -> new Scenario(alive, concat(first, then)));
  }

  // ---- the property -----------------------------------------------------------------------------

  @Property(tries = 20)
  void configsFollowTheRulesEpochsAreContiguousAndNothingChangesForNothing(
      @ForAll("scenarios") Scenario scenario) throws Exception {
    try (TopologyHarness t = new TopologyHarness(registry.confluentApiUrl())) {
      Run run = new Run(t);
      run.play(scenario);
      run.settle();
      run.assertConfigsFollowTheRules();
      run.assertEpochsContiguous();
      run.assertNothingForNothing();
    }
  }

  /** One try: the topology, the test's own record of the inputs, and what came out. */
  static final class Run {
    final TopologyHarness t;
    final World world = new World();
    final List<FailoverDecision> decisions = new ArrayList<>();
    final Map<String, Map<String, SpecificRecord>> configs = new TreeMap<>();

    Run(TopologyHarness t) {
      this.t = t;
    }

    void play(Scenario scenario) {
      for (int c : scenario.initiallyAlive()) {
        world.alive.add(CLUSTERS.get(c));
      }
      heartbeats();
      tick(Duration.ofMillis(50));
      for (Step step : scenario.steps()) {
        apply(step);
        tick(Duration.ofMillis(50));
      }
    }

    /** Lets damping (20 s), the partial-view grace (10 s) and staleness (30 s) mature. */
    void settle() {
      for (int i = 0; i < 13; i++) {
        heartbeats();
        tick(Duration.ofSeconds(5));
      }
      heartbeats();
      tick(Duration.ofMillis(500));
      readConfigs();
    }

    void heartbeats() {
      for (String cluster : world.alive) {
        heartbeat(cluster);
      }
    }

    void heartbeat(String cluster) {
      t.send(cluster, KeyValue.pair(EventKeys.heartbeat(cluster), ClusterHeartbeat.newBuilder()
          .setAgentVersion("test").setRegion(REGION.get(cluster)).setZones(ZONES.get(cluster))
          .setMeshKind(MeshKind.ISTIO).setTime(t.now()).setStartedAt(CREATED).build()));
      world.heard.add(cluster);
      world.heardAt(cluster, t.now());
    }

    void tick(Duration duration) {
      t.tick(duration);
      drain();
    }

    /**
     * Collects the decisions; config topics are read once, after the settle ({@code
     * latestConfig} keeps every record it reads, and reading a topic the topology has not
     * written yet only logs a warning).
     */
    void drain() {
      decisions.addAll(t.decisions().readValuesToList());
    }

    void readConfigs() {
      for (String cluster : CLUSTERS) {
        configs.put(cluster, latestConfig(cluster));
      }
    }

    /** The compacted config topic of a cluster; empty if the topology never wrote to it. */
    Map<String, SpecificRecord> latestConfig(String cluster) {
      try {
        return t.latestConfig(cluster);
      } catch (IllegalArgumentException unknownTopic) {
        return Map.of();
      }
    }

    void apply(Step step) {
      if (step instanceof PutService s) {
        ServiceRef ref = serviceRef(s.cluster(), s.service());
        world.serviceVersion.put(ref, s.version());
        sendService(ref);
      } else if (step instanceof DeleteService s) {
        ServiceRef ref = serviceRef(s.cluster(), s.service());
        world.serviceVersion.put(ref, null);
        sendService(ref);
      } else if (step instanceof PutEndpoints s) {
        ServiceRef ref = serviceRef(s.cluster(), s.service());
        world.endpoints.put(ref, new ArrayList<>(s.ready()));
        sendEndpoints(ref);
      } else if (step instanceof FlipEndpoint s) {
        ServiceRef ref = serviceRef(s.cluster(), s.service());
        List<Boolean> ready = world.endpoints.get(ref);
        if (ready != null) {
          int i = s.index() % ready.size();
          ready.set(i, !ready.get(i));
          sendEndpoints(ref);
        }
      } else if (step instanceof DeleteEndpoints s) {
        ServiceRef ref = serviceRef(s.cluster(), s.service());
        world.endpoints.put(ref, null);
        sendEndpoints(ref);
      } else if (step instanceof PutFailoverService s) {
        Meta meta = world.nextMeta(Kind.FailoverService, fsName(s.index()), Map.of());
        world.failoverServices.put(s.index(), new FsState(meta, s.backing().stream()
            .map(TopologyPropertyTest::serviceRef).toList(), clusters(s.visibleTo())));
        sendPolicy(ResourceKind.FailoverService, meta, world.failoverServices.get(s.index())
            .avro());
      } else if (step instanceof DeleteFailoverService s) {
        world.failoverServices.remove(s.index());
        world.generations.remove(new ResourceId(Kind.FailoverService, POLICY_NS,
            fsName(s.index())));
        deletePolicy(ResourceKind.FailoverService, fsName(s.index()));
      } else if (step instanceof PutVirtualDestination s) {
        Meta meta = world.nextMeta(Kind.VirtualDestination, vdName(s.index()),
            s.teamLabel() ? Map.of("team", "shop") : Map.of("team", "other"));
        VdState vd = new VdState(meta, SERVICES.get(s.app()), clusters(s.visibleTo()));
        world.virtualDestinations.put(s.index(), vd);
        sendPolicy(ResourceKind.VirtualDestination, meta, vd.avro());
      } else if (step instanceof DeleteVirtualDestination s) {
        world.virtualDestinations.remove(s.index());
        world.generations.remove(new ResourceId(Kind.VirtualDestination, POLICY_NS,
            vdName(s.index())));
        deletePolicy(ResourceKind.VirtualDestination, vdName(s.index()));
      } else if (step instanceof PutFailoverPolicy s) {
        Meta meta = world.nextMeta(Kind.FailoverPolicy, FP_NAME, Map.of());
        Long damping = s.damping() == 0 ? null : s.damping() == 1 ? 0L : 5_000L;
        String weighted = CLUSTERS.get(s.weightedCluster());
        io.meshfed.avro.FailoverPolicySpec spec = io.meshfed.avro.FailoverPolicySpec
            .newBuilder()
            .setDestinations(List.of(ObjectSelector.newBuilder()
                .setLabels(Map.of("team", "shop")).build()))
            .setOrdering(s.clusterOrder() ? io.meshfed.avro.TierOrdering.CLUSTER_ORDER
                : io.meshfed.avro.TierOrdering.LOCALITY)
            .setClusterOrder(s.clusterOrder() ? clusters(s.order()) : List.of())
            .setWeights(List.of(new ClusterWeight(weighted, s.weight())))
            .setFailoverThresholdPercent(s.threshold())
            .setMinHealthyDurationMillis(damping).build();
        world.failoverPolicy = new Resource.FailoverPolicy(meta,
            new io.meshfed.rules.model.FailoverPolicySpec(
                List.of(Selector.byLabels(Map.of("team", "shop"))),
                s.clusterOrder() ? TierOrdering.CLUSTER_ORDER : TierOrdering.LOCALITY,
                List.of(), s.clusterOrder() ? clusters(s.order()) : List.of(),
                Map.of(weighted, s.weight()), s.threshold(), damping));
        sendPolicy(ResourceKind.FailoverPolicy, meta, spec);
      } else if (step instanceof DeleteFailoverPolicy s) {
        world.failoverPolicy = null;
        world.generations.remove(new ResourceId(Kind.FailoverPolicy, POLICY_NS, FP_NAME));
        deletePolicy(ResourceKind.FailoverPolicy, FP_NAME);
      } else if (step instanceof PutOutlierPolicy s) {
        Meta meta = world.nextMeta(Kind.OutlierDetectionPolicy, ODP_NAME, Map.of());
        world.outlierPolicy = new Resource.OutlierDetectionPolicy(meta,
            new io.meshfed.rules.model.OutlierDetectionSpec(odpSelectors(),
                s.consecutiveErrors(), null, null, null));
        sendPolicy(ResourceKind.OutlierDetectionPolicy, meta, new OutlierDetectionPolicySpec(
            List.of(ObjectSelector.newBuilder().setLabels(Map.of("team", "shop")).build(),
                ObjectSelector.newBuilder().setName(fsName(0)).build()),
            new OutlierDetection(s.consecutiveErrors(), null, null, null)));
      } else if (step instanceof DeleteOutlierPolicy s) {
        world.outlierPolicy = null;
        world.generations.remove(new ResourceId(Kind.OutlierDetectionPolicy, POLICY_NS,
            ODP_NAME));
        deletePolicy(ResourceKind.OutlierDetectionPolicy, ODP_NAME);
      } else if (step instanceof StopHeartbeats s) {
        world.alive.remove(CLUSTERS.get(s.cluster()));
      } else if (step instanceof StartHeartbeats s) {
        String cluster = CLUSTERS.get(s.cluster());
        world.alive.add(cluster);
        heartbeat(cluster);
      } else if (step instanceof Pass s) {
        int left = s.seconds();
        while (left > 0) {
          int now = Math.min(5, left);
          heartbeats();
          tick(Duration.ofSeconds(now));
          left -= now;
        }
      }
    }

    static List<String> clusters(List<Integer> indices) {
      return indices.stream().map(CLUSTERS::get).toList();
    }

    static List<Selector> odpSelectors() {
      return List.of(Selector.byLabels(Map.of("team", "shop")),
          new Selector(Map.of(), fsName(0), null, null));
    }

    void sendService(ServiceRef ref) {
      Integer version = world.serviceVersion.get(ref);
      t.send(ref.cluster(), KeyValue.pair(EventKeys.service(ref.cluster(), NS, ref.name()),
          version == null ? null : serviceSnapshot(ref, version)));
    }

    static ServiceSnapshot serviceSnapshot(ServiceRef ref, int version) {
      return ServiceSnapshot.newBuilder().setNamespace(NS).setName(ref.name())
          .setUid("uid-" + ref).setCreationTimestamp(CREATED)
          .setLabels(version == 0 ? Map.of("app", ref.name())
              : Map.of("app", ref.name(), "version", "v" + version))
          .setPorts(List.of(new ServicePort("http", PORT, "TCP", null))).build();
    }

    void sendEndpoints(ServiceRef ref) {
      List<Boolean> ready = world.endpoints.get(ref);
      EndpointSnapshot snapshot = ready == null ? null : EndpointSnapshot.newBuilder()
          .setNamespace(NS).setServiceName(ref.name())
          .setPorts(List.of(new EndpointPort("http", PORT, "TCP", null)))
          .setEndpoints(java.util.stream.IntStream.range(0, ready.size())
              .mapToObj(i -> io.meshfed.avro.Endpoint.newBuilder()
                  .setAddresses(List.of(address(ref, i))).setReady(ready.get(i))
                  .setServing(ready.get(i)).setTargetName(ref.name() + "-" + i).build())
              .toList())
          .build();
      t.send(ref.cluster(), KeyValue.pair(EventKeys.endpoints(ref.cluster(), NS, ref.name()),
          snapshot));
    }

    void sendPolicy(ResourceKind kind, Meta meta, Object spec) {
      t.send(Bookinfo.MGMT, KeyValue.pair(EventKeys.policy(Bookinfo.MGMT, kind, POLICY_NS,
          meta.id().name()), PolicyEvent.newBuilder().setKind(kind).setNamespace(POLICY_NS)
          .setName(meta.id().name()).setUid(meta.uid()).setGeneration(meta.generation())
          .setCreationTimestamp(meta.created()).setLabels(meta.labels()).setSpec(spec).build()));
    }

    void deletePolicy(ResourceKind kind, String name) {
      t.send(Bookinfo.MGMT, KeyValue.pair(EventKeys.policy(Bookinfo.MGMT, kind, POLICY_NS, name),
          null));
    }

    // ---- the checks ---------------------------------------------------------------------------

    void assertConfigsFollowTheRules() {
      Map<String, Map<String, String>> expected = new TreeMap<>();
      Map<String, Map<String, String>> actual = new TreeMap<>();
      for (String cluster : CLUSTERS) {
        expected.put(cluster, new TreeMap<>());
        Map<String, String> got = new TreeMap<>();
        configs.get(cluster).forEach((key, value) -> {
          if (key.startsWith("FederatedDestination/") && value != null) {
            got.put(key, describe((FederatedDestination) value));
          }
        });
        actual.put(cluster, got);
      }
      Instant now = t.now();
      for (FsState fs : world.failoverServices.values()) {
        oracle(fs.resource(), now, expected);
      }
      for (VdState vd : world.virtualDestinations.values()) {
        oracle(vd.resource(), now, expected);
      }
      assertThat(actual).as("per client cluster, each destination's config").isEqualTo(expected);
      int compared = expected.values().stream().mapToInt(Map::size).sum();
      Statistics.label("configs compared").collect(compared == 0 ? "0" : compared < 5 ? "1-4"
          : compared < 10 ? "5-9" : "10+");
      Statistics.label("decisions").collect(decisions.size() < 10 ? "<10"
          : decisions.size() < 40 ? "10-39" : "40+");
    }

    void assertEpochsContiguous() {
      io.meshfed.topology.Oracle.epochsByDestination(decisions).forEach((destination, list) ->
          assertThat(list).as("epochs of %s in decision order", destination)
              .isEqualTo(java.util.stream.LongStream.rangeClosed(1, list.size()).boxed()
                  .toList()));
    }

    void assertNothingForNothing() {
      for (ServiceRef ref : world.serviceVersion.keySet()) {
        sendService(ref);
      }
      for (ServiceRef ref : world.endpoints.keySet()) {
        sendEndpoints(ref);
      }
      heartbeats();
      t.tick(Duration.ofMillis(50));
      heartbeats();
      t.tick(Duration.ofSeconds(2));
      List<FailoverDecision> extra = t.decisions().readValuesToList();
      assertThat(extra).as("decisions after re-sending unchanged inputs").isEmpty();
      for (String cluster : CLUSTERS) {
        List<KeyValue<String, SpecificRecord>> records;
        try {
          records = t.config(cluster).readKeyValuesToList();
        } catch (IllegalArgumentException unknownTopic) {
          records = List.of();
        }
        assertThat(records).as("config records for %s after re-sending unchanged inputs",
            cluster).isEmpty();
      }
    }

    // ---- the oracle ---------------------------------------------------------------------------

    /** What DecideProcessor.evaluate should conclude for one destination, per client cluster. */
    void oracle(Resource.Destination resource, Instant now,
        Map<String, Map<String, String>> expected) {
      List<Service> services = new ArrayList<>();
      world.serviceVersion.forEach((ref, version) -> {
        if (version != null) {
          ServiceSnapshot s = serviceSnapshot(ref, version);
          services.add(new Service(ref, BackendKind.SERVICE, s.getUid(), CREATED, s.getLabels(),
              List.of(new io.meshfed.rules.model.ServicePort("http", PORT, "TCP"))));
        }
      });
      Set<ServiceRef> existing = services.stream().map(Service::ref)
          .collect(Collectors.toSet());
      Findings findings = Validator.validate(resource);
      MembershipResult membership;
      io.meshfed.rules.model.FailoverPolicySpec failoverPolicy = null;
      if (resource instanceof Resource.FailoverService fs) {
        membership = Membership.select(fs.spec(), services);
        findings = findings.plus(Validator.resolveReferences(fs.spec(), existing::contains));
      } else {
        Resource.VirtualDestination vd = (Resource.VirtualDestination) resource;
        membership = Membership.select(vd.spec(), services);
        List<Resource.FailoverPolicy> policies = world.failoverPolicy == null ? List.of()
            : List.of(world.failoverPolicy);
        failoverPolicy = PolicySelection.forDestination(resource.meta(), policies,
            p -> p.spec().destinations()).policy().map(Resource.FailoverPolicy::spec)
            .orElse(null);
      }
      OutlierSettings outlier = OutlierPolicies.forDestination(resource.meta(),
          world.outlierPolicy == null ? List.of() : List.of(world.outlierPolicy)).settings();
      assertThat(findings.isValid()).as("the generator makes valid destinations: %s", findings)
          .isTrue();

      Map<String, ClusterInfo> known = new TreeMap<>();
      for (String cluster : world.heard) {
        known.put(cluster, new ClusterInfo(cluster, REGION.get(cluster),
            Set.copyOf(ZONES.get(cluster)), Map.of(), world.lastHeartbeat.get(cluster)));
      }
      for (String client : known.keySet()) {
        if (!resource.isVisibleTo(client)) {
          continue;
        }
        List<Tier> tiers = resource instanceof Resource.FailoverService fs
            ? TierPlanner.forFailoverService(fs.spec(), membership.members())
            : TierPlanner.forVirtualDestination(membership.members(), failoverPolicy, client,
                known);
        List<TierInput> tierInputs = new ArrayList<>();
        for (Tier tier : tiers) {
          List<MemberInput> members = new ArrayList<>();
          for (Tier.WeightedMember wm : tier.members()) {
            ServiceRef ref = wm.member().ref();
            ClusterInfo info = known.get(ref.cluster());
            boolean stale = HealthRules.isStale(info, world.silenceCountedUntil(now),
                TopologyHarness.TTL);
            List<Boolean> ready = world.endpoints.get(ref);
            List<EndpointInput> endpoints = new ArrayList<>();
            for (int i = 0; ready != null && i < ready.size(); i++) {
              EndpointHealth health = stale ? EndpointHealth.STALE
                  : ready.get(i) ? EndpointHealth.HEALTHY : EndpointHealth.UNHEALTHY;
              endpoints.add(new EndpointInput(address(ref, i), PORT, health, null,
                  REGION.get(ref.cluster())));
            }
            members.add(new MemberInput(ref, wm.weight(), endpoints));
          }
          tierInputs.add(new TierInput(tier.index(), members));
        }
        // Endpoints listen on their service port here: a member resolves targetPort "http" to
        // PORT; with no member, a named targetPort falls back to the destination's own number.
        List<DesiredConfig.Port> ports = io.meshfed.rules.membership.DestinationPorts.resolve(
            resource, membership.members(), (member, servicePort) -> servicePort.number());
        DecisionInputs inputs = new DecisionInputs(resource.id(), resource.meta().generation(),
            client, resource.hostnames(), ports, outlier, tierInputs,
            failoverPolicy != null && failoverPolicy.failoverThresholdPercent() != null
                ? new SplitPolicy.Threshold(failoverPolicy.failoverThresholdPercent())
                : SplitPolicy.DEFAULT,
            Duration.ZERO);
        DesiredConfig config = Decider.decide(null, inputs, now).decision().orElseThrow()
            .config();
        expected.get(client).put("FederatedDestination/" + resource.id().kind() + "/"
            + POLICY_NS + "/" + resource.id().name(), describe(config));
      }
    }
  }

  // ---- canonical descriptions of a config, for a readable comparison ---------------------------

  static String describe(FederatedDestination d) {
    return io.meshfed.topology.Oracle.describe(d);
  }

  static String describe(DesiredConfig c) {
    return io.meshfed.topology.Oracle.describe(c);
  }

  // ---- the test's own record of the inputs ------------------------------------------------------

  record FsState(Meta meta, List<ServiceRef> backing, List<String> visibleTo) {
    Resource.FailoverService resource() {
      return new Resource.FailoverService(meta, new io.meshfed.rules.model.FailoverServiceSpec(
          meta.id().name() + ".shop.global", new io.meshfed.rules.model.PortSpec((long) PORT,
              "http"), List.of(), visibleTo, backing.stream()
              .map(b -> new BackingService(b.name(), b.namespace(), b.cluster())).toList()));
    }

    io.meshfed.avro.FailoverServiceSpec avro() {
      return io.meshfed.avro.FailoverServiceSpec.newBuilder()
          .setHostname(meta.id().name() + ".shop.global").setPort(new PortSpec((long) PORT,
              "http"))
          .setClusters(visibleTo)
          .setBackingServices(backing.stream()
              .map(b -> new ClusterObjectRef(b.name(), b.namespace(), b.cluster())).toList())
          .build();
    }
  }

  record VdState(Meta meta, String app, List<String> visibleTo) {
    Resource.VirtualDestination resource() {
      return new Resource.VirtualDestination(meta, new io.meshfed.rules.model
          .VirtualDestinationSpec(List.of(meta.id().name() + ".mesh.internal"),
          List.of(Selector.byLabels(Map.of("app", app))), List.of(), List.of(),
          List.of(new io.meshfed.rules.model.PortMapping((long) VD_PORT, "HTTP",
              new io.meshfed.rules.model.TargetPort(null, "http"))), visibleTo));
    }

    VirtualDestinationSpec avro() {
      return VirtualDestinationSpec.newBuilder()
          .setHosts(List.of(meta.id().name() + ".mesh.internal"))
          .setServices(List.of(ObjectSelector.newBuilder().setLabels(Map.of("app", app)).build()))
          .setPorts(List.of(new PortMapping((long) VD_PORT, "HTTP", new TargetPort(null,
              "http"))))
          .setClusters(visibleTo).build();
    }
  }

  static final class World {
    /** Every service ever reported, with its label version, or null once deleted. */
    final Map<ServiceRef, Integer> serviceVersion = new LinkedHashMap<>();
    /** Every endpoint snapshot ever reported: readiness per endpoint, or null once deleted. */
    final Map<ServiceRef, List<Boolean>> endpoints = new LinkedHashMap<>();
    final Map<Integer, FsState> failoverServices = new TreeMap<>();
    final Map<Integer, VdState> virtualDestinations = new TreeMap<>();
    Resource.FailoverPolicy failoverPolicy;
    Resource.OutlierDetectionPolicy outlierPolicy;
    /** Generation and uid of each live resource; a re-created one gets a new uid. */
    final Map<ResourceId, Meta> generations = new HashMap<>();
    int uids;
    final Set<String> alive = new TreeSet<>();
    final Set<String> heard = new TreeSet<>();
    /** When each cluster counts as last heard from (see {@link #heardAt}). */
    final Map<String, Instant> lastHeartbeat = new HashMap<>();

    /**
     * The fleet-silence rule (topology/DESIGN.md, "Time"): the first heartbeat after a gap of
     * at least TTL/2 with no heartbeat from any cluster excuses the gap for every cluster.
     */
    void heardAt(String cluster, Instant now) {
      lastHeartbeat.values().stream().max(Instant::compareTo).ifPresent(last -> {
        Duration gap = Duration.between(last, now);
        if (gap.compareTo(TopologyHarness.TTL.dividedBy(2)) >= 0) {
          lastHeartbeat.replaceAll((c, at) -> at.plus(gap).isAfter(now) ? now : at.plus(gap));
        }
      });
      lastHeartbeat.put(cluster, now);
    }

    /** A cluster's silence counts up to the last heartbeat from any cluster. */
    Instant silenceCountedUntil(Instant now) {
      return lastHeartbeat.values().stream().max(Instant::compareTo)
          .filter(last -> !last.isAfter(now)).orElse(now);
    }

    Meta nextMeta(Kind kind, String name, Map<String, String> labels) {
      ResourceId id = new ResourceId(kind, POLICY_NS, name);
      Meta previous = generations.get(id);
      Meta next = previous == null
          ? new Meta(id, "uid-" + name + "-" + (++uids), 1, CREATED, labels)
          : new Meta(id, previous.uid(), previous.generation() + 1, CREATED, labels);
      generations.put(id, next);
      return next;
    }
  }
}
