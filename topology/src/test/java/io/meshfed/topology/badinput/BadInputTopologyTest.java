package io.meshfed.topology.badinput;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ResourceState;
import io.meshfed.serde.WireFormatException;
import io.meshfed.topics.EventKeys;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.DriverTestBase;
import io.meshfed.topology.ingest.InvalidEventException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Every kind of bad input lands in the dead-letter topic with headers that say why, and the
 * good records around it are still processed.
 */
class BadInputTopologyTest extends DriverTestBase {

  private static final String CONFIG_KEY =
      "FederatedDestination/FailoverService/service-mesh-hub/reviews-failover";


  private static String header(Headers headers, String name) {
    var header = headers.lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  /** Where a dead letter came from and why, for a failure message. */
  private static String describe(TestRecord<byte[], byte[]> dead) {
    return header(dead.headers(), "__streams.errors.topic") + "-"
        + header(dead.headers(), "__streams.errors.partition") + "@"
        + header(dead.headers(), "__streams.errors.offset") + " "
        + header(dead.headers(), "__streams.errors.exception") + ": "
        + header(dead.headers(), "__streams.errors.message");
  }

  /** Sends the walkthrough world with {@code bad} in the middle; the world must still work. */
  private TestRecord<byte[], byte[]> deadLetterFor(Runnable bad) {
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsService(MGMT));
    bad.run();
    t.send(MGMT, Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()), Bookinfo.reviewsService(REMOTE),
        Bookinfo.reviewsEndpoints(REMOTE, true));
    t.send(MGMT, Bookinfo.outlierPolicy(),
        Bookinfo.failoverService("reviews-failover.bookinfo.global", 1));
    FederatedDestination config = (FederatedDestination) t.latestConfig(REMOTE).get(CONFIG_KEY);
    assertThat(config).as("good records around the bad one are processed").isNotNull();
    assertThat(config.getTiers().get(0).getEndpoints()).hasSize(2);
    List<TestRecord<byte[], byte[]>> dead = t.deadLetters().readRecordsToList();
    assertThat(dead).as("dead letters (where and why): %s", dead.stream()
        .map(BadInputTopologyTest::describe).toList()).hasSize(1);
    TestRecord<byte[], byte[]> record = dead.get(0);
    assertThat(header(record.headers(), "__streams.errors.topic"))
        .isEqualTo("meshfed.cluster.mgmt-cluster.events");
    assertThat(header(record.headers(), "__streams.errors.partition")).isEqualTo("0");
    assertThat(header(record.headers(), "__streams.errors.offset")).isNotNull();
    return record;
  }

  @Test
  void corruptBytes() {
    byte[] garbage = "not avro at all".getBytes(StandardCharsets.UTF_8);
    var dead = deadLetterFor(() -> t.sendRaw(MGMT, EventKeys.service(MGMT, "bookinfo", "x"),
        garbage));
    assertThat(header(dead.headers(), "__streams.errors.exception"))
        .isEqualTo(WireFormatException.CorruptPayload.class.getName());
    assertThat(header(dead.headers(), "__streams.errors.message"))
        .contains("not the schema-registry magic byte 0");
    assertThat(dead.value()).isEqualTo(garbage);
  }

  @Test
  void unknownSchemaId() {
    byte[] frame = ByteBuffer.allocate(6).put((byte) 0).putInt(977_123).put((byte) 0).array();
    var dead = deadLetterFor(() -> t.sendRaw(MGMT, EventKeys.service(MGMT, "bookinfo", "x"),
        frame));
    assertThat(header(dead.headers(), "__streams.errors.exception"))
        .isEqualTo(WireFormatException.UnknownSchemaId.class.getName());
    assertThat(header(dead.headers(), "__streams.errors.message")).contains("977123");
  }

  @Test
  void spoofedClusterInTheKey() {
    var spoof = Bookinfo.reviewsService(REMOTE); // key says remote-cluster
    var dead = deadLetterFor(() -> t.send(MGMT, spoof));
    assertThat(header(dead.headers(), "__streams.errors.exception"))
        .isEqualTo(InvalidEventException.SpoofedCluster.class.getName());
    assertThat(header(dead.headers(), "__streams.errors.message")).isEqualTo("record on topic"
        + " 'meshfed.cluster.mgmt-cluster.events' (cluster mgmt-cluster) claims cluster"
        + " 'remote-cluster' in its key 'remote-cluster/Service/bookinfo/reviews'");
  }

  @Test
  void malformedKeyAndWrongValueType() {
    deadLetterFor(() -> t.send(MGMT, KeyValue.pair("mgmt-cluster/Nonsense/x",
        Bookinfo.reviewsService(MGMT).value)));
    t.send(MGMT, KeyValue.pair(EventKeys.heartbeat(MGMT), Bookinfo.reviewsService(MGMT).value));
    var dead = t.deadLetters().readRecordsToList();
    assertThat(dead).hasSize(1);
    assertThat(header(dead.get(0).headers(), "__streams.errors.message")).isEqualTo("key"
        + " 'mgmt-cluster/Heartbeat' carries io.meshfed.avro.ServiceSnapshot, expected"
        + " ClusterHeartbeat");
  }

  @Test
  void aPolicyFromANonPolicyClusterIsRejectedWithAStatusAndChangesNothing() {
    t.send(REMOTE, Bookinfo.heartbeat(REMOTE, t.now()));
    t.send(REMOTE, Bookinfo.failoverServiceFrom(REMOTE, "evil.global", 1));
    Map<String, SpecificRecord> remote = t.latestConfig(REMOTE);
    PolicyStatus status = (PolicyStatus) remote.get(
        "PolicyStatus/FailoverService/service-mesh-hub/reviews-failover");
    assertThat(status.getState()).isEqualTo(ResourceState.INVALID);
    assertThat(status.getValidationErrors()).containsExactly("cluster remote-cluster is not a"
        + " policy source; policies are accepted only from mgmt-cluster");
    assertThat(remote).doesNotContainKey(CONFIG_KEY);
    assertThat(t.decisions().readValuesToList()).isEmpty();
  }

  @Test
  void anInvalidFailoverServiceIsInvalidWithItsMessageAndRoutesNothing() {
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsService(MGMT),
        Bookinfo.reviewsEndpoints(MGMT, true));
    t.send(MGMT, Bookinfo.failoverService("Not_A_Host", 1));
    Map<String, SpecificRecord> mgmt = t.latestConfig(MGMT);
    PolicyStatus status = (PolicyStatus) mgmt.get(
        "PolicyStatus/FailoverService/service-mesh-hub/reviews-failover");
    assertThat(status.getState()).isEqualTo(ResourceState.INVALID);
    assertThat(status.getValidationErrors()).containsExactly("spec.hostname \"Not_A_Host\" is"
        + " not a valid DNS name: label \"Not_A_Host\" must be 1-63 lower-case letters, digits"
        + " or '-', starting and ending with a letter or digit");
    assertThat(mgmt).doesNotContainKey(CONFIG_KEY);
  }

  @Test
  void aDeletedServiceLeavesTheDestinationAndOutOfOrderHeartbeatsAreIgnored() {
    t.world();
    t.latestConfig(MGMT);
    // A heartbeat stamped in the past must not roll the cluster's state back.
    t.tick(Duration.ofSeconds(1));
    t.send(MGMT, Bookinfo.heartbeat(MGMT, t.now().minusSeconds(3600)));
    t.send(MGMT, KeyValue.pair(EventKeys.service(MGMT, "bookinfo", "reviews"), null));
    FederatedDestination config = (FederatedDestination) t.latestConfig(MGMT).get(CONFIG_KEY);
    assertThat(config.getTiers().get(0).getMembers()).isEmpty();
    assertThat(config.getActiveTier()).isEqualTo(1);
    PolicyStatus status = (PolicyStatus) t.latestConfig(MGMT).get(
        "PolicyStatus/FailoverService/service-mesh-hub/reviews-failover");
    assertThat(status.getWarnings()).contains("spec.backingServices[0].kubeService: service"
        + " bookinfo/reviews does not exist in cluster mgmt-cluster (yet)");
    assertThat(status.getNumSelectedBackingServices()).isEqualTo(1);
    assertThat(t.deadLetters().readRecordsToList()).isEmpty();
  }
}
