package io.meshfed.topology.decide;

import io.meshfed.avro.ClusterApplyStatus;
import io.meshfed.avro.ClusterObjectRef;
import io.meshfed.avro.Condition;
import io.meshfed.avro.ConditionStatus;
import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FailoverPolicySpec;
import io.meshfed.avro.FailoverServiceSpec;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.MeshApprovalStatus;
import io.meshfed.avro.ObjectSelector;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.OutlierDetectionPolicySpec;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.avro.TierHealth;
import io.meshfed.avro.TrafficSplit;
import io.meshfed.avro.VirtualDestinationSpec;
import io.meshfed.avro.WeightedEndpoint;
import io.meshfed.rules.decision.Decision;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.model.BackendKind;
import io.meshfed.rules.model.Endpoint;
import io.meshfed.rules.model.FailoverServiceSpec.BackingService;
import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.Meta;
import io.meshfed.rules.model.OutlierDetectionSpec;
import io.meshfed.rules.model.PortMapping;
import io.meshfed.rules.model.PortSpec;
import io.meshfed.rules.model.Resource;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.Selector;
import io.meshfed.rules.model.Service;
import io.meshfed.rules.model.ServicePort;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.model.TargetPort;
import io.meshfed.rules.model.TierOrdering;
import io.meshfed.rules.split.Split;
import io.meshfed.rules.status.ResourceStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Translation between the wire records and the rules' domain types, and nothing else. */
public final class AvroMapping {

  private AvroMapping() {}

  public static ResourceId id(ResourceKind kind, String namespace, String name) {
    return new ResourceId(Kind.valueOf(kind.name()), namespace, name);
  }

  public static ResourceId id(PolicyEvent event) {
    return id(event.getKind(), event.getNamespace(), event.getName());
  }

  public static ResourceRef ref(ResourceId id) {
    return new ResourceRef(ResourceKind.valueOf(id.kind().name()), id.namespace(), id.name());
  }

  public static Meta meta(PolicyEvent event) {
    return new Meta(id(event), event.getUid(), event.getGeneration(),
        event.getCreationTimestamp(), event.getLabels());
  }

  /** The domain resource; the event must carry a spec (not be a deletion). */
  public static Resource resource(PolicyEvent event) {
    Meta meta = meta(event);
    Object spec = event.getSpec();
    if (spec instanceof FailoverServiceSpec fs) {
      return new Resource.FailoverService(meta, new io.meshfed.rules.model.FailoverServiceSpec(
          fs.getHostname(),
          fs.getPort() == null ? null
              : new PortSpec(fs.getPort().getNumber(), fs.getPort().getProtocol()),
          fs.getMeshes(), fs.getClusters(),
          fs.getBackingServices().stream()
              .map(b -> b == null ? null
                  : new BackingService(b.getName(), b.getNamespace(), b.getClusterName()))
              .toList(),
          fs.getFailoverThresholdPercent()));
    }
    if (spec instanceof VirtualDestinationSpec vd) {
      return new Resource.VirtualDestination(meta, new io.meshfed.rules.model.VirtualDestinationSpec(
          vd.getHosts(), selectors(vd.getServices()), selectors(vd.getExternalServices()),
          selectors(vd.getExternalWorkloads()),
          vd.getPorts().stream().map(p -> new PortMapping(p.getNumber(), p.getProtocol(),
              p.getTargetPort() == null ? null
                  : new TargetPort(p.getTargetPort().getNumber(), p.getTargetPort().getName())))
              .toList(),
          vd.getClusters(), vd.getClientMode() == null ? null : vd.getClientMode().getModes()));
    }
    if (spec instanceof FailoverPolicySpec fp) {
      Map<String, Integer> weights = new LinkedHashMap<>();
      fp.getWeights().forEach(w -> weights.put(w.getCluster(), w.getWeight()));
      return new Resource.FailoverPolicy(meta, new io.meshfed.rules.model.FailoverPolicySpec(
          selectors(fp.getDestinations()), TierOrdering.valueOf(fp.getOrdering().name()),
          fp.getPriorityLabels(), fp.getClusterOrder(), weights,
          fp.getFailoverThresholdPercent(), fp.getMinHealthyDurationMillis()));
    }
    if (spec instanceof OutlierDetectionPolicySpec od) {
      OutlierDetection o = od.getOutlierDetection();
      return new Resource.OutlierDetectionPolicy(meta, new OutlierDetectionSpec(
          selectors(od.getDestinations()), o.getConsecutiveErrors(), o.getIntervalMillis(),
          o.getBaseEjectionTimeMillis(), o.getMaxEjectionPercent()));
    }
    throw new IllegalArgumentException("PolicyEvent " + id(event) + " carries no spec");
  }

