package io.meshfed.admin;

import io.meshfed.topology.admin.TopicProvisioner;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.errors.ResourceNotFoundException;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Applies an {@link AccessPlan} to a Kafka cluster through an {@link Admin} client that acts
 * as a super user: topics, SCRAM-SHA-512 credentials and ACLs. The plan decides what; this
 * class only makes the calls, and waits until the broker it talks to enforces the result, so
 * credentials it returns work at once and a revoked cluster is refused on its next request.
 */
public final class AccessAdmin {

  /** Kafka's minimum for SCRAM-SHA-512 is 4096; twice that costs ~10 ms per login. */
  static final int SCRAM_ITERATIONS = 8192;
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Admin admin;
  private final String topologyUser;

  /** {@code admin} stays the caller's to close. */
  public AccessAdmin(Admin admin, String topologyUser) {
    this.admin = admin;
    this.topologyUser = topologyUser;
  }

  /** A principal's SASL/SCRAM user name and password. */
  public record Credentials(String user, String password) {
    @Override
    public String toString() {
      return "Credentials[user=" + user + "]";
    }
  }

  /** What add-cluster did: the agent's new credentials and the topics it had to create. */
  public record AddedCluster(Credentials agent, List<String> createdTopics,
      List<AclBinding> acls) {}

  /**
   * Creates the cluster's topics (and the shared ones) if missing, gives its agent a new random
   * password (running it again rotates the password) and grants {@link AccessPlan#cluster}.
   */
  public AddedCluster addCluster(String cluster, short replication) {
    List<NewTopic> topics = new ArrayList<>(TopicProvisioner.sharedTopics(replication));
    topics.addAll(TopicProvisioner.clusterTopics(cluster, replication));
    List<String> created = createTopics(topics);
    Credentials agent = new Credentials(AccessPlan.agentUser(cluster), newPassword());
    upsertScram(agent);
    List<AclBinding> acls = AccessPlan.bindings(AccessPlan.cluster(cluster, topologyUser));
    grant(acls);
    return new AddedCluster(agent, created, acls);
  }

  /**
   * Cuts the cluster's agent off: revokes its ACLs, then deletes its credential. The ACLs go
   * first: a connection the agent already holds stays authenticated, but every request on it
   * is authorized afresh, so the agent's next request fails.
   *
   * <p>The topology keeps its grants on the cluster's topics, and the topics keep their data:
   * Kafka Streams treats an authorization error on a subscribed topic as fatal to its thread,
   * so revoking the topology's read of a topic it follows would stop decisions for every
   * cluster. The removed cluster's heartbeats stop and it goes stale as any silent cluster does.
   */
  public void removeCluster(String cluster) {
    List<AclBinding> acls = AccessPlan.bindings(AccessPlan.agent(cluster));
    await("delete ACLs of cluster " + cluster,
        admin.deleteAcls(acls.stream().map(AclBinding::toFilter).toList()).all());
    awaitEnforced(acls, false);
    try {
      await("delete the credential of " + AccessPlan.agentUser(cluster),
          admin.alterUserScramCredentials(List.of(new UserScramCredentialDeletion(
              AccessPlan.agentUser(cluster), ScramMechanism.SCRAM_SHA_512))).all());
    } catch (IllegalStateException e) {
      if (!(e.getCause() instanceof ResourceNotFoundException)) {
        throw e;
      }
      // Removed before, or never added: nothing to delete.
    }
  }

  /**
   * Gives the topology's principal a new random password and what Streams needs for
   * {@code applicationId} ({@link AccessPlan#topology}); per-cluster grants come with
   * add-cluster.
   */
  public Credentials grantTopology(String applicationId) {
    Credentials topology = new Credentials(topologyUser, newPassword());
    upsertScram(topology);
    grant(AccessPlan.bindings(AccessPlan.topology(topologyUser, applicationId)));
    return topology;
  }

  /**
   * Gives {@code user} a new random password and READ on the config topics of
   * {@code clusters} ({@link AccessPlan#destinationApi}): the Destination API's reader.
   */
  public Credentials grantDestinationApi(String user, List<String> clusters) {
    Credentials reader = new Credentials(user, newPassword());
    upsertScram(reader);
    grant(AccessPlan.bindings(AccessPlan.destinationApi(user, clusters)));
    return reader;
  }

  /**
   * Called after {@link #upsertScram}: a broker applies the metadata log in order, so once its
   * authorizer shows these ACLs it also knows the credential written before them.
   */
  private void grant(List<AclBinding> acls) {
    await("create ACLs", admin.createAcls(acls).all());
    awaitEnforced(acls, true);
  }

  private void upsertScram(Credentials credentials) {
    await("set the credential of " + credentials.user(), admin.alterUserScramCredentials(
        List.of(new UserScramCredentialUpsertion(credentials.user(),
            new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
            credentials.password()))).all());
  }

  private List<String> createTopics(List<NewTopic> topics) {
    List<String> created = new ArrayList<>();
    for (var entry : admin.createTopics(topics).values().entrySet()) {
      try {
        await("create topic " + entry.getKey(), entry.getValue());
        created.add(entry.getKey());
      } catch (IllegalStateException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    }
    return created;
  }

  /**
   * A KRaft controller acknowledges ACL changes once committed; each broker's authorizer applies
   * them from the metadata log a moment later. Waiting until {@code describeAcls} — answered
   * from a broker's authorizer — shows them makes the change effective before we return.
   */
  private void awaitEnforced(List<AclBinding> acls, boolean present) {
    Instant deadline = Instant.now().plus(WAIT);
    while (true) {
      Set<AclBinding> found = new HashSet<>();
      for (AclBinding binding : acls) {
        found.addAll(await("describe ACLs", admin.describeAcls(binding.toFilter()).values()));
      }
      boolean done = present ? found.containsAll(acls) : found.isEmpty();
      if (done) {
        return;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("the broker did not " + (present ? "enforce" : "drop")
            + " the ACLs within " + WAIT.toSeconds() + " s");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for ACLs", e);
      }
    }
  }

  private static <T> T await(String what, KafkaFuture<T> future) {
    try {
      return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot " + what + ": " + e.getCause().getMessage(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("cannot " + what + ": no answer within "
          + WAIT.toSeconds() + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + what, e);
    }
  }

  /** A new random secret (32 bytes, base64url), e.g. for a query API bearer token. */
  public static String randomToken() {
    return newPassword();
  }

  /** 32 random bytes, base64url: safe inside a JAAS line without escaping. */
  static String newPassword() {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }
}
