package io.meshfed.topology.integration;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshfed.avro.ReasonCode;
import io.meshfed.topology.Bookinfo;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * Exactly-once commits when a thread has processed what it polled (CommitOnDrain), not only on
 * the commit interval: with the interval at a minute, every hop's output would stay invisible
 * to read_committed consumers for that minute (the waits below are shorter); with group commit
 * a failover is visible in seconds.
 */
class GroupCommitIntegrationTest extends BrokerTestBase {

  @Test
  void exactlyOnceOutputIsVisibleLongBeforeTheCommitInterval() throws Exception {
    Properties extra = new Properties();
    extra.put("commit.interval.ms", 60_000);
    // Streams refuses a commit interval longer than the transaction timeout.
    extra.put("producer.transaction.timeout.ms", 90_000);
    start(config("it-group-commit", DAMPING), extra);
    OutputCollector out = collect();
    var agent = agent();
    world(agent);
    await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
      for (String client : List.of(MGMT, REMOTE)) {
        assertThat(latestConfig(out, client)).isNotNull();
        assertThat(latestConfig(out, client).getActiveTier()).isZero();
      }
    });

    int seen = decisions(out).size();
    send(agent, MGMT, Bookinfo.reviewsEndpoints(MGMT, false));
    await().atMost(Duration.ofSeconds(10)).until(() -> decisions(out).stream().skip(seen)
        .filter(d -> d.getReasonCode() == ReasonCode.TIER_UNHEALTHY).count() == 2);
    assertThat(latestConfig(out, MGMT).getActiveTier()).isEqualTo(1);
  }
}
