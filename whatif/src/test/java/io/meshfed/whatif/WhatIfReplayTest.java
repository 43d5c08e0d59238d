package io.meshfed.whatif;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.ObjectSelector;
import io.meshfed.avro.ResourceKind;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyHarness;
import io.meshfed.topology.config.TopologyConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The acceptance test of issue 19's what-if: a recorded sequence in which mgmt-cluster's
 * reviews endpoints go down and up every 10 s three times. Live, with 5 s of failback damping,
 * the topology failed back after each 10 s of health and over again when it dropped: two
 * flaps. Replayed with the proposed 60 s, traffic stays on the remote tier until the endpoints
 * have held for 60 s: one failover, one failback, no flap.
 *
 * <p>The recording is made the way the topology makes it: the events went through the real
 * topology (under TopologyTestDriver, with the live 5 s policy) and both the events, with their
 * timestamps, and the decisions it wrote are put on a real broker's topics; the replay then
 * reads them back from the broker as it would from a running stack.
 */
class WhatIfReplayTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry();

  private static final Instant START = TopologyHarness.START;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path EXAMPLES = Path.of("..", "examples", "whatif");
  private static TopologyConfig live;

  @BeforeAll
  static void record() throws Exception {
    // Records older than a broker's default retention (7 days) would be deleted under us.
    List<NewTopic> topics = new ArrayList<>();
    for (String name : List.of("meshfed.cluster." + MGMT + ".events",
        "meshfed.cluster." + REMOTE + ".events", MeshfedTopics.FAILOVER_EVENTS)) {
      topics.add(new NewTopic(name, 1, (short) 1).configs(Map.of("retention.ms", "-1")));
    }
    STACK.kafka().createTopics(topics);
    live = TopologyConfig.defaults(STACK.bootstrapServers(),
            RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true).withRequestTimeout(io.meshfed.testing.SharedSchemaRegistry.CLIENT_TIMEOUT), Set.of(MGMT))
        .withTimers(TopologyHarness.TTL, TopologyHarness.DAMPING, Duration.ofSeconds(1));
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers());
    try (TopologyHarness t = new TopologyHarness(STACK.registryUrl());
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
            new ByteArraySerializer())) {
      var events = t.topics().clusterEvents();
      Recorder send = (cluster, records) -> {
        String topic = events.forCluster(cluster).name();
        for (KeyValue<String, SpecificRecord> r : records) {
          t.send(cluster, r);
          producer.send(new ProducerRecord<>(topic, null, t.now().toEpochMilli(), r.key,
              events.valueSerde().serializer().serialize(topic, r.value)));
          // Live, two records are never in the same millisecond on two clusters' topics; the
          // replay takes them in timestamp order, as Kafka Streams takes a task's partitions.
          t.tick(Duration.ofMillis(1));
        }
      };
      send.send(MGMT, List.of(Bookinfo.heartbeat(MGMT, t.now()), Bookinfo.reviewsService(MGMT),
          Bookinfo.reviewsEndpoints(MGMT, true)));
      send.send(REMOTE, List.of(Bookinfo.heartbeat(REMOTE, t.now()),
          Bookinfo.reviewsService(REMOTE), Bookinfo.reviewsEndpoints(REMOTE, true)));
      send.send(MGMT, List.of(Bookinfo.globalPolicy(ResourceKind.FailoverPolicy, "local-first",
          io.meshfed.avro.FailoverPolicySpec.newBuilder()
              .setDestinations(List.of(ObjectSelector.newBuilder()
                  .setLabels(Map.of("team", "reviews")).build()))
              .setOrdering(io.meshfed.avro.TierOrdering.LOCALITY)
              .setMinHealthyDurationMillis(5_000L).build()),
          Bookinfo.reviewsVirtualDestination()));
      // mgmt-cluster's endpoints: down at 30 s, 50 s and 70 s, up at 40 s, 60 s and 80 s.
      for (int second = 1; second <= 300; second++) {
        t.tick(Duration.ofSeconds(1));
        if (second % 5 == 0) {
          send.send(MGMT, List.of(Bookinfo.heartbeat(MGMT, t.now())));
          send.send(REMOTE, List.of(Bookinfo.heartbeat(REMOTE, t.now())));
        }
        if (second >= 30 && second <= 80 && second % 10 == 0) {
          send.send(MGMT, List.of(Bookinfo.reviewsEndpoints(MGMT, second % 20 != 10)));
        }
      }
      var serializer = t.topics().failoverEvents().valueSerde().serializer();
      for (var d : t.decisions().readKeyValuesToList()) {
        producer.send(new ProducerRecord<>(MeshfedTopics.FAILOVER_EVENTS, null,
            d.value.getTime().toEpochMilli(), d.key,
            serializer.serialize(MeshfedTopics.FAILOVER_EVENTS, d.value)));
      }
      producer.flush();
    }
  }

  private interface Recorder {
    void send(String cluster, List<KeyValue<String, SpecificRecord>> records) throws Exception;
  }

  private static Report replay(String file) throws Exception {
    return new WhatIf(live).run(new WhatIf.Request(
        ProposedPolicies.parse(Files.readString(EXAMPLES.resolve(file))),
        START.plusSeconds(10), START.plusSeconds(300), Duration.ofMinutes(5)));
  }

  @Test
  void aSixtySecondDampingWouldHaveAvoidedTheFlapsOfTheLiveFiveSeconds() throws Exception {
    Report report = replay("damping-60s.yaml");
    // In the test's output, for whoever reads a failure.
    System.out.println(report.table());
    System.out.println(JSON.writeValueAsString(report.toJson()));

    JsonNode json = JSON.readTree(JSON.writeValueAsString(report.toJson()));
    JsonNode mgmt = item(json, MGMT);
    assertThat(mgmt.at("/made/moves").asInt()).isEqualTo(6);
    assertThat(mgmt.at("/made/flaps").asInt()).isEqualTo(2);
    assertThat(mgmt.at("/proposed/moves").asInt()).isEqualTo(2);
    assertThat(mgmt.at("/proposed/flaps").asInt()).isZero();
    JsonNode proposed = mgmt.at("/proposed/changes");
    assertThat(proposed.get(0).get("fromTier").asInt()).isZero();
    assertThat(proposed.get(0).get("toTier").asInt()).isEqualTo(1);
    assertThat(Instant.parse(proposed.get(0).get("time").asText()))
        .isBetween(START.plusSeconds(30), START.plusSeconds(31));
    // Back to the local tier once its endpoints have held for 60 s since 80 s, not before.
    assertThat(proposed.get(1).get("toTier").asInt()).isZero();
    assertThat(Instant.parse(proposed.get(1).get("time").asText()))
        .isBetween(START.plusSeconds(140), START.plusSeconds(143));
    assertThat(proposed.get(0).get("heldSeconds").asDouble()).isGreaterThanOrEqualTo(110);
    assertThat(json.at("/totals/made/flaps").asInt()).isEqualTo(2);
    assertThat(json.at("/totals/proposed/flaps").asInt()).isZero();
    assertThat(json.get("replayedRecords").asLong()).isGreaterThan(120);

    String table = report.table();
    assertThat(table).containsPattern("DESTINATION +CLIENT +MADE: MOVES +MADE FLAPS"
        + " +PROPOSED: MOVES +PROPOSED FLAPS");
    assertThat(table).containsPattern("VirtualDestination/global/reviews-vd +mgmt-cluster +6 +2"
        + " +2 +0");
    // The replay's clock is on whole steps (1 s): its failover is at 10:00:30.000, a row of
    // its own before the live one's at 10:00:30.020.
    assertThat(table).containsPattern("10:00:30\\.000 +tier 0 -> tier 1, held 1m5\\ds");
    assertThat(table).containsPattern("10:00:30\\.\\d{3}  tier 0 -> tier 1, held 15\\.0s");
    assertThat(table).containsPattern("tier 1 -> tier 0, held 5(\\.\\d)?s FLAP");
  }

  /**
   * Fidelity: replaying the live policy itself gives the decisions that were made, at the same
   * moments — the replay is the topology, not a model of it.
   */
  @Test
  void replayingTheLivePolicyGivesTheDecisionsThatWereMade() throws Exception {
    JsonNode json = JSON.readTree(JSON.writeValueAsString(replay("damping-5s.yaml").toJson()));
    for (JsonNode item : json.get("items")) {
      String client = item.get("clientCluster").asText();
      JsonNode made = item.at("/made/changes");
      JsonNode proposed = item.at("/proposed/changes");
      assertThat(proposed.size()).as(client).isEqualTo(made.size());
      for (int i = 0; i < made.size(); i++) {
        for (String field : List.of("fromTier", "toTier", "flap", "reasonCode")) {
          assertThat(proposed.get(i).get(field)).as(client + " " + i + " " + field)
              .isEqualTo(made.get(i).get(field));
        }
        // Timers fire on the replay's steps (the punctuation interval, at least 1 s), not on
        // the live punctuations: a timed decision may land up to a step apart, and its reason
        // say "held for 5001ms" where the live one said 5000ms.
        assertThat(heldAny(proposed.get(i).get("reason").asText())).as(client + " " + i)
            .isEqualTo(heldAny(made.get(i).get("reason").asText()));
        assertThat(Duration.between(Instant.parse(made.get(i).get("time").asText()),
            Instant.parse(proposed.get(i).get("time").asText())).abs())
            .as(client + " " + i).isLessThanOrEqualTo(Duration.ofSeconds(1));
      }
      assertThat(item.at("/proposed/decisions")).isEqualTo(item.at("/made/decisions"));
    }
    assertThat(item(json, MGMT).at("/made/flaps").asInt()).isEqualTo(2);
  }

  private static String heldAny(String reason) {
    return reason.replaceAll("held for \\d+ms", "held for ...ms");
  }

  private static JsonNode item(JsonNode json, String client) {
    for (JsonNode item : json.get("items")) {
      if (item.get("destination").asText().equals("VirtualDestination/global/reviews-vd")
          && item.get("clientCluster").asText().equals(client)) {
        return item;
      }
    }
    throw new AssertionError("no item for " + client + " in " + json);
  }
}
