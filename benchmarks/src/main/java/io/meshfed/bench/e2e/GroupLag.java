package io.meshfed.bench.e2e;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * How far the topology's consumer group is behind everything it reads (cluster events topics and
 * its own repartition topics): the end offsets minus the group's committed offsets. A section
 * that measures "after the load" must wait for this, not only for the configs it expects: the
 * inputs that make no config (services no destination selects) are still being read after the
 * last config appears.
 */
final class GroupLag {

  private GroupLag() {}

  /**
   * Records not yet consumed by {@code group}, over every partition of the topics it reads. An
   * exactly-once group commits the offset of a transaction's marker, not past it, so each
   * partition may show one record of lag forever; that much is not counted.
   */
  static long lag(BenchEnvironment env, String group, String eventsTopicPrefix) {
    try (Admin admin = env.kafka().admin()) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, OffsetSpec> wanted = new HashMap<>();
      for (var d : admin.describeTopics(admin.listTopics().names().get()).allTopicNames().get()
          .values()) {
        boolean read = (d.name().startsWith(eventsTopicPrefix) && d.name().endsWith(".events"))
            || (d.name().startsWith(group + "-") && d.name().endsWith("-repartition"));
        if (read) {
          d.partitions().forEach(p -> wanted.put(new TopicPartition(d.name(), p.partition()),
              OffsetSpec.latest()));
        }
      }
      long lag = 0;
      for (var e : admin.listOffsets(wanted).all().get().entrySet()) {
        OffsetAndMetadata at = committed.get(e.getKey());
        long behind = e.getValue().offset() - (at == null ? 0 : at.offset());
        lag += behind > 1 ? behind : 0;
      }
      return lag;
    } catch (ExecutionException e) {
      throw new IllegalStateException("consumer group lag of " + group + ": " + e.getCause(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Waits until the group has read everything; returns the lag left (0 when caught up). */
  static long awaitCaughtUp(BenchEnvironment env, String group, String eventsTopicPrefix,
      Duration timeout, Runnable everyFiveSeconds) {
    long until = System.nanoTime() + timeout.toNanos();
    long next = System.nanoTime() + 5_000_000_000L;
    long lag = lag(env, group, eventsTopicPrefix);
    while (lag > 0 && System.nanoTime() < until) {
      LockSupport.parkNanos(500_000_000L);
      if (System.nanoTime() > next) {
        everyFiveSeconds.run();
        next += 5_000_000_000L;
      }
      lag = lag(env, group, eventsTopicPrefix);
    }
    return lag;
  }
}
