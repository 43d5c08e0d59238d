package io.meshfed.topics;

import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serde;

/**
 * A family of per-cluster topics, {@code <prefix><cluster><suffix>}, one per cluster so that
 * ACLs can isolate clusters. The cluster of a record is read from its topic name, never from its
 * payload.
 */
public record ClusterTopic<K, V>(String prefix, String suffix, Serde<K> keySerde,
    Serde<V> valueSerde, TopicSettings settings) {

  /**
   * A cluster name: a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters),
   * which is also a safe topic-name fragment and never contains the '.' that separates it.
   */
  public static final Pattern CLUSTER_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /** The topic of one cluster. */
  public Topic<K, V> forCluster(String cluster) {
    requireValidCluster(cluster);
    return new Topic<>(prefix + cluster + suffix, keySerde, valueSerde, settings);
  }

  /** The pattern matching every cluster's topic, for a pattern subscription. */
  public Pattern pattern() {
    return Pattern.compile(Pattern.quote(prefix) + "(" + CLUSTER_NAME.pattern() + ")"
        + Pattern.quote(suffix));
  }

  /** The cluster a topic name belongs to, or empty when it is not of this family. */
  public Optional<String> clusterOf(String topicName) {
    // The same answer as pattern().matcher(topicName).matches(), without compiling a pattern
    // per record (ingest asks this for every record it reads).
    if (topicName.length() <= prefix.length() + suffix.length()
        || !topicName.startsWith(prefix) || !topicName.endsWith(suffix)) {
      return Optional.empty();
    }
    String cluster = topicName.substring(prefix.length(), topicName.length() - suffix.length());
    return CLUSTER_NAME.matcher(cluster).matches() ? Optional.of(cluster) : Optional.empty();
  }

  /** Fails with a message naming the value when {@code cluster} is not a valid cluster name. */
  public static String requireValidCluster(String cluster) {
    if (cluster == null || !CLUSTER_NAME.matcher(cluster).matches()) {
      throw new IllegalArgumentException("invalid cluster name '" + cluster + "': must be a"
          + " DNS-1123 label (lower-case letters, digits and '-', 1-63 characters, starting and"
          + " ending with a letter or digit)");
    }
    return cluster;
  }
}
