package io.meshfed.topology.integration;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.ReasonCode;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
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
import io.meshfed.serde.AvroSerde;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.EventKeys;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyMain;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.TopologyConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The failover walkthrough end to end on the real broker, exactly-once, with its latency. */
class WalkthroughIntegrationTest extends BrokerTestBase {

  @Test
  void theFailoverWalkthroughRunsThroughRealKafka() throws Exception {
    // Each of the six cycles waits out the recovery damping once; what damping holds back is
    // proven in the driver tests (WalkthroughTopologyTest, CoalescingTopologyTest), so here it
    // is short: 500 ms instead of the class's 2 s saves about 9 s of the suite.
    start(config("it-walkthrough", Duration.ofMillis(500)));
    OutputCollector out = collect();
    var agent = agent();
    world(agent);
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (String client : List.of(MGMT, REMOTE)) {
        FederatedDestination config = latestConfig(out, client);
        assertThat(config).isNotNull();
        assertThat(config.getActiveTier()).isZero();
        assertThat(config.getTiers().get(0).getEndpoints()).hasSize(2);
      }
    });

    List<Long> failoverLatencies = new ArrayList<>();
    for (int cycle = 0; cycle < 6; cycle++) {
      int seen = decisions(out).size();
      long sent = System.currentTimeMillis();
      send(agent, MGMT, Bookinfo.reviewsEndpoints(MGMT, false));
      await().atMost(Duration.ofSeconds(30)).until(() -> decisions(out).stream().skip(seen)
          .filter(d -> d.getReasonCode() == ReasonCode.TIER_UNHEALTHY).count() == 2);
      long visible = out.onTopic(MeshfedTopics.FAILOVER_EVENTS).stream().skip(seen)
          .mapToLong(OutputCollector.Seen::seenAtMillis).max().orElseThrow();
      failoverLatencies.add(visible - sent);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(latestConfig(out, MGMT).getActiveTier()).isEqualTo(1);
        assertThat(latestConfig(out, REMOTE).getActiveTier()).isEqualTo(1);
      });
      int beforeRestore = decisions(out).size();
      send(agent, MGMT, Bookinfo.heartbeat(MGMT, Instant.now()),
          Bookinfo.reviewsEndpoints(MGMT, true));
      await().atMost(Duration.ofSeconds(30)).until(() -> decisions(out).stream()
          .skip(beforeRestore).filter(d -> d.getReasonCode() == ReasonCode.TIER_RECOVERED)
          .count() == 2);
    }
    List<FailoverDecision> all = decisions(out);
    FailoverDecision failover = all.stream()
        .filter(d -> d.getReasonCode() == ReasonCode.TIER_UNHEALTHY).findFirst().orElseThrow();
    assertThat(failover.getReason()).isEqualTo("tier 0 mgmt-cluster/bookinfo/reviews healthy"
        + " 0/2 (< 71%): 100% to tier 1 remote-cluster/bookinfo/reviews");
    report("failover decision latency (send -> read_committed visible)", failoverLatencies);
  }

}
