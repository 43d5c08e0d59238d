package io.meshfed.rules.decision;

import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.split.SplitPolicy;
import java.time.Duration;
import java.util.List;

/**
 * The Service Mesh Hub failover walkthrough as decision inputs: reviews v1 and v2 on
 * mgmt-cluster (tier 0), reviews v3 on remote-cluster (tier 1), seen from mgmt-cluster.
 */
final class Walkthrough {

  static final ResourceId REVIEWS_FAILOVER =
      new ResourceId(Kind.FailoverService, "service-mesh-hub", "reviews-failover");
  static final ServiceRef MGMT = new ServiceRef("mgmt-cluster", "bookinfo", "reviews");
  static final ServiceRef REMOTE = new ServiceRef("remote-cluster", "bookinfo", "reviews");
  static final Duration DAMPING = Duration.ofSeconds(30);

  private Walkthrough() {}

  static DecisionInputs inputs(EndpointHealth v1, EndpointHealth v2, EndpointHealth v3) {
    TierInput tier0 = new TierInput(0, List.of(new MemberInput(MGMT, 1, List.of(
        new EndpointInput("10.0.0.11", 9080, v1, "us-east-1a", "us-east-1"),
        new EndpointInput("10.0.0.12", 9080, v2, "us-east-1b", "us-east-1")))));
    TierInput tier1 = new TierInput(1, List.of(new MemberInput(REMOTE, 1, List.of(
        new EndpointInput("10.1.0.21", 9080, v3, "eu-west-1a", "eu-west-1")))));
    return new DecisionInputs(REVIEWS_FAILOVER, 1, "mgmt-cluster",
        List.of("reviews-failover.bookinfo.global"),
        List.of(new DesiredConfig.Port(9080, "HTTP", 9080)),
        new OutlierSettings(1, Duration.ofSeconds(10), Duration.ofSeconds(30), 100),
        List.of(tier0, tier1), SplitPolicy.DEFAULT, DAMPING);
  }
}
