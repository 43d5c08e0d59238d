package io.meshfed.topology.coalescing;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.ReasonCode;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.DriverTestBase;
import io.meshfed.topology.TopologyHarness;
import io.meshfed.topology.commit.CommitOnDrain;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The decide stage evaluates a destination once per batch: while the stream thread's last poll
 * still holds records for the task's partitions, inputs only mark destinations dirty.
 * TopologyTestDriver runs the stages on the test's thread, so the test stands in for the
 * consumer: it tells {@link CommitOnDrain.PollCounter} what "the poll" returned for the decide
 * task's member-update partition, then sends the agents' records that produce those updates.
 */
class CoalescingTopologyTest extends DriverTestBase {

  private static final String CONFIG_KEY =
      "FederatedDestination/FailoverService/service-mesh-hub/reviews-failover";

  @Test
  void aFailureAndItsRecoveryInOneBatchDecideNothing() {
    t.world();
    t.decisions().readValuesToList();
    long epoch = config(REMOTE).getEpoch();
    Map<String, Double> before = decideCounters();

    polled(2);
    t.send(MGMT, Bookinfo.reviewsEndpoints(MGMT, false), Bookinfo.reviewsEndpoints(MGMT, true));

    assertThat(t.decisions().readValuesToList()).as("evaluated once, on the final inputs")
        .isEmpty();
    Map<String, Double> after = decideCounters();
    // The decide stage's own counters (on /metrics) say the same: two marks, one evaluation.
    assertThat(after.get("dirty-member-total") - before.get("dirty-member-total")).isEqualTo(2);
    assertThat(after.get("evaluations-total") - before.get("evaluations-total")).isEqualTo(1);
    assertThat(after.get("decisions-total") - before.get("decisions-total")).isZero();
    assertThat(config(REMOTE).getActiveTier()).isZero();
    assertThat(config(REMOTE).getEpoch()).isEqualTo(epoch);
  }

  @Test
  void theSameTwoRecordsOneByOneFailOverAndStayDamped() {
    // The control: evaluated per record, the first update fails over and damping holds it.
    t.world();
    t.decisions().readValuesToList();

    t.send(MGMT, Bookinfo.reviewsEndpoints(MGMT, false), Bookinfo.reviewsEndpoints(MGMT, true));

    assertThat(t.decisions().readValuesToList()).extracting(FailoverDecision::getReasonCode)
        .containsOnly(ReasonCode.TIER_UNHEALTHY).hasSize(2);
    assertThat(config(REMOTE).getActiveTier()).isEqualTo(1);
  }

  @Test
  void aBatchIsEvaluatedWhenItsLastRecordArrivesNotBefore() {
    t.world();
    t.decisions().readValuesToList();

    polled(2);
    t.send(MGMT, Bookinfo.reviewsEndpoints(MGMT, false));
    assertThat(t.decisions().readValuesToList()).as("one of two records processed").isEmpty();

    // The second member update of the batch (it must change something, or the select stage
    // drops it and the poll's count never reaches it).
    t.send(REMOTE, Bookinfo.reviewsEndpoints(REMOTE, false));
    List<FailoverDecision> decided = t.decisions().readValuesToList();
    assertThat(decided).as("one evaluation on both updates: one decision per client")
        .extracting(FailoverDecision::getClientCluster).containsExactlyInAnyOrder(MGMT, REMOTE);
  }

  @Test
  void aLongRoundOfEvaluationIsCutIntoSlicesAndNothingIsLost() throws Exception {
    // A transaction timeout of 1 ms makes the slice 0.1 ms: every round evaluates one
    // destination and leaves the rest dirty for the next drain or punctuation.
    withOneMillisecondTransactions();
    t.world();
    t.send(MGMT, Bookinfo.reviewsVirtualDestination());
    Map<String, Double> before = decideCounters();

    String third = "third-cluster";
    t.send(third, Bookinfo.heartbeat(third, t.now())); // a new client: both destinations dirty
    Map<String, Double> cut = decideCounters();
    assertThat(cut.get("evaluations-total") - before.get("evaluations-total"))
        .as("one destination evaluated before the slice ran out").isEqualTo(1);
    assertThat(cut.get("evaluation-slices-cut-total") - before.get("evaluation-slices-cut-total"))
        .isEqualTo(1);

    t.tick(java.time.Duration.ofSeconds(2)); // punctuations evaluate what is left
    assertThat(decideCounters().get("evaluations-total") - before.get("evaluations-total"))
        .isGreaterThanOrEqualTo(2);
    assertThat(t.latestConfig(third).keySet()).as("the new client got both destinations")
        .contains(CONFIG_KEY).anyMatch(k -> k.contains("VirtualDestination"));
  }

