package io.meshfed.whatif;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
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
 *
 * <p>Cost: the next record is taken from a heap of the partitions' buffered heads, and the
 * consumer is polled only when a partition's buffer runs dry — not a scan of every partition per
 * record, which was 14 % of a 100-cluster replay (whatif/DESIGN.md, "Speed").
 */
final class MergedEvents {

  static final int PER_PARTITION = 500;

  private final KafkaConsumer<String, byte[]> consumer;
  private final long toMillis;
  private final Map<TopicPartition, ArrayDeque<ConsumerRecord<String, byte[]>>> buffers =
      new HashMap<>();
  private final Map<TopicPartition, Long> ends;
  /**
   * The partitions whose next record is buffered, oldest head first; records of the same
   * millisecond are taken in topic and partition order, so that a run is repeatable.
   */
  private final PriorityQueue<TopicPartition> heads;
  /** Partitions not read to their end with nothing buffered: read before the next pick. */
  private final Set<TopicPartition> starving = new HashSet<>();

  MergedEvents(KafkaConsumer<String, byte[]> consumer, Collection<TopicPartition> partitions,
      long toMillis) {
    this.consumer = consumer;
    this.toMillis = toMillis;
    this.heads = new PriorityQueue<>(Comparator
        .<TopicPartition>comparingLong(p -> buffers.get(p).peekFirst().timestamp())
        .thenComparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    this.ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
    for (TopicPartition p : partitions) {
      buffers.put(p, new ArrayDeque<>());
      if (ends.getOrDefault(p, 0L) > 0) {
        starving.add(p);
      }
    }
  }

  /** Feeds every record up to {@code to} (its timestamp), oldest first, to {@code sink}. */
  void forEach(Consumer<ConsumerRecord<String, byte[]>> sink) {
    while (true) {
      // Every partition not read to its end has its next record buffered: the oldest goes next.
      fill();
      TopicPartition oldest = heads.poll();
      if (oldest == null) {
        return;
      }
      ArrayDeque<ConsumerRecord<String, byte[]>> buffer = buffers.get(oldest);
      if (buffer.peekFirst().timestamp() > toMillis) {
        return; // every partition's next record is past the window
      }
      ConsumerRecord<String, byte[]> next = buffer.pollFirst();
      if (!buffer.isEmpty()) {
        heads.add(oldest);
      } else if (next.offset() + 1 < ends.get(oldest)) {
        starving.add(oldest);
      }
      sink.accept(next);
    }
  }

  /** Polls until every starving partition has a record buffered or is found read to its end. */
  private void fill() {
    while (!starving.isEmpty()) {
      // Read to its end: only transaction markers or compacted-away offsets were left.
      starving.removeIf(p -> consumer.position(p) >= ends.get(p));
      if (starving.isEmpty()) {
        return;
      }
      List<TopicPartition> full = new ArrayList<>();
      List<TopicPartition> room = new ArrayList<>();
      for (var e : buffers.entrySet()) {
        TopicPartition p = e.getKey();
        boolean done = consumer.position(p) >= ends.get(p);
        (e.getValue().size() >= PER_PARTITION || done ? full : room).add(p);
      }
      consumer.pause(full);
      consumer.resume(room);
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
        TopicPartition p = new TopicPartition(r.topic(), r.partition());
        ArrayDeque<ConsumerRecord<String, byte[]>> buffer = buffers.get(p);
        if (r.offset() < ends.get(p)) {
          buffer.addLast(r);
          if (buffer.size() == 1) {
            starving.remove(p);
            heads.add(p);
          }
        }
      }
    }
  }
}