  public static List<Selector> selectors(List<ObjectSelector> selectors) {
    return selectors.stream().map(s -> new Selector(s.getLabels(), s.getName(), s.getNamespace(),
        s.getCluster())).toList();
  }

  public static ServiceRef serviceRef(ClusterObjectRef ref) {
    return new ServiceRef(ref.getClusterName(), ref.getNamespace(), ref.getName());
  }

  public static ClusterObjectRef clusterObjectRef(ServiceRef ref) {
    return new ClusterObjectRef(ref.name(), ref.namespace(), ref.cluster());
  }

  public static Service service(String cluster, ServiceSnapshot s) {
    return new Service(new ServiceRef(cluster, s.getNamespace(), s.getName()),
        BackendKind.valueOf(s.getKind().name()), s.getUid(), s.getCreationTimestamp(),
        s.getLabels(),
        s.getPorts().stream().map(p -> new ServicePort(p.getName(), p.getNumber(),
            p.getProtocol())).toList());
  }

  /** One domain endpoint per address of every EndpointSlice endpoint. */
  public static List<Endpoint> endpoints(EndpointSnapshot snapshot) {
    if (snapshot == null) {
      return List.of();
    }
    return snapshot.getEndpoints().stream()
        .flatMap(e -> e.getAddresses().stream().map(address -> new Endpoint(address, e.getReady(),
            e.getServing(), e.getTerminating(), e.getZone(), e.getRegion())))
        .toList();
  }

  /**
   * The endpoint port for a service port: the EndpointSlice port with the same name, else the
   * only port, else the service port number (EndpointSlice semantics).
   */
  public static int endpointPort(EndpointSnapshot snapshot, ServicePort servicePort) {
    if (snapshot != null) {
      for (var port : snapshot.getPorts()) {
        if (servicePort.name() != null && servicePort.name().equals(port.getName())) {
          return port.getPort();
        }
      }
      if (snapshot.getPorts().size() == 1) {
        return snapshot.getPorts().get(0).getPort();
      }
    }
    return servicePort.number();
  }

  public static OutlierDetection outlier(OutlierSettings s) {
    return new OutlierDetection(s.consecutiveErrors(), s.interval().toMillis(),
        s.baseEjectionTime().toMillis(), s.maxEjectionPercent());
  }

  public static FederatedDestination federatedDestination(DesiredConfig c, Instant time) {
    return federatedDestination(c, shared(c), time);
  }

  /**
   * The parts of a config that do not depend on the client cluster, epoch or time, in Avro
   * form: what {@link ConfigFanOut} builds once per distinct config of an evaluation.
   */
  record SharedConfig(List<String> hosts, List<DestinationPort> ports,
      List<DestinationTier> tiers, int activeTier, OutlierDetection outlier) {}

  static SharedConfig shared(DesiredConfig c) {
    return new SharedConfig(List.copyOf(c.hosts()), c.ports().stream()
        .map(p -> new DestinationPort(p.number(), p.protocol(), p.targetPort())).toList(),
        c.tiers().stream().map(t -> new DestinationTier(t.index(), t.loadPercent(),
            t.members().stream().map(AvroMapping::clusterObjectRef).toList(),
            t.endpoints().stream().map(e -> WeightedEndpoint.newBuilder()
                .setAddress(e.address()).setPort(e.port()).setWeight(e.weight())
                .setCluster(e.service().cluster()).setNamespace(e.service().namespace())
                .setService(e.service().name()).setZone(e.zone()).setRegion(e.region())
                .setHealth(io.meshfed.avro.EndpointHealth.valueOf(e.health().name()))
                .setPorts(e.ports()).build())
                .toList()))
            .toList(),
        c.activeTier(), outlier(c.outlier()));
  }

  /** {@code c}'s record with {@code shared} (built from a config equal to {@code c}'s but for
   *  client, epoch and time) as its client-independent part, the same instances. */
  static FederatedDestination federatedDestination(DesiredConfig c, SharedConfig shared,
      Instant time) {
    FederatedDestination d = new FederatedDestination();
    d.setDestination(ref(c.destination()));
    d.setClientCluster(c.clientCluster());
    d.setHosts(shared.hosts());
    d.setPorts(shared.ports());
    d.setTiers(shared.tiers());
    d.setActiveTier(shared.activeTier());
    d.setOutlierDetection(shared.outlier());
    d.setEpoch(c.epoch());
    d.setPolicyGeneration(c.generation());
    d.setTime(time);
    d.setClientMode(io.meshfed.avro.ClientMode.AUTO); // the evaluation's, set by DecisionLedger
    return d;
  }

