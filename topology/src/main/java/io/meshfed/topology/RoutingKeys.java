package io.meshfed.topology;

import io.meshfed.avro.ResourceRef;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;

/**
 * Keys of the topology's own topics and stores. A destination is {@code Kind/ns/name}, a
 * backing service {@code cluster/ns/name}; compound store keys join parts with '|', which none
 * of the parts can contain, so a prefix scan on {@code part|} finds exactly its entries.
 */
public final class RoutingKeys {

  public static final char SEP = '|';

  private RoutingKeys() {}

  public static String service(String cluster, String namespace, String name) {
    return io.meshfed.topics.EventKeys.serviceKey(cluster, namespace, name);
  }

  /**
   * The key ingest gives a service's record that was read from a partition other than its
   * service's (its producer did not use {@code EventPartitioner}, or the events topic has another
   * partition count): it goes through the {@code by-service} repartition, keyed by
   * {@link #placed} of this key. Service keys cannot contain the separator.
   */
  public static String unplaced(String serviceKey) {
    return UNPLACED + serviceKey;
  }

  public static boolean isUnplaced(String key) {
    return key != null && key.startsWith(UNPLACED);
  }

  /** The service key of an {@link #unplaced} key. */
  public static String placed(String unplacedKey) {
    return unplacedKey.substring(UNPLACED.length());
  }

  private static final String UNPLACED = "unplaced" + SEP;

  public static String service(ServiceRef ref) {
    return service(ref.cluster(), ref.namespace(), ref.name());
  }

  public static ServiceRef parseService(String key) {
    String[] parts = key.split("/", 3);
    return new ServiceRef(parts[0], parts[1], parts[2]);
  }

  public static String destination(ResourceRef ref) {
    return ref.getKind() + "/" + ref.getNamespace() + "/" + ref.getName();
  }

  public static String destination(ResourceId id) {
    return id.toString();
  }

  /** Heartbeats travel as control events keyed by cluster. */
  public static String cluster(String cluster) {
    return "Cluster/" + cluster;
  }

  public static String statusKey(ResourceRef ref) {
    return "PolicyStatus/" + destination(ref);
  }

  public static String configKey(ResourceRef ref) {
    return "FederatedDestination/" + destination(ref);
  }

  public static String decisionKey(ResourceRef ref, String clientCluster) {
    return destination(ref) + "/" + clientCluster;
  }

  public static String join(String first, String second) {
    return first + SEP + second;
  }

  /** Every compound key starting with {@code first}. */
  public static String prefix(String first) {
    return first + SEP;
  }

  /** The part after the first separator. */
  public static String rest(String compound) {
    return compound.substring(compound.indexOf(SEP) + 1);
  }
}
