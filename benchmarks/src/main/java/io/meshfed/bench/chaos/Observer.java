package io.meshfed.bench.chaos;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.Bookinfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What a subscriber sees, read_committed, from the moment a fault class starts: the decision
 * log and each client cluster's latest config of reviews-failover. It starts at the topics' end
 * offsets when created, so one class's records never count in the next.
 */
final class Observer implements AutoCloseable {

  static final String CONFIG_KEY =
      "FederatedDestination/FailoverService/service-mesh-hub/reviews-failover";

  private final KafkaConsumer<String, SpecificRecord> consumer;
  private final Thread thread;
  private volatile boolean running = true;
  final List<FailoverDecision> decisions = new CopyOnWriteArrayList<>();
  final Map<String, FederatedDestination> latest = new ConcurrentHashMap<>();
  /** When each decision became visible, in the order of {@link #decisions}. */
  final List<Long> seenAt = new CopyOnWriteArrayList<>();

  Observer(String bootstrap, SchemaRegistryClient registry) {
    consumer = new KafkaConsumer<>(Map.<String, Object>of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
        new StringDeserializer(), AvroSerde.anyRecord(registry).deserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : List.of(MeshfedTopics.FAILOVER_EVENTS,
        "meshfed.cluster." + Bookinfo.MGMT + ".config",
        "meshfed.cluster." + Bookinfo.REMOTE + ".config")) {
      consumer.partitionsFor(topic).forEach(p -> partitions.add(
          new TopicPartition(p.topic(), p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position); // resolve the end offsets now, not at first poll
    thread = new Thread(this::poll, "chaos-observer");
    thread.setDaemon(true);
    thread.start();
  }

  private void poll() {
    try {
      while (running) {
        for (ConsumerRecord<String, SpecificRecord> r : consumer.poll(Duration.ofMillis(50))) {
          if (r.value() instanceof FailoverDecision d) {
            decisions.add(d);
            seenAt.add(System.currentTimeMillis());
          } else if (r.value() instanceof FederatedDestination f && CONFIG_KEY.equals(r.key())) {
            latest.put(r.topic().split("\\.")[2], f);
          }
        }
      }
    } catch (WakeupException stopping) {
      // closing
    } finally {
      consumer.close();
    }
  }

  int decisionCount() {
    return decisions.size();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    consumer.wakeup();
    thread.join(10_000);
  }
}
