package io.meshfed.topology;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.rules.decision.Decider;
import io.meshfed.rules.decision.DecisionInputs;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.decision.EndpointInput;
import io.meshfed.rules.decision.MemberInput;
import io.meshfed.rules.decision.TierInput;
import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.split.SplitPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The oracle the topology's tests and the fault suite ({@code ./meshfed chaos}) share: what the
 * pure rules conclude from the final inputs, a canonical text of a config so that the
 * topology's output and the rules' conclusion compare field by field, and the decision log's
 * contiguity (epochs 1..n per destination, read with read_committed). One copy, so a change of
 * the rules or the config's shape cannot leave one checker behind the other.
 */
public final class Oracle {

  private Oracle() {}

  /**
   * The walkthrough's reviews-failover ({@link Bookinfo#failoverService}: tier 0 reviews on
   * mgmt-cluster, v1 and v2; tier 1 reviews on remote-cluster, v3) as the rules decide it from
   * scratch for {@code client}, with mgmt-cluster's endpoints all ready or all unready,
   * remote-cluster's ready, no outlier policy and no damping.
   */
  public static DesiredConfig reviewsFailover(String client, boolean mgmtReady) {
    return reviewsFailover(client, mgmtReady, OutlierSettings.DEFAULTS);
  }

  /** As above, with the outlier settings a policy gives (the defaults without one). */
  public static DesiredConfig reviewsFailover(String client, boolean mgmtReady,
      OutlierSettings outlier) {
    EndpointHealth h = mgmtReady ? EndpointHealth.HEALTHY : EndpointHealth.UNHEALTHY;
    return reviewsFailover(client, List.of(new EndpointInput("10.0.0.11", 9080, h, null, null),
        new EndpointInput("10.0.0.12", 9080, h, null, null)), outlier);
  }

  /** As above, with mgmt-cluster's reviews endpoints as given. */
  public static DesiredConfig reviewsFailover(String client, List<EndpointInput> mgmtEndpoints,
      OutlierSettings outlier) {
    var tiers = List.of(
        new TierInput(0, List.of(new MemberInput(new ServiceRef(Bookinfo.MGMT, "bookinfo",
            "reviews"), 1, mgmtEndpoints))),
        new TierInput(1, List.of(new MemberInput(new ServiceRef(Bookinfo.REMOTE, "bookinfo",
            "reviews"), 1, List.of(new EndpointInput("10.1.0.21", 9080,
                EndpointHealth.HEALTHY, null, null))))));
    var inputs = new DecisionInputs(new ResourceId(Kind.FailoverService, "service-mesh-hub",
        "reviews-failover"), 1, client, List.of("reviews-failover.bookinfo.global"),
        List.of(new DesiredConfig.Port(9080, "HTTP", 9080)), outlier, tiers,
        SplitPolicy.DEFAULT, Duration.ZERO);
    return Decider.decide(null, inputs, Instant.now()).decision().orElseThrow().config();
  }

  /** A config the topology wrote, as text comparable with {@link #describe(DesiredConfig)}. */
  public static String describe(FederatedDestination d) {
    OutlierDetection o = d.getOutlierDetection();
    StringBuilder text = new StringBuilder();
    text.append("hosts=").append(d.getHosts().stream().map(String::valueOf).toList())
        .append(" ports=").append(d.getPorts().stream()
            .map(p -> p.getNumber() + "/" + p.getProtocol() + "->" + p.getTargetPort()).toList())
        .append(" outlier=").append(o.getConsecutiveErrors()).append(',')
        .append(o.getIntervalMillis()).append(',').append(o.getBaseEjectionTimeMillis())
        .append(',').append(o.getMaxEjectionPercent())
        .append(" active=").append(d.getActiveTier());
    d.getTiers().forEach(tier -> text.append(" | tier ").append(tier.getIndex())
        .append(" load=").append(tier.getLoadPercent())
        .append(" members=").append(tier.getMembers().stream()
            .map(m -> m.getClusterName() + "/" + m.getNamespace() + "/" + m.getName()).toList())
        .append(" endpoints=").append(tier.getEndpoints().stream()
            .map(e -> e.getAddress() + ":" + e.getPort() + "=" + e.getWeight()).toList()));
    return text.toString();
  }

  /** What the rules concluded, as text comparable with {@link #describe(FederatedDestination)}. */
  public static String describe(DesiredConfig c) {
    OutlierSettings o = c.outlier();
    StringBuilder text = new StringBuilder();
    text.append("hosts=").append(c.hosts())
        .append(" ports=").append(c.ports().stream()
            .map(p -> p.number() + "/" + p.protocol() + "->" + p.targetPort()).toList())
        .append(" outlier=").append(o.consecutiveErrors()).append(',')
        .append(o.interval().toMillis()).append(',').append(o.baseEjectionTime().toMillis())
        .append(',').append(o.maxEjectionPercent())
        .append(" active=").append(c.activeTier());
    c.tiers().forEach(tier -> text.append(" | tier ").append(tier.index())
        .append(" load=").append(tier.loadPercent())
        .append(" members=").append(tier.members().stream()
            .map(m -> m.cluster() + "/" + m.namespace() + "/" + m.name()).toList())
        .append(" endpoints=").append(tier.endpoints().stream()
            .map(e -> e.address() + ":" + e.port() + "=" + e.weight()).toList()));
    return text.toString();
  }

  /** Epochs per destination ({@code Kind/name}), in the order the decision log holds them. */
  public static Map<String, List<Long>> epochsByDestination(List<FailoverDecision> decisions) {
    Map<String, List<Long>> epochs = new TreeMap<>();
    for (FailoverDecision d : decisions) {
      epochs.computeIfAbsent(d.getDestination().getKind() + "/" + d.getDestination().getName(),
          k -> new ArrayList<>()).add(d.getEpoch());
    }
    return epochs;
  }

  /**
   * How far a destination's epochs in log order are from 1..n: each epoch out of place (a
   * duplicate, a gap or a reordering) counts once. Zero is a contiguous log.
   */
  public static int epochsOutOfPlace(List<Long> epochs) {
    int wrong = 0;
    for (int i = 0; i < epochs.size(); i++) {
      if (epochs.get(i) != i + 1) {
        wrong++;
      }
    }
    return wrong;
  }
}
