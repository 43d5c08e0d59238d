package io.meshfed.topology.lag;

import io.meshfed.topics.ClusterTopic;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures {@link EventsLag} once a second with an admin client: the committed offsets of the
 * topology's consumer group against the end offsets of every cluster events topic. Two admin
 * requests a second, whatever the fleet size; a failed measurement keeps the last one (a broker
 * that cannot be reached is not evidence that anything is caught up).
 */
public final class EventsLagMonitor implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EventsLagMonitor.class);

  private final String applicationId;
  private final ClusterTopic<?, ?> events;
  private final Admin admin;
  private final ScheduledExecutorService timer;

  private EventsLagMonitor(String applicationId, ClusterTopic<?, ?> events, Properties client,
      Duration every) {
    this.applicationId = applicationId;
    this.events = events;
    Properties props = new Properties();
    props.putAll(client);
    props.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    props.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
    this.admin = Admin.create(props);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "meshfed-events-lag-" + applicationId);
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::measure, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Starts measuring for the application; {@code client} holds bootstrap servers and security. */
  public static EventsLagMonitor start(String applicationId, ClusterTopic<?, ?> events,
      Properties client) {
    return new EventsLagMonitor(applicationId, events, client, Duration.ofSeconds(1));
  }

  void measure() {
    try {
      List<String> topics = admin.listTopics().names().get(5, TimeUnit.SECONDS).stream()
          .filter(t -> events.clusterOf(t).isPresent()).toList();
      if (topics.isEmpty()) {
        return;
      }
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      admin.describeTopics(topics).allTopicNames().get(5, TimeUnit.SECONDS).forEach((name, d) ->
          d.partitions().forEach(p -> latest.put(new TopicPartition(name, p.partition()),
              OffsetSpec.latest())));
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
          admin.listOffsets(latest).all().get(5, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetAndMetadata> committed = admin
          .listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata()
          .get(5, TimeUnit.SECONDS);
      Map<String, Long> byCluster = new HashMap<>();
      ends.forEach((tp, end) -> {
        OffsetAndMetadata done = committed.get(tp);
        long lag = Math.max(0, end.offset() - (done == null ? 0 : done.offset()));
        byCluster.merge(events.clusterOf(tp.topic()).orElseThrow(), lag, Long::sum);
      });
      EventsLag.update(applicationId, byCluster);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.debug("events lag not measured this time: {}", e.toString());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    admin.close(Duration.ofSeconds(5));
    EventsLag.clear(applicationId);
  }
}
