package io.meshfed.topology.recovery;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which open transactions belong to no live instance of the topology: a pure function of the
 * application id, the transactional ids the brokers report as ongoing and the client ids of the
 * consumer group's members.
 *
 * <p>With exactly-once (v2) Kafka Streams names each stream thread's producer
 * {@code <application.id>-<processId>-<thread index>} ({@code ActiveTaskCreator}), and, unless
 * {@code client.id} is set, each thread's consumer {@code <application.id>-<processId>
 * -StreamThread-<n>-consumer}. An instance killed inside a transaction leaves it open, and until
 * it is aborted no read_committed reader gets past its first record on any partition it wrote
 * (the survivor taking over its tasks included). An ongoing transaction whose process has no
 * member in the group is such an orphan: its instance is dead, or was evicted and is a zombie
 * whose commit the group would refuse anyway.
 *
 * <p>When a member's client id does not have Streams' default shape (an operator set
 * {@code client.id}), the live processes cannot be told apart and nothing is an orphan: the
 * transaction timeout then aborts it, as without this class.
 */
public final class OrphanTransactions {

  private static final String UUID =
      "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  private OrphanTransactions() {}

  /**
   * The transactional ids among {@code ongoing} that are this application's stream-thread
   * producers and whose process has no member among {@code memberClientIds}; sorted.
   */
  public static Set<String> of(String applicationId, Collection<String> ongoing,
      Collection<String> memberClientIds) {
    String app = Pattern.quote(applicationId);
    Pattern producer = Pattern.compile("^" + app + "-(" + UUID + ")-\\d+$");
    Pattern consumer = Pattern.compile("^" + app + "-(" + UUID + ")-StreamThread-\\d+-consumer$");
    Set<String> live = new HashSet<>();
    for (String clientId : memberClientIds) {
      Matcher m = consumer.matcher(clientId);
      if (!m.matches()) {
        return Set.of();
      }
      live.add(m.group(1));
    }
    Set<String> orphans = new TreeSet<>();
    for (String transactionalId : ongoing) {
      Matcher m = producer.matcher(transactionalId);
      if (m.matches() && !live.contains(m.group(1))) {
        orphans.add(transactionalId);
      }
    }
    return orphans;
  }
}
