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
import io.meshfed.rules.decision.DesiredConfig;
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

/** A kill and restart mid-stream: contiguous epochs, and the final state equals the rules' (the oracle). */
class RestartIntegrationTest extends BrokerTestBase {

  @Test
  void killedAndRestartedMidStreamTheDecisionLogStaysContiguousAndMatchesTheRules()
      throws Exception {
    TopologyConfig config = config("it-restart", Duration.ZERO);
    KafkaStreams first = start(config);
    OutputCollector out = collect();
    var agent = agent();
    world(agent);
    heartbeats(agent);
    await().atMost(Duration.ofSeconds(60))
        .untilAsserted(() -> assertThat(latestConfig(out, REMOTE)).isNotNull());
    int initialDecisions = decisions(out).size();

    boolean ready = true;
    for (int i = 0; i < 30; i++) {
      ready = !ready;
      send(agent, MGMT, Bookinfo.reviewsEndpoints(MGMT, ready));
      if (i == 12) {
        // Killed: no clean shutdown, no final commit. A new instance with an empty state
        // directory takes over and restores from the changelogs.
        first.close(Duration.ZERO);
        start(config.withStateDir(Files.createTempDirectory("meshfed-it-restarted")));
      }
    }
    boolean finalReady = ready;
    // Every flip moves both clients between tier 0 and tier 1 (no damping): 60 decisions. Waiting
    // for the tier alone is not enough: before the new instance has caught up, the latest config
    // can be an earlier flip's that happens to show the final tier (a clean-clone CI run failed
    // on exactly that).
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
      assertThat(decisions(out)).hasSizeGreaterThanOrEqualTo(initialDecisions + 60);
      for (String client : List.of(MGMT, REMOTE)) {
        assertThat(latestConfig(out, client).getActiveTier()).isEqualTo(finalReady ? 0 : 1);
      }
    });

    List<Long> epochs = decisions(out).stream().map(FailoverDecision::getEpoch).toList();
    assertThat(epochs).as("one contiguous sequence per destination, no duplicates")
        .isEqualTo(java.util.stream.LongStream.rangeClosed(1, epochs.size()).boxed().toList());

    for (String client : List.of(MGMT, REMOTE)) {
      DesiredConfig oracle = oracle(client, finalReady);
      FederatedDestination actual = latestConfig(out, client);
      assertThat(actual.getActiveTier()).isEqualTo(oracle.activeTier());
      assertThat(actual.getTiers()).extracting(t -> t.getLoadPercent())
          .containsExactlyElementsOf(oracle.tiers().stream()
              .map(DesiredConfig.Tier::loadPercent).toList());
      assertThat(actual.getTiers().stream().flatMap(t -> t.getEndpoints().stream())
          .map(e -> e.getAddress() + "=" + e.getWeight()).toList())
          .containsExactlyElementsOf(oracle.tiers().stream()
              .flatMap(t -> t.endpoints().stream()).map(e -> e.address() + "=" + e.weight())
              .toList());
    }
  }

  /** The pure rules applied to the final world, from scratch (shared with the fault suite). */
  private static DesiredConfig oracle(String client, boolean mgmtReady) {
    return io.meshfed.topology.Oracle.reviewsFailover(client, mgmtReady);
  }

}
