package io.meshfed.topics;

import io.meshfed.avro.ResourceKind;
import java.util.Optional;

/**
 * Keys of the records on a cluster's events topic, readable strings that start with the cluster
 * name: {@code <cluster>/<type>/<rest>}. Agents build them with these methods; the topology
 * parses them and checks that the cluster they name is the cluster of the topic.
 *
 * <ul>
 *   <li>{@code c/Service/ns/name} → ServiceSnapshot, tombstone = deleted
 *   <li>{@code c/Endpoints/ns/name} → EndpointSnapshot, tombstone = no endpoints left
 *   <li>{@code c/Heartbeat} → ClusterHeartbeat
 *   <li>{@code c/Policy/Kind/ns/name} → PolicyEvent (spec null or tombstone = deleted)
 *   <li>{@code c/Health/ns/service/address:port} → HealthSignal
 *   <li>{@code c/Ack/Kind/ns/name} → ConfigAck
 * </ul>
 */
public final class EventKeys {

  /** The record types an events topic carries. */
  public enum Type { Service, Endpoints, Heartbeat, Policy, Health, Ack }

  /** A parsed key. {@code path} is what follows the type, e.g. {@code ns/name}. */
  public record EventKey(String cluster, Type type, String path) {
    @Override
    public String toString() {
      return cluster + "/" + type + (path.isEmpty() ? "" : "/" + path);
    }
  }

  private EventKeys() {}

  public static String service(String cluster, String namespace, String name) {
    return cluster + "/Service/" + namespace + "/" + name;
  }

  public static String endpoints(String cluster, String namespace, String service) {
    return cluster + "/Endpoints/" + namespace + "/" + service;
  }

  public static String heartbeat(String cluster) {
    return cluster + "/Heartbeat";
  }

  public static String policy(String cluster, ResourceKind kind, String namespace, String name) {
    return cluster + "/Policy/" + kind + "/" + namespace + "/" + name;
  }

  public static String health(String cluster, String namespace, String service, String address,
      int port) {
    return cluster + "/Health/" + namespace + "/" + service + "/" + address + ":" + port;
  }

  public static String ack(String cluster, ResourceKind kind, String namespace, String name) {
    return cluster + "/Ack/" + kind + "/" + namespace + "/" + name;
  }

  /**
   * What a record's partition is computed from (see {@link EventPartitioner}): for the records
   * about one service — its {@code Service}, {@code Endpoints} and {@code Health} keys — the
   * service as {@code cluster/ns/name}, so that they all land on one partition, the partition
   * the topology's {@code by-service} repartition gives that service; for every other key, the
   * key itself. A key that is not of this form is its own placement.
   */
  public static String placement(String key) {
    Optional<EventKey> parsed = parse(key);
    if (parsed.isEmpty()) {
      return key;
    }
    EventKey k = parsed.get();
    if (k.type() != Type.Service && k.type() != Type.Endpoints && k.type() != Type.Health) {
      return key;
    }
    String[] path = k.path().split("/", -1);
    int expected = k.type() == Type.Health ? 3 : 2;
    if (path.length != expected || path[0].isEmpty() || path[1].isEmpty()) {
      return key;
    }
    return serviceKey(k.cluster(), path[0], path[1]);
  }

  /** A backing service as the topology keys it: {@code cluster/ns/name}. */
  public static String serviceKey(String cluster, String namespace, String name) {
    return cluster + "/" + namespace + "/" + name;
  }

  /** Parses a key, or empty if it is not of this form. */
  public static Optional<EventKey> parse(String key) {
    if (key == null) {
      return Optional.empty();
    }
    String[] parts = key.split("/", 3);
    if (parts.length < 2 || parts[0].isEmpty()) {
      return Optional.empty();
    }
    Type type;
    try {
      type = Type.valueOf(parts[1]);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    return Optional.of(new EventKey(parts[0], type, parts.length == 3 ? parts[2] : ""));
  }

  /** Key of a record on a cluster's config topic: {@code FederatedDestination/Kind/ns/name}. */
  public static String config(String recordType, ResourceKind kind, String namespace,
      String name) {
    return recordType + "/" + kind + "/" + namespace + "/" + name;
  }
}
