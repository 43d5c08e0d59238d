package io.meshfed.bench.e2e;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * Records appended to the broker's topics between two readings, by kind: the fleet's events
 * (input), the topology's repartition and changelog topics, the config topics and the decision
 * log. Says what a window of input made the topology write (at-least-once: no transaction
 * markers in the offsets).
 */
final class TopicOffsets {

  private TopicOffsets() {}

  static Map<String, Long> endOffsets(BenchEnvironment env, String applicationId) {
    return endOffsets(env, applicationId, false);
  }

  /**
   * @param byTopic each of the topology's internal topics on its own (named without the
   *     application id) instead of grouped into repartition and changelog topics
   */
  static Map<String, Long> endOffsets(BenchEnvironment env, String applicationId,
      boolean byTopic) {
    Map<String, Long> byKind = new LinkedHashMap<>();
    try (Admin admin = env.kafka().admin()) {
      Map<TopicPartition, OffsetSpec> wanted = new HashMap<>();
      for (var d : admin.describeTopics(admin.listTopics().names().get()).allTopicNames().get()
          .values()) {
        d.partitions().forEach(p -> wanted.put(new TopicPartition(d.name(), p.partition()),
            OffsetSpec.latest()));
      }
      admin.listOffsets(wanted).all().get().forEach((tp, info) -> {
        String kind = byTopic && tp.topic().startsWith(applicationId + "-")
            ? tp.topic().substring(applicationId.length() + 1) : kind(tp.topic(), applicationId);
        if (kind != null) {
          byKind.merge(kind, info.offset(), Long::sum);
        }
      });
    } catch (ExecutionException e) {
      byKind.put("error: " + e.getCause(), 0L);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return byKind;
  }

  private static String kind(String topic, String applicationId) {
    if (topic.startsWith(applicationId + "-")) {
      return topic.endsWith("-changelog") ? "topology changelogs"
          : topic.endsWith("-repartition") ? "topology repartition" : "topology other";
    }
    if (topic.startsWith("meshfed.cluster.")) {
      return topic.endsWith(".events") ? "events (input)" : topic.endsWith(".config")
          ? "config" : "cluster other";
    }
    if (topic.startsWith("meshfed.")) {
      return topic;
    }
    return null;
  }

  static Map<String, Long> between(Map<String, Long> start, Map<String, Long> end) {
    Map<String, Long> out = new LinkedHashMap<>();
    end.forEach((k, v) -> out.put(k, v - start.getOrDefault(k, 0L)));
    return out;
  }
}
