package io.meshfed.admin;

import io.meshfed.topics.ClusterTopic;
import io.meshfed.topics.MeshfedTopics;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Who may do what on Kafka, as data: the grants each meshfed principal needs and nothing more.
 * No I/O — {@link AccessAdmin} applies them. Every grant is an ALLOW from any host; with
 * {@code allow.everyone.if.no.acl.found=false} everything not granted here is denied.
 *
 * <p>Why each grant, from the clients' own settings:
 * <ul>
 *   <li>An agent's producer is idempotent without transactions ({@code ClusterAgent}); since
 *       Kafka 3.0 (KIP-679) WRITE on a topic also allows an idempotent producer id, so the
 *       agent needs no IDEMPOTENT_WRITE on the cluster. Its config consumer has no group id:
 *       it assigns the topic's partitions and reads from the start, so it needs no group ACL.
 *   <li>The topology runs Kafka Streams with {@code exactly_once_v2}: it creates and deletes
 *       records of its internal topics (repartition, changelog), all named after the
 *       application id, uses transactional ids {@code <application.id>-<process>-<thread>} and
 *       the consumer group {@code <application.id>}. Its events-topic reads and config-topic
 *       writes are literal per cluster, added with the cluster — a prefix
 *       {@code meshfed.cluster.} would also let it read every config topic.
 * </ul>
 */
public final class AccessPlan {

  /** An agent's principal is {@code User:meshfed-agent-<cluster>}. */
  public static final String AGENT_USER_PREFIX = "meshfed-agent-";
  public static final String DEFAULT_TOPOLOGY_USER = "meshfed-topology";
  /** The topology's default Streams application id ({@code meshfed.application.id}). */
  public static final String DEFAULT_APPLICATION_ID = "meshfed-topology";
  /** The Destination API's principal in the embedded stack. */
  public static final String DEFAULT_DESTINATION_API_USER = "meshfed-destination-api";

  private AccessPlan() {}

  /** One row of the table: a principal may do {@code operations} on {@code resource}. */
  public record Grant(String principal, ResourcePattern resource, Set<AclOperation> operations) {
    public Grant {
      operations = Set.copyOf(operations);
    }

    List<AclBinding> bindings() {
      return operations.stream().sorted()
          .map(op -> new AclBinding(resource, new AccessControlEntry(principal, "*", op,
              AclPermissionType.ALLOW)))
          .toList();
    }
  }

  public static String agentUser(String cluster) {
    return AGENT_USER_PREFIX + ClusterTopic.requireValidCluster(cluster);
  }

  /** The agent of {@code cluster}: write its events topic, read its config topic. */
  public static List<Grant> agent(String cluster) {
    String principal = user(agentUser(cluster));
    return List.of(
        new Grant(principal, topic(eventsTopic(cluster)),
            EnumSet.of(AclOperation.WRITE, AclOperation.DESCRIBE)),
        new Grant(principal, topic(configTopic(cluster)),
            EnumSet.of(AclOperation.READ, AclOperation.DESCRIBE)));
  }

  /** What the topology needs for one cluster: read its events, write its config. */
  public static List<Grant> topologyForCluster(String topologyUser, String cluster) {
    String principal = user(topologyUser);
    return List.of(
        new Grant(principal, topic(eventsTopic(cluster)),
            EnumSet.of(AclOperation.READ, AclOperation.DESCRIBE)),
        new Grant(principal, topic(configTopic(cluster)),
            EnumSet.of(AclOperation.WRITE, AclOperation.DESCRIBE)));
  }

  /**
   * What {@code admin add-cluster} grants. {@code admin remove-cluster} revokes the
   * {@link #agent} part only (see {@link AccessAdmin#removeCluster} for why).
   */
  public static List<Grant> cluster(String cluster, String topologyUser) {
    List<Grant> out = new ArrayList<>(agent(cluster));
    out.addAll(topologyForCluster(topologyUser, cluster));
    return List.copyOf(out);
  }

  /** What the topology needs whatever the clusters: Streams' own resources, shared outputs. */
  public static List<Grant> topology(String topologyUser, String applicationId) {
    if (applicationId.isBlank()) {
      throw new IllegalArgumentException("application id must not be empty");
    }
    String principal = user(topologyUser);
    return List.of(
        // Internal topics: created, validated (describe configs), read, written, and
        // repartition records purged (delete records).
        new Grant(principal, new ResourcePattern(ResourceType.TOPIC, applicationId,
            PatternType.PREFIXED), EnumSet.of(AclOperation.CREATE, AclOperation.READ,
            AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS,
            AclOperation.DELETE)),
        new Grant(principal, new ResourcePattern(ResourceType.GROUP, applicationId,
            PatternType.LITERAL), EnumSet.of(AclOperation.READ, AclOperation.DESCRIBE)),
        new Grant(principal, new ResourcePattern(ResourceType.TRANSACTIONAL_ID, applicationId,
            PatternType.PREFIXED), EnumSet.of(AclOperation.WRITE, AclOperation.DESCRIBE)),
        // READ: the what-if replay (POST /v1/whatif) reads the decisions made, without a group.
        new Grant(principal, topic(MeshfedTopics.FAILOVER_EVENTS),
            EnumSet.of(AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE)),
        new Grant(principal, topic(MeshfedTopics.DEAD_LETTER),
            EnumSet.of(AclOperation.WRITE, AclOperation.DESCRIBE)));
  }

  /**
   * The Destination gRPC API's reader: every client cluster's config topic, read without a
   * consumer group (it assigns partitions, as an agent does). Literal per cluster, like the
   * topology's grants: a prefix {@code meshfed.cluster.} would also cover the events topics.
   */
  public static List<Grant> destinationApi(String user, List<String> clusters) {
    String principal = user(user);
    return clusters.stream().map(cluster -> new Grant(principal, topic(configTopic(cluster)),
        EnumSet.of(AclOperation.READ, AclOperation.DESCRIBE))).toList();
  }

  /** The grants as Kafka ACL bindings, one per operation. */
  public static List<AclBinding> bindings(List<Grant> grants) {
    return grants.stream().flatMap(g -> g.bindings().stream()).toList();
  }

  static String eventsTopic(String cluster) {
    return MeshfedTopics.CLUSTER_TOPIC_PREFIX + ClusterTopic.requireValidCluster(cluster)
        + MeshfedTopics.EVENTS_SUFFIX;
  }

  static String configTopic(String cluster) {
    return MeshfedTopics.CLUSTER_TOPIC_PREFIX + ClusterTopic.requireValidCluster(cluster)
        + MeshfedTopics.CONFIG_SUFFIX;
  }

  private static ResourcePattern topic(String name) {
    return new ResourcePattern(ResourceType.TOPIC, name, PatternType.LITERAL);
  }

  private static String user(String name) {
    if (!name.matches("[A-Za-z0-9._-]{1,128}")) {
      throw new IllegalArgumentException("principal name must be 1-128 of [A-Za-z0-9._-]");
    }
    return "User:" + name;
  }
}
