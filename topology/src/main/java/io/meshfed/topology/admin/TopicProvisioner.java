package io.meshfed.topology.admin;

import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.topics.ClusterTopic;
import io.meshfed.topics.MeshfedTopics;
import io.meshfed.topics.TopicSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates meshfed's topics, idempotently: the shared ones, and for each cluster its events and
 * config topics with their partitions and configs. Existing topics are left as they are.
 * {@code meshfed admin add-cluster NAME} calls {@link #addCluster}.
 */
public final class TopicProvisioner {

  private static final MeshfedTopics TOPICS =
      new MeshfedTopics(new SchemaRegistryClient(RegistryConfig.of("http://unused")));

  private TopicProvisioner() {}

  /** The shared topics: the decision log and the dead-letter topic. */
  public static List<NewTopic> sharedTopics(short replication) {
    return List.of(
        TOPICS.failoverEvents().settings().newTopic(TOPICS.failoverEvents().name(), replication),
        TOPICS.deadLetter().settings().newTopic(TOPICS.deadLetter().name(), replication));
  }

  /** One cluster's events and config topics. */
  public static List<NewTopic> clusterTopics(String cluster, short replication) {
    ClusterTopic.requireValidCluster(cluster);
    List<NewTopic> out = new ArrayList<>();
    for (ClusterTopic<?, ?> family : List.of(TOPICS.clusterEvents(), TOPICS.clusterConfig())) {
      TopicSettings settings = family.settings();
      out.add(settings.newTopic(family.forCluster(cluster).name(), replication));
    }
    return out;
  }

  /** Creates a cluster's topics (and the shared ones); returns the names newly created. */
  public static List<String> addCluster(String bootstrapServers, String cluster,
      short replication) {
    try (Admin admin = admin(bootstrapServers, Map.of())) {
      return addCluster(admin, cluster, replication);
    }
  }

  /** As {@link #addCluster(String, String, short)}, on an Admin client the caller owns. */
  public static List<String> addCluster(Admin admin, String cluster, short replication) {
    List<NewTopic> wanted = new ArrayList<>(sharedTopics(replication));
    wanted.addAll(clusterTopics(cluster, replication));
    return create(admin, false, wanted);
  }

  /**
   * Creates the shared topics when missing, on an Admin client the caller owns (the topology's
   * start asks the broker more than this; one client, not one per question). {@code secured}:
   * the client authenticates, and a principal without CREATE — the topology's on a secured
   * broker, where {@code meshfed admin add-cluster} creates the shared topics — is not an error:
   * a topic really missing then fails the topology's start with its name.
   */
  public static List<String> ensureSharedTopics(Admin admin, boolean secured,
      short replication) {
    return create(admin, secured, sharedTopics(replication));
  }

  /** An Admin client on {@code bootstrapServers} with {@code security} (Kafka client keys). */
  public static Admin admin(String bootstrapServers, Map<String, String> security) {
    Map<String, Object> settings = new java.util.HashMap<>(security);
    settings.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return Admin.create(settings);
  }

  private static List<String> create(Admin admin, boolean secured, List<NewTopic> topics) {
    List<String> created = new ArrayList<>();
    try {
      var results = admin.createTopics(topics).values();
      for (var entry : results.entrySet()) {
        try {
          entry.getValue().get();
          created.add(entry.getKey());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)
              && !(e.getCause() instanceof org.apache.kafka.common.errors
                  .TopicAuthorizationException && secured)) {
            throw new IllegalStateException("cannot create topic " + entry.getKey() + ": "
                + e.getCause().getMessage(), e.getCause());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
    return created;
  }
}
