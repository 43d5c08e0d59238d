package io.meshfed.topology.ingest;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.ConfigAck;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.HealthSignal;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.ResourceState;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.avro.internal.AckFrom;
import io.meshfed.avro.internal.ControlEvent;
import io.meshfed.avro.internal.RemovedKind;
import io.meshfed.avro.internal.Removal;
import io.meshfed.topics.ClusterTopic;
import io.meshfed.topics.EventKeys;
import io.meshfed.topics.EventKeys.EventKey;
import io.meshfed.topics.EventPartitioner;
import io.meshfed.topology.RoutingKeys;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * First stage: takes every record from the per-cluster events topics, establishes its cluster
 * from the topic name, checks that the key agrees, and re-keys it for the stage that owns it:
 * services, endpoints and health signals by backing service; policies and heartbeats as control
 * events (broadcast); acks by destination. Policies from clusters that are not policy sources
 * are answered with an INVALID status on that cluster's config topic and go no further.
 * A service's record read from its service's partition is handled by the select stage in this
 * same task; one read elsewhere is marked {@link RoutingKeys#unplaced} for the repartition.
 *
 * <p>Anything unacceptable — bytes that do not decode ({@code WireFormatException}) or an
 * {@link InvalidEventException} — is thrown; the processing exception handler sends the raw
 * record to the dead-letter topic with headers naming the topic, partition, offset, exception
 * class and message, and processing continues.
 */
public final class IngestProcessor implements Processor<String, byte[], String, SpecificRecord> {

  /** Header naming the cluster whose config topic an output record goes to. */
  public static final String TARGET_CLUSTER_HEADER = "meshfed.target-cluster";

  private final ClusterTopic<String, SpecificRecord> eventsTopics;
  private final Set<String> policySources;
  private final java.util.function.BiConsumer<SpecificRecord, byte[]> decoded;
  private final int partitions;
  private ProcessorContext<String, SpecificRecord> context;

  /**
   * @param partitions partitions of the topology's stages ({@code meshfed.partitions}): a
   *     service's record read from the partition its service has among that many (see
   *     {@code EventPartitioner}) is handled in this task; any other is keyed
   *     {@link RoutingKeys#unplaced} and takes the {@code by-service} repartition
   * @param decoded told each value decoded with the bytes it came from, so that a value
   *     forwarded unchanged can travel on as those bytes (see {@code EncodeOnce#prime})
   */
  public IngestProcessor(ClusterTopic<String, SpecificRecord> eventsTopics,
      Set<String> policySources, int partitions,
      java.util.function.BiConsumer<SpecificRecord, byte[]> decoded) {
    this.eventsTopics = eventsTopics;
    this.policySources = policySources;
    this.partitions = partitions;
    this.decoded = decoded;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, byte[]> raw) {
    String topic = context.recordMetadata().map(RecordMetadata::topic).orElseThrow();
    // Decoded here rather than by the source node, so undecodable bytes take the same
    // dead-letter path as every other bad record, with the raw bytes kept.
    Record<String, SpecificRecord> record = raw.withValue(
        eventsTopics.valueSerde().deserializer().deserialize(topic, raw.value()));
    if (record.value() != null) {
      decoded.accept(record.value(), raw.value());
    }
    String cluster = eventsTopics.clusterOf(topic).orElseThrow(() ->
        new InvalidEventException("topic '" + q(topic) + "' is not a cluster events topic"));
    EventKey key = EventKeys.parse(record.key()).orElseThrow(() -> new InvalidEventException(
        "key '" + q(record.key()) + "' is not <cluster>/<type>/..., type one of "
            + List.of(EventKeys.Type.values())));
    if (!key.cluster().equals(cluster)) {
      throw new InvalidEventException.SpoofedCluster("record on topic '" + topic + "' (cluster "
          + cluster + ") claims cluster '" + q(key.cluster()) + "' in its key '" + q(record.key())
          + "'");
    }
    SpecificRecord value = record.value();
    switch (key.type()) {
      case Service -> {
        String[] path = path(key, 2);
        if (value == null) {
          forward(record, serviceRoute(cluster, path[0], path[1]),
              new Removal(RemovedKind.SERVICE));
        } else {
          ServiceSnapshot service = expect(value, ServiceSnapshot.class, key);
          sameName(key, path, service.getNamespace(), service.getName());
          forward(record, serviceRoute(cluster, path[0], path[1]), service);
        }
      }
      case Endpoints -> {
        String[] path = path(key, 2);
        if (value == null) {
          forward(record, serviceRoute(cluster, path[0], path[1]),
              new Removal(RemovedKind.ENDPOINTS));
        } else {
          EndpointSnapshot endpoints = expect(value, EndpointSnapshot.class, key);
          sameName(key, path, endpoints.getNamespace(), endpoints.getServiceName());
          forward(record, serviceRoute(cluster, path[0], path[1]), endpoints);
        }
      }
      case Health -> {
        HealthSignal signal = expect(value, HealthSignal.class, key);
        // The key names the endpoint the signal is about; a payload naming another endpoint
        // would let a record keyed for one service change another's health.
        String expected = EventKeys.health(cluster, signal.getNamespace(), signal.getService(),
            signal.getAddress(), signal.getPort());
        if (!expected.equals(record.key())) {
          throw new InvalidEventException("key '" + q(record.key()) + "' does not match the"
              + " HealthSignal's endpoint '" + q(expected) + "'");
        }
        forward(record, serviceRoute(cluster, signal.getNamespace(), signal.getService()),
            signal);
      }
      case Heartbeat -> forward(record, RoutingKeys.cluster(cluster),
          new ControlEvent(cluster, expect(value, ClusterHeartbeat.class, key)));
      case Policy -> policy(record, cluster, key, value);
      case Ack -> {
        ConfigAck ack = expect(value, ConfigAck.class, key);
        ResourceRef acked = ack.getDestination();
        String expectedAck = EventKeys.ack(cluster, acked.getKind(), acked.getNamespace(),
            acked.getName());
        if (!expectedAck.equals(record.key())) {
          throw new InvalidEventException("key '" + q(record.key()) + "' does not match the"
              + " ConfigAck's destination '" + q(expectedAck) + "'");
        }
        forward(record, RoutingKeys.destination(ack.getDestination()), new AckFrom(cluster, ack));
      }
      default -> throw new InvalidEventException("unhandled key type " + key.type());
    }
  }

  private void policy(Record<String, SpecificRecord> record, String cluster, EventKey key,
      SpecificRecord value) {
    String[] path = path(key, 3);
    ResourceKind kind;
    try {
      kind = ResourceKind.valueOf(path[0]);
    } catch (IllegalArgumentException e) {
      throw new InvalidEventException("key '" + q(key.toString()) + "' names unknown kind '" + q(path[0]) + "'");
    }
    PolicyEvent event = value == null
        ? PolicyEvent.newBuilder().setKind(kind).setNamespace(path[1]).setName(path[2])
            .setUid("").setGeneration(0).setCreationTimestamp(Instant.EPOCH).setSpec(null).build()
        : expect(value, PolicyEvent.class, key);
    if (event.getKind() != kind) {
      throw new InvalidEventException("key '" + q(key.toString()) + "' names kind " + kind
          + " but the PolicyEvent is a " + event.getKind());
    }
    sameName(key, new String[] {path[1], path[2]}, event.getNamespace(), event.getName());
    ResourceRef ref = new ResourceRef(kind, event.getNamespace(), event.getName());
    if (!policySources.contains(cluster)) {
      PolicyStatus rejected = PolicyStatus.newBuilder().setResource(ref).setUid(event.getUid())
          .setObservedGeneration(event.getGeneration()).setState(ResourceState.INVALID)
          .setValidationErrors(List.of("cluster " + cluster + " is not a policy source; policies"
              + " are accepted only from " + String.join(", ", new java.util.TreeSet<>(policySources))))
          .setTime(Instant.ofEpochMilli(context.currentSystemTimeMs())).build();
      context.forward(record.withKey(RoutingKeys.statusKey(ref)).withValue(rejected)
          .withHeaders(new org.apache.kafka.common.header.internals.RecordHeaders()
              .add(TARGET_CLUSTER_HEADER, cluster.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
      return;
    }
    forward(record, RoutingKeys.destination(ref), new ControlEvent(cluster, event));
  }

  /**
   * The key a service's record goes on with: the service, when this task holds the service's
   * state (the record was read from the service's partition), else {@link RoutingKeys#unplaced}.
   */
  private String serviceRoute(String cluster, String namespace, String name) {
    String service = RoutingKeys.service(cluster, namespace, name);
    int read = context.recordMetadata().map(RecordMetadata::partition).orElse(-1);
    return EventPartitioner.partitionOfPlacement(service, partitions) == read
        ? service : RoutingKeys.unplaced(service);
  }

  private void forward(Record<String, SpecificRecord> record, String key, SpecificRecord value) {
    context.forward(record.withKey(key).withValue(value));
  }

  /**
   * A key, name or topic quoted into an error message, cut to 120 characters: messages go into
   * dead-letter headers and logs, and must never carry a hostile payload's megabyte string.
   */
  static String q(String text) {
    if (text == null || text.length() <= 120) {
      return text;
    }
    return text.substring(0, 100) + "...(" + text.length() + " characters)";
  }

  private static String[] path(EventKey key, int parts) {
    String[] path = key.path().split("/", -1);
    if (path.length != parts || java.util.Arrays.stream(path).anyMatch(String::isEmpty)) {
      throw new InvalidEventException("key '" + q(key.toString()) + "' must have " + parts
          + " non-empty parts after the type");
    }
    return path;
  }

  private static <T> T expect(SpecificRecord value, Class<T> type, EventKey key) {
    if (!type.isInstance(value)) {
      throw new InvalidEventException("key '" + q(key.toString()) + "' carries "
          + (value == null ? "a tombstone" : value.getSchema().getFullName()) + ", expected "
          + type.getSimpleName());
    }
    return type.cast(value);
  }

  private static void sameName(EventKey key, String[] path, String namespace, String name) {
    if (!path[0].equals(namespace) || !path[path.length - 1].equals(name)) {
      throw new InvalidEventException("key '" + q(key.toString()) + "' names "
          + q(path[0] + "/" + path[path.length - 1]) + " but the payload names "
          + q(namespace + "/" + name));
    }
  }
}