  /** The clientMode a destination's configs carry: a VirtualDestination's, else AUTO. */
  public static io.meshfed.avro.ClientMode clientMode(Resource.Destination destination) {
    return destination instanceof Resource.VirtualDestination vd
        && vd.spec().resolvedClientMode() == io.meshfed.rules.model.ClientMode.SNI_ROUTING
        ? io.meshfed.avro.ClientMode.SNI_ROUTING : io.meshfed.avro.ClientMode.AUTO;
  }

  public static TrafficSplit split(Split split) {
    return split == null ? null : new TrafficSplit(split.activeTier(), split.tierLoadPercent());
  }

  public static FailoverDecision decision(Decision d) {
    return FailoverDecision.newBuilder()
        .setDestination(ref(d.destination()))
        .setClientCluster(d.clientCluster())
        .setEpoch(d.epoch())
        .setBefore(split(d.before()))
        .setAfter(split(d.after()))
        .setReasonCode(io.meshfed.avro.ReasonCode.valueOf(d.reasonCode().name()))
        .setReason(d.reason())
        .setInputs(d.inputs().stream().map(t -> new TierHealth(t.index(), t.healthy(),
            t.ejected(), t.unknown(), t.total())).toList())
        .setPolicyGeneration(d.generation())
        .setTime(d.time())
        .build();
  }

  public static PolicyStatus status(ResourceStatus s, String uid, Instant time) {
    return PolicyStatus.newBuilder()
        .setResource(ref(s.id()))
        .setUid(uid)
        .setObservedGeneration(s.observedGeneration())
        .setState(io.meshfed.avro.ResourceState.valueOf(s.state().name()))
        .setValidationErrors(s.validationErrors())
        .setWarnings(s.warnings())
        .setClusters(s.clusters().stream().map(c -> ClusterApplyStatus.newBuilder()
            .setCluster(c.cluster()).setAppliedGeneration(c.appliedGeneration())
            .setAppliedEpoch(c.appliedEpoch())
            .setState(io.meshfed.avro.ResourceState.valueOf(c.state().name()))
            .setMessage(c.message()).setLatestEpoch(c.latestEpoch())
            .setConditions(conditions(c.conditions(), time)).build()).toList())
        .setNumSelectedBackingServices(s.numSelectedBackingServices())
        .setSelectedBackingServices(s.selectedBackingServices().stream()
            .map(AvroMapping::clusterObjectRef).toList())
        .setAppliedDestinationPolicies(s.appliedPolicies().stream().map(AvroMapping::ref)
            .toList())
        .setConditions(conditions(s.conditions(), time))
        .setMeshes(s.meshes().stream().map(m -> MeshApprovalStatus.newBuilder()
            .setMesh(m.mesh()).setAcceptanceOrder(m.acceptanceOrder())
            .setState(io.meshfed.avro.ResourceState.valueOf(m.state().name()))
            .setErrors(m.errors()).build()).toList())
        .setSelectedDestinations(s.reach().listed().stream().map(AvroMapping::ref).toList())
        .setNumSelectedDestinations(s.reach().total())
        .setTime(time)
        .build();
  }

  /** Conditions stamped with {@code time}; {@link #keepTransitionTimes} corrects the stamp. */
  private static List<Condition> conditions(List<io.meshfed.rules.status.Condition> conditions,
      Instant time) {
    return conditions.stream().map(c -> Condition.newBuilder().setType(c.type())
        .setStatus(ConditionStatus.valueOf(c.status().name())).setReason(c.reason())
        .setMessage(c.message()).setObservedGeneration(c.observedGeneration())
        .setLastTransitionTime(time).build()).toList();
  }

  /**
   * Kubernetes' rule for {@code lastTransitionTime}: it moves only when a condition's status
   * changes. Each condition of {@code next} whose type had the same status in {@code last}
   * (overall, or in the same cluster) takes {@code last}'s time.
   */
  public static void keepTransitionTimes(PolicyStatus last, PolicyStatus next) {
    keep(last.getConditions(), next.getConditions());
    Map<String, ClusterApplyStatus> before = new LinkedHashMap<>();
    last.getClusters().forEach(c -> before.put(c.getCluster(), c));
    for (ClusterApplyStatus c : next.getClusters()) {
      ClusterApplyStatus b = before.get(c.getCluster());
      if (b != null) {
        keep(b.getConditions(), c.getConditions());
      }
    }
  }

  private static void keep(List<Condition> last, List<Condition> next) {
    for (Condition n : next) {
      for (Condition l : last) {
        if (l.getType().equals(n.getType()) && l.getStatus() == n.getStatus()) {
          n.setLastTransitionTime(l.getLastTransitionTime());
        }
      }
    }
  }
}
