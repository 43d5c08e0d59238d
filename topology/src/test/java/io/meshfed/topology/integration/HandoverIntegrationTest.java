package io.meshfed.topology.integration;

import static io.meshfed.topology.Bookinfo.MGMT;
import static io.meshfed.topology.Bookinfo.REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.serde.AvroSerde;
import io.meshfed.topology.Bookinfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * Make-before-break on the real broker, exactly-once, with one cluster slow to apply: agents
 * that read their config topic and acknowledge each epoch, remote-cluster
 * {@link #SLOW_APPLY} late. The failover finds tier 0 entirely down (emergency, at once); the
 * failback is a move to a tier that had no traffic, so every client first gets tier 0 beside
 * tier 1 and the move only once both clusters acknowledged that. Checked on the sequence of
 * configs each cluster's config topic carried, against when each ack was sent.
 */
class HandoverIntegrationTest extends BrokerTestBase {

  private static final Duration SLOW_APPLY = Duration.ofMillis(1500);
  /** Long enough that a move within it was released by the acks, not by the wait. */
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** When each (cluster, epoch) ack was sent, in millis. */
  private final Map<String, Long> ackSent = new ConcurrentHashMap<>();

  @Test
  void noClientLosesTheOldTierBeforeEveryClientAcknowledgedTheNewOne() throws Exception {
    start(config("it-handover", DAMPING).withHandoverWait(WAIT));
    OutputCollector out = collect();
    KafkaProducer<String, SpecificRecord> agent = agent();
    acking(agent);
    heartbeats(agent);
    world(agent);
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (String client : List.of(MGMT, REMOTE)) {
        assertThat(latestConfig(out, client)).isNotNull();
      }
    });

    send(agent, MGMT, Bookinfo.reviewsEndpoints(MGMT, false));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(latestConfig(out, MGMT).getActiveTier()).isEqualTo(1);
      assertThat(latestConfig(out, REMOTE).getActiveTier()).isEqualTo(1);
    });
    assertThat(decisions(out)).filteredOn(d -> d.getReason().startsWith("emergency move"))
        .as("tier 0 entirely down: moved at once").hasSize(2);

    send(agent, MGMT, Bookinfo.reviewsEndpoints(MGMT, true));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(latestConfig(out, MGMT).getActiveTier()).isZero();
      assertThat(latestConfig(out, REMOTE).getActiveTier()).isZero();
    });

    List<FailoverDecision> decisions = decisions(out);
    assertThat(decisions).filteredOn(d -> d.getReason().startsWith("make-before-break 1/2"))
        .hasSize(2);
    assertThat(decisions).filteredOn(d -> d.getReason().startsWith("make-before-break 2/2 (acked"))
        .as("released by the acks, not the %s wait", WAIT).hasSize(2);
    assertThat(decisions).extracting(FailoverDecision::getEpoch).as("contiguous epochs")
        .isEqualTo(java.util.stream.LongStream.rangeClosed(1, decisions.size()).boxed().toList());

    // Every prepare config (any client) and when it was acknowledged.
    List<Long> prepareAcks = new ArrayList<>();
    for (String client : List.of(MGMT, REMOTE)) {
      for (var seen : configs(out, client)) {
        FederatedDestination config = (FederatedDestination) seen.value();
        if (standingBy(config)) {
          Long acked = ackSent.get(client + "/" + config.getEpoch());
          assertThat(acked).as("%s acked prepare epoch %s", client, config.getEpoch())
              .isNotNull();
          prepareAcks.add(acked);
        }
      }
    }
    assertThat(prepareAcks).hasSize(2);
    long lastPrepareAck = prepareAcks.stream().mapToLong(Long::longValue).max().orElseThrow();

    for (String client : List.of(MGMT, REMOTE)) {
      List<OutputCollector.Seen> sequence = configs(out, client);
      for (int i = 1; i < sequence.size(); i++) {
        FederatedDestination before = (FederatedDestination) sequence.get(i - 1).value();
        FederatedDestination after = (FederatedDestination) sequence.get(i).value();
        if (!dropsALoadedTier(before, after) || after.getActiveTier() != 0) {
          continue; // not the failback (the failover was the emergency path, checked above)
        }
        assertThat(standingBy(before)).as("%s had tier 0 standing by before the move", client)
            .isTrue();
        assertThat(sequence.get(i).seenAtMillis())
            .as("%s's move became visible after the slow cluster's ack was sent", client)
            .isGreaterThanOrEqualTo(lastPrepareAck);
      }
    }
  }

  /** A config that keeps its tiers' loads and adds endpoints with a weight to an idle tier. */
  private static boolean standingBy(FederatedDestination config) {
    return config.getTiers().stream().anyMatch(t -> t.getLoadPercent() == 0
        && t.getEndpoints().stream().anyMatch(e -> e.getWeight() > 0));
  }

  private static boolean dropsALoadedTier(FederatedDestination before,
      FederatedDestination after) {
    List<DestinationTier> was = before.getTiers();
    for (int i = 0; i < was.size() && i < after.getTiers().size(); i++) {
      if (was.get(i).getLoadPercent() > 0 && after.getTiers().get(i).getLoadPercent() == 0) {
        return true;
      }
    }
    return false;
  }

  private static List<OutputCollector.Seen> configs(OutputCollector out, String client) {
    return out.onTopic("meshfed.cluster." + client + ".config").stream()
        .filter(s -> s.record().key().equals(CONFIG_KEY) && s.value() != null).toList();
  }

  /**
   * The clusters' agents as far as the topology can tell: each reads its config topic
   * (read_committed) and acknowledges every epoch; remote-cluster takes {@link #SLOW_APPLY}.
   */
  private void acking(KafkaProducer<String, SpecificRecord> agent) {
    ScheduledExecutorService acks = Executors.newSingleThreadScheduledExecutor();
    KafkaConsumer<String, SpecificRecord> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "agents-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.METADATA_MAX_AGE_CONFIG, 1000),
        new StringDeserializer(), AvroSerde.anyRecord(registry).deserializer());
    Thread reader = new Thread(() -> {
      try {
        consumer.subscribe(Pattern.compile("meshfed\\.cluster\\..*\\.config"));
        while (!Thread.currentThread().isInterrupted()) {
          for (ConsumerRecord<String, SpecificRecord> r : consumer.poll(Duration.ofMillis(50))) {
            if (r.value() instanceof FederatedDestination fd) {
              String cluster = r.topic().split("\\.")[2];
              long delay = cluster.equals(REMOTE) ? SLOW_APPLY.toMillis() : 0;
              acks.schedule(() -> ack(agent, cluster, fd.getEpoch()), delay,
                  TimeUnit.MILLISECONDS);
            }
          }
        }
      } catch (WakeupException stopping) {
        // closing
      } finally {
        consumer.close();
      }
    }, "acking-agents");
    reader.setDaemon(true);
    reader.start();
    closing(() -> {
      consumer.wakeup();
      reader.join(10_000);
      acks.shutdownNow();
    });
  }

  private void ack(KafkaProducer<String, SpecificRecord> agent, String cluster, long epoch) {
    try {
      ackSent.put(cluster + "/" + epoch, System.currentTimeMillis());
      send(agent, cluster, Bookinfo.ack(cluster, epoch));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
