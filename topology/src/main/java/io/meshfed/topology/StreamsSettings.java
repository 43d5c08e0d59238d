package io.meshfed.topology;

import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topology.commit.CommitOnDrain;
import io.meshfed.topology.config.TopologyConfig;
import io.meshfed.topology.faults.CommitRetryingClientSupplier;
import io.meshfed.topology.faults.DeadLetterHandlers;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Kafka Streams properties from the typed config. The defaults Streams ships with are
 * latency-hostile for a control plane — 100 ms producer linger per hop, a 10 MB record cache,
 * a 30 s commit interval (with exactly-once the commit interval is the latency floor) and a
 * 100 ms poll wait before each commit — so all four are set explicitly. Every record that cannot be deserialized, processed or produced
 * goes to the dead-letter topic with Streams' error headers ({@code __streams.errors.*}: topic,
 * partition, offset, exception class, message, stack trace) and processing continues.
 */
public final class StreamsSettings {

  private StreamsSettings() {}

  public static Properties from(TopologyConfig config) {
    Properties p = new Properties();
    // Security settings first: TopologyConfig admits nothing else under meshfed.kafka.*, so
    // nothing set below can be overridden by them.
    p.putAll(config.kafkaClient());
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.exactlyOnce()
        ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitInterval().toMillis());
    // What each poll returned, counted on the stream thread (CommitOnDrain): the decide stage
    // evaluates a destination once when its task has processed the poll's records, and with
    // exactly-once a thread commits when it has processed all of them (group commit; the commit
    // interval is then only the upper bound).
    p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG),
        CommitOnDrain.PollCounter.class.getName());
    if (config.exactlyOnce()) {
      // The next transaction starts as soon as the last one commits, while the coordinator is
      // still writing that one's markers; a write to such a partition is refused with
      // CONCURRENT_TRANSACTIONS and retried after retry.backoff.ms — 100 ms by default, a
      // hop's whole latency budget. Retry after 5 ms (exponential up to 1 s as before).
      p.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), 5);
      // A commit that timed out while the broker was away is retried before anything else;
      // Streams 4.3 would call sendOffsetsToTransaction or abort next, which the producer
      // refuses, and the stream thread died (CommitRetryingProducer has the whole story).
      p.put(StreamsConfig.DEFAULT_CLIENT_SUPPLIER_CONFIG, CommitRetryingClientSupplier.class);
    }
    p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG),
        (int) config.producerLinger().toMillis());
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, config.cacheMaxBytes());
    // A stream thread blocks in poll for up to poll.ms (100 ms by default) before it gets round
    // to committing; with exactly-once every hop waits for that commit. Measured in
    // WalkthroughIntegrationTest: decision p50 257 ms -> 99 ms, p99 357 ms -> 116 ms.
    p.put(StreamsConfig.POLL_MS_CONFIG, 10);
    // fetch.max.wait.ms stays at Kafka's 500 ms: tried at 5 ms (as the raw floor's relays use),
    // the empty fetches of the many internal partitions cost the broker enough CPU on a shared
    // 2-core machine that at-least-once at 1,000 flips/s went from p50 40 / p99 688 ms to
    // p50 1,176 / p99 13,345 ms (bench latency section, same build, one setting apart).
    // fetch.min.bytes stays at 1: batching fetches (32 KB, 10 ms) to spend a fleet's per-fetch,
    // per-partition cost over more records made the fleet section worse on both counts — quiet
    // CPU 7.4 -> 12 %, resync probe p99 831 ms against 201-702 without (topology/DESIGN.md,
    // "Session 16").
    // Never hold a task back to interleave its partitions by timestamp. Every stage keys its
    // work by the latest state in its stores, so order across partitions does not change the
    // outcome; waiting for each partition's next fetch, though, capped a task at a few records
    // per fetch round trip (measured: ~230 events/s, latency in seconds, the thread idle in
    // poll). With -1 the thread processes whatever it has buffered.
    p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);
    // A crashed instance's tasks move only once its session times out (Kafka's default: 45 s
    // without decisions for them). Unless the operator chose one, TopologyMain agrees the
    // shortest the broker accepts from 2.5 s up (heartbeats every 500 ms; a stock broker: 6 s),
    // so decisions resume within 5 s of a kill -9; the numbers and what they cost (a live member
    // starved for 2.5 s is evicted and rejoins) are in topology/DESIGN.md, "Crash recovery".
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
        (int) config.crashDetection().sessionTimeout().toMillis());
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG),
        (int) config.crashDetection().heartbeatInterval().toMillis());
    p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.standbyReplicas());
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.threads());
    p.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, MeshfedTopics.DEAD_LETTER);
    // Bounded dead letters, one log line a second, and a breaker for records that fail after
    // processing (see the faults package): no single record can stop the thread.
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        DeadLetterHandlers.Deserialization.class);
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
        DeadLetterHandlers.Processing.class);
    p.put("processing.exception.handler.global.enabled", true);
    p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
        DeadLetterHandlers.Production.class);
    // New pattern-matched cluster topics are picked up within this time.
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.METADATA_MAX_AGE_CONFIG), 5_000);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    if (config.applicationServer() != null) {
      p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, config.applicationServer());
    }
    return p;
  }
}
