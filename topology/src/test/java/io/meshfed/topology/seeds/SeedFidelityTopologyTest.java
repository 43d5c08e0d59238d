package io.meshfed.topology.seeds;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.FailoverServiceSpec;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ObjectSelector;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.OutlierDetectionPolicySpec;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.ResourceState;
import io.meshfed.avro.VirtualDestinationSpec;
import io.meshfed.rules.validation.Validator;
import java.util.List;
import java.util.Map;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.DriverTestBase;
import java.time.Duration;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;

/**
 * Issue #18 ("Seed fidelity") through the topology: records in as agents write them, config and
 * status out as agents read them.
 */
class SeedFidelityTopologyTest extends DriverTestBase {

  private static final String FS_CONFIG_KEY =
      "FederatedDestination/FailoverService/service-mesh-hub/reviews-failover";
  private static final String FS_STATUS_KEY =
      "PolicyStatus/FailoverService/service-mesh-hub/reviews-failover";

  /** The walkthrough's FailoverService at {@code generation}, with a failover threshold. */
  private static KeyValue<String, SpecificRecord> reviewsFailover(long generation,
      Integer thresholdPercent) {
    KeyValue<String, SpecificRecord> walkthrough =
        Bookinfo.failoverService("reviews-failover.bookinfo.global", generation);
    PolicyEvent event = (PolicyEvent) walkthrough.value;
    FailoverServiceSpec spec = FailoverServiceSpec.newBuilder((FailoverServiceSpec) event.getSpec())
        .setFailoverThresholdPercent(thresholdPercent).build();
    return KeyValue.pair(walkthrough.key, PolicyEvent.newBuilder(event).setSpec(spec).build());
  }

  private FederatedDestination config(String cluster, String key) {
    return (FederatedDestination) t.latestConfig(cluster).get(key);
  }

  private PolicyStatus status(String key) {
    return (PolicyStatus) t.latestConfig(MGMT).get(key);
  }

  @Test
  void aFailoverServiceThresholdKeepsAHalfHealthyTierWhereOverprovisioningSpills() {
    // reviews-v1 ready, reviews-v2 not: tier 0 (mgmt-cluster) is half healthy.
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true, false));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()), Bookinfo.reviewsService(REMOTE),
        Bookinfo.reviewsEndpoints(REMOTE, true));
    t.send(MGMT, Bookinfo.outlierPolicy(), reviewsFailover(1, null));
    assertThat(config(MGMT, FS_CONFIG_KEY).getTiers()).extracting(DestinationTier::getLoadPercent)
        .as("Envoy overprovisioning 1.4: 50 %% healthy keeps 70 %%").containsExactly(70, 30);

    t.send(MGMT, reviewsFailover(2, 50));
    FederatedDestination withThreshold = config(MGMT, FS_CONFIG_KEY);
    assertThat(withThreshold.getPolicyGeneration()).isEqualTo(2);
    assertThat(withThreshold.getTiers()).extracting(DestinationTier::getLoadPercent)
        .as("a 50 %% threshold: tier 0 keeps everything").containsExactly(100, 0);
  }

  @Test
  void aFailoverServiceThresholdOutOfRangeIsInvalid() {
    t.world();
    t.send(MGMT, reviewsFailover(2, 0));
    PolicyStatus status = status(FS_STATUS_KEY);
    assertThat(status.getState()).isEqualTo(ResourceState.INVALID);
    assertThat(status.getValidationErrors())
        .containsExactly("spec.failoverThresholdPercent 0 is outside 1-100");
    assertThat(t.deadLetters().readRecordsToList()).isEmpty();
  }

  @Test
  void aBackingServiceThatDoesNotExistIsAWarningAndTrafficGoesToTheOthers() {
    // remote-cluster reports (heartbeat) but has no reviews service.
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()));
    t.send(MGMT, Bookinfo.outlierPolicy(), reviewsFailover(1, null));
    // The first decision waits for every backing service, at most the partial-view grace.
    t.tick(Duration.ofSeconds(11));
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()));

    String missing = "spec.backingServices[1].kubeService: service bookinfo/reviews does not"
        + " exist in cluster remote-cluster (yet)";
    PolicyStatus status = status(FS_STATUS_KEY);
    assertThat(status.getState()).as("a documented deviation from the seed's INVALID")
        .isNotEqualTo(ResourceState.INVALID);
    assertThat(status.getWarnings()).contains(missing);
    for (String client : new String[] {MGMT, REMOTE}) {
      FederatedDestination config = config(client, FS_CONFIG_KEY);
      assertThat(config).as("still routed for %s", client).isNotNull();
      assertThat(config.getActiveTier()).isZero();
      assertThat(config.getTiers().get(1).getMembers()).isEmpty();
    }

    // The service appears: the warning clears, tier 1 fills.
    t.send(REMOTE, Bookinfo.reviewsService(REMOTE), Bookinfo.reviewsEndpoints(REMOTE, true));
    assertThat(status(FS_STATUS_KEY).getWarnings()).doesNotContain(missing);
    assertThat(config(MGMT, FS_CONFIG_KEY).getTiers().get(1).getMembers())
        .extracting(m -> m.getClusterName()).containsExactly(REMOTE);
  }

  private static final String VD_STATUS_KEY = "PolicyStatus/VirtualDestination/global/reviews-vd";

  @Test
  void aHostsOnlyVirtualDestinationWarnsThatNothingRoutesIt() {
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(MGMT, Bookinfo.globalPolicy(ResourceKind.VirtualDestination, "reviews-vd",
        VirtualDestinationSpec.newBuilder().setHosts(List.of("reviews.mesh.internal"))
            .setPorts(List.of(new io.meshfed.avro.PortMapping(8080L, "HTTP", null))).build()));
    PolicyStatus status = status(VD_STATUS_KEY);
    assertThat(status.getValidationErrors()).isEmpty();
    assertThat(status.getWarnings()).contains(Validator.HOSTS_ONLY);
    assertThat(status.getNumSelectedBackingServices()).isZero();
  }

  @Test
  void aDestinationsStatusListsThePoliciesThatApplyToIt() {
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(MGMT, Bookinfo.globalPolicy(ResourceKind.OutlierDetectionPolicy, "reviews-outlier",
        new OutlierDetectionPolicySpec(List.of(ObjectSelector.newBuilder()
            .setLabels(Map.of("team", "reviews")).build()), new OutlierDetection(2, null, null,
            null))), Bookinfo.localFirstPolicy(), Bookinfo.reviewsVirtualDestination());
    assertThat(status(VD_STATUS_KEY).getAppliedDestinationPolicies()).containsExactly(
        new ResourceRef(ResourceKind.FailoverPolicy, "global", "local-first"),
        new ResourceRef(ResourceKind.OutlierDetectionPolicy, "global", "reviews-outlier"));

    // Deleting a policy takes it out of the destination's status.
    t.send(MGMT, KeyValue.pair(Bookinfo.localFirstPolicy().key, null));
    assertThat(status(VD_STATUS_KEY).getAppliedDestinationPolicies()).containsExactly(
        new ResourceRef(ResourceKind.OutlierDetectionPolicy, "global", "reviews-outlier"));

    // The walkthrough's FailoverService: its OutlierDetectionPolicy.
    t.world();
    assertThat(status(FS_STATUS_KEY).getAppliedDestinationPolicies()).containsExactly(
        new ResourceRef(ResourceKind.OutlierDetectionPolicy, "service-mesh-hub",
            "mgmt-reviews-outlier"));
  }
}
