package io.meshfed.whatif;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The records of many partitions in one timestamp order, read once from the beginning up to the
 * end offsets they had when the read began — what Kafka Streams does within a task (it picks
 * the partition whose next record is oldest), here across every events topic at once.
 *
 * <p>Bounded: each partition buffers at most {@link #PER_PARTITION} records and is paused while
 * full, so memory is partitions × {@value #PER_PARTITION} records whatever the topics hold.
 */
final class MergedEvents {

  static final int PER_PARTITION = 500;

  private final KafkaConsumer<String, byte[]> consumer;
  private final long toMillis;
  private final Map<TopicPartition, ArrayDeque<ConsumerRecord<String, byte[]>>> buffers =
      new HashMap<>();
  private final Map<TopicPartition, Long> ends;
  // Sorted, so that records of the same millisecond are taken in one order on every run.
  private final Set<TopicPartition> open = new java.util.TreeSet<>(
      java.util.Comparator.comparing(TopicPartition::topic)
          .thenComparingInt(TopicPartition::partition));

  MergedEvents(KafkaConsumer<String, byte[]> consumer, Collection<TopicPartition> partitions,
      long toMillis) {
    this.consumer = consumer;
    this.toMillis = toMillis;
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    this.ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
    for (TopicPartition p : partitions) {
      buffers.put(p, new ArrayDeque<>());
      if (ends.getOrDefault(p, 0L) > 0) {
        open.add(p);
      }
    }
  }

  /** Feeds every record up to {@code to} (its timestamp), oldest first, to {@code sink}. */
  void forEach(Consumer<ConsumerRecord<String, byte[]>> sink) {
    while (!open.isEmpty()) {
      fill();
      // Every open partition has its next record buffered: the oldest of them goes next.
      TopicPartition oldest = null;
      long oldestTime = Long.MAX_VALUE;
      for (TopicPartition p : open) {
        long t = buffers.get(p).peekFirst().timestamp();
        if (t < oldestTime) {
          oldest = p;
          oldestTime = t;
        }
      }
      if (oldestTime > toMillis) {
        return; // every partition's next record is past the window
      }
      ConsumerRecord<String, byte[]> next = buffers.get(oldest).pollFirst();
      if (buffers.get(oldest).isEmpty() && next.offset() + 1 >= ends.get(oldest)) {
        open.remove(oldest);
      }
      sink.accept(next);
    }
  }

  /** Polls until every open partition has a record buffered or is found exhausted. */
  private void fill() {
    while (true) {
      List<TopicPartition> empty = new ArrayList<>();
      for (TopicPartition p : new ArrayList<>(open)) {
        if (!buffers.get(p).isEmpty()) {
          continue;
        }
        if (consumer.position(p) >= ends.get(p)) {
          open.remove(p); // only transaction markers or compacted-away offsets were left
        } else {
          empty.add(p);
        }
      }
      if (empty.isEmpty()) {
        return;
      }
      List<TopicPartition> full = new ArrayList<>();
      List<TopicPartition> room = new ArrayList<>();
      for (TopicPartition p : buffers.keySet()) {
        (buffers.get(p).size() >= PER_PARTITION || !open.contains(p) ? full : room).add(p);
      }
      consumer.pause(full);
      consumer.resume(room);
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
        TopicPartition p = new TopicPartition(r.topic(), r.partition());
        if (r.offset() < ends.get(p)) {
          buffers.get(p).addLast(r);
        }
      }
    }
  }
}
