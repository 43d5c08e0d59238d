package io.meshfed.topology.integration;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshfed.avro.ReasonCode;
import io.meshfed.topics.EventPartitioner;
import io.meshfed.topology.Bookinfo;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Ingest and select in one sub-topology, on the real broker: events an agent writes with
 * {@link EventPartitioner} (to their service's partition) are handled where they are read and
 * never cross the by-service repartition topic; an event on another partition (a producer with
 * its own partitioning) takes the repartition to the task that keeps its service, and is decided
 * the same.
 */
class PlacedEventsIntegrationTest extends BrokerTestBase {

  private static final String APP = "it-placed-events";
  private static final String BY_SERVICE = APP + "-by-service-repartition";

  @Test
  void placedEventsSkipTheRepartitionAndOthersTakeIt() throws Exception {
    var config = config(APP, DAMPING);
    start(config);
    OutputCollector out = collect();
    var agent = agent();
    world(agent);
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (String client : List.of(MGMT, REMOTE)) {
        assertThat(latestConfig(out, client)).isNotNull();
        assertThat(latestConfig(out, client).getActiveTier()).isZero();
      }
    });
    assertThat(recordsWritten(BY_SERVICE)).as("records through by-service").isZero();

    // The same service's endpoints on a partition that is not its service's.
    var endpoints = Bookinfo.reviewsEndpoints(MGMT, false);
    String topic = "meshfed.cluster." + MGMT + ".events";
    int own = EventPartitioner.partitionOf(endpoints.key, config.partitions());
    int elsewhere = (own + 1) % config.partitions();
    int seen = decisions(out).size();
    agent.send(new ProducerRecord<>(topic, elsewhere, endpoints.key, endpoints.value)).get();
    await().atMost(Duration.ofSeconds(30)).until(() -> decisions(out).stream().skip(seen)
        .filter(d -> d.getReasonCode() == ReasonCode.TIER_UNHEALTHY).count() == 2);
    assertThat(latestConfig(out, MGMT).getActiveTier()).isEqualTo(1);
    // The record and, exactly-once, its transaction's commit marker.
    assertThat(recordsWritten(BY_SERVICE)).as("offsets of by-service").isBetween(1L, 2L);
  }

  /**
   * Offsets a topic has been given, records and transaction markers (its end offsets: the
   * topology purges what it consumed).
   */
  private static long recordsWritten(String topic) throws Exception {
    try (var admin = STACK.kafka().admin()) {
      var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
          .partitions().stream().map(p -> new TopicPartition(topic, p.partition()))
          .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
      return admin.listOffsets(partitions).all().get().values().stream()
          .mapToLong(r -> r.offset()).sum();
    }
  }
}