  @Test
  void aBurstIsHeldUntilItIsReadThenEvaluatedOnce() throws Exception {
    // A hold needs expensive evaluations (a thousandth of the slice each, see BurstHold): a
    // transaction timeout of 1 ms makes the slice 0.1 ms, so this small world's evaluations are.
    withOneMillisecondTransactions();
    t.world();
    t.decisions().readValuesToList();
    Map<String, Double> before = decideCounters();

    try {
      // A poll with a burst of the decide task's inputs: its two member updates and 60 control
      // records (heartbeats, say) that have not reached the stage yet.
      polled(2, 60);
      t.send(MGMT, Bookinfo.reviewsEndpoints(MGMT, false));
      t.send(REMOTE, Bookinfo.reviewsEndpoints(REMOTE, false));
      assertThat(t.decisions().readValuesToList()).as("the poll is not drained").isEmpty();
      polled(0, 60); // the burst goes on: another poll of the task's inputs
      // The harness punctuates every second: a punctuation runs in each tick below.
      t.tick(java.time.Duration.ofSeconds(1));
      assertThat(t.decisions().readValuesToList())
          .as("held: without the hold this punctuation would evaluate").isEmpty();

      // A second on, the hold that began at that punctuation is over: this one evaluates.
      t.tick(java.time.Duration.ofMillis(1_500));
      assertThat(t.decisions().readValuesToList()).as("one evaluation on both updates")
          .extracting(FailoverDecision::getClientCluster).containsExactlyInAnyOrder(MGMT, REMOTE);
      Map<String, Double> after = decideCounters();
      assertThat(after.get("evaluations-total") - before.get("evaluations-total")).isEqualTo(1);
      assertThat(after.get("burst-holds-total") - before.get("burst-holds-total")).isPositive();
    } finally {
      polled(0); // the poll count is the thread's: the next test on it starts without a burst
    }
  }

  /** Replaces the harness with one whose producer transaction timeout is 1 ms (slice 0.1 ms). */
  private void withOneMillisecondTransactions() throws Exception {
    t.close();
    java.util.Properties shortTransactions = new java.util.Properties();
    shortTransactions.put("producer.transaction.timeout.ms", "1");
    shortTransactions.put("commit.interval.ms", "1"); // Streams wants it <= the timeout
    t = new TopologyHarness(registryUrl(), shortTransactions);
  }

  /** The decide stage's counters (DecideMetrics), summed over its tasks. */
  private Map<String, Double> decideCounters() {
    Map<String, Double> totals = new java.util.HashMap<>();
    t.driver().metrics().forEach((name, metric) -> {
      if (name.group().equals("stream-meshfed-decide-metrics") && name.name().endsWith("-total")) {
        totals.merge(name.name(), ((Number) metric.metricValue()).doubleValue(), Double::sum);
      }
    });
    return totals;
  }

  private FederatedDestination config(String client) {
    return (FederatedDestination) t.latestConfig(client).get(CONFIG_KEY);
  }

  /** What the consumer would note: a poll returned n member updates for decide task 0. */
  private void polled(int n) {
    polled(n, 0);
  }

  /**
   * The same, with {@code control} records of the decide task's control partition (an input of
   * the task) that no stage has seen yet.
   */
  private void polled(int n, int control) {
    TopicPartition memberUpdates =
        new TopicPartition(t.applicationId() + "-by-destination-repartition", 0);
    TopicPartition controlPartition =
        new TopicPartition(t.applicationId() + "-control-repartition", 0);
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      records.add(new ConsumerRecord<>(memberUpdates.topic(), 0, i, new byte[0], new byte[0]));
    }
    List<ConsumerRecord<byte[], byte[]>> rest = new ArrayList<>();
    for (int i = 0; i < control; i++) {
      rest.add(new ConsumerRecord<>(controlPartition.topic(), 0, i, new byte[0], new byte[0]));
    }
    Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> byPartition =
        new java.util.HashMap<>(Map.of(memberUpdates, records));
    if (control > 0) {
      byPartition.put(controlPartition, rest);
    }
    try (var counter = new CommitOnDrain.PollCounter()) {
      counter.onConsume(new ConsumerRecords<>(byPartition, Map.of()));
    }
  }
}
