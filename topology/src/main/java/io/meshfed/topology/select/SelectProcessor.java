package io.meshfed.topology.select;

import io.meshfed.avro.ClusterObjectRef;

import io.meshfed.avro.FailoverServiceSpec;

import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.HealthSignal;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.avro.internal.ControlEvent;
import io.meshfed.avro.internal.MemberUpdate;
import io.meshfed.avro.internal.Removal;
import io.meshfed.avro.internal.RemovedKind;
import io.meshfed.rules.model.Service;
import io.meshfed.topology.RoutingKeys;
import io.meshfed.topology.decide.AvroMapping;
import io.meshfed.topology.state.Stores;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Second stage, keyed by backing service ({@code cluster/ns/name}): keeps each service and its
 * endpoints, and sends them to every destination that selects the service — and a removal to
 * every destination that no longer does. Destination selectors arrive broadcast to every
 * partition, so each task can match its own services locally.
 *
 * <p>Cost: a service change looks up only the destinations indexed under its tokens; a health
 * signal goes only to the destinations the service is a member of; a destination change scans
 * this partition's services once.
 */
public final class SelectProcessor implements Processor<String, SpecificRecord, String, SpecificRecord> {

  private static final StringSerializer KEYS = new StringSerializer();

  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, ServiceSnapshot> services;
  private KeyValueStore<String, EndpointSnapshot> endpoints;
  private KeyValueStore<String, PolicyEvent> selectors;
  private KeyValueStore<String, String> memberships;
  private final SelectorIndex index = new SelectorIndex();

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.services = context.getStateStore(Stores.SERVICES);
    this.endpoints = context.getStateStore(Stores.ENDPOINTS);
    this.selectors = context.getStateStore(Stores.SELECTORS);
    this.memberships = context.getStateStore(Stores.MEMBERSHIPS);
    try (KeyValueIterator<String, PolicyEvent> all = selectors.all()) {
      all.forEachRemaining(kv -> index.put(kv.key, kv.value));
    }
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    SpecificRecord value = record.value();
    if (value instanceof ControlEvent control && control.getEvent() instanceof PolicyEvent event) {
      destinationChanged(record, record.key(), event);
      return;
    }
    String serviceKey = record.key();
    // An unchanged snapshot (an agent's resync, a replay) changes nothing downstream: it is
    // neither written nor sent on, so a fleet-wide resync costs one read per object here.
    if (value instanceof ServiceSnapshot snapshot) {
      if (!snapshot.equals(services.get(serviceKey))) {
        services.put(serviceKey, snapshot);
        reselect(record, serviceKey);
      }
    } else if (value instanceof EndpointSnapshot snapshot) {
      if (!snapshot.equals(endpoints.get(serviceKey))) {
        endpoints.put(serviceKey, snapshot);
        sendToMembers(record, serviceKey, snapshot, null);
      }
    } else if (value instanceof HealthSignal signal) {
      sendToMembers(record, serviceKey, null, signal);
    } else if (value instanceof Removal removal) {
      if (removal.getKind() == RemovedKind.SERVICE) {
        services.delete(serviceKey);
        reselect(record, serviceKey);
      } else {
        endpoints.delete(serviceKey);
        sendToMembers(record, serviceKey, null, null);
      }
    } else {
      throw new IllegalArgumentException("select stage cannot handle "
          + (value == null ? "a tombstone" : value.getSchema().getFullName()));
    }
  }

  /** A service appeared, changed or left: recompute which destinations select it. */
  private void reselect(Record<String, SpecificRecord> record, String serviceKey) {
    ServiceSnapshot snapshot = services.get(serviceKey);
    Set<String> now = snapshot == null ? Set.of()
        : index.destinationsSelecting(domain(serviceKey, snapshot));
    for (String destination : membersOf(serviceKey)) {
      if (!now.contains(destination)) {
        memberships.delete(RoutingKeys.join(serviceKey, destination));
        send(record, destination, serviceKey, true);
      }
    }
    for (String destination : now) {
      memberships.put(RoutingKeys.join(serviceKey, destination), "");
      send(record, destination, serviceKey, false);
    }
  }

  /**
   * Sends a change of the service's endpoints (the new list; null when they were removed) or a
   * health signal to every destination the service is a member of. The service's snapshot is
   * not sent with them: it did not change, and each destination has it from the update that
   * made the service a member ({@link #send}), so an endpoint flip costs no read, encode or
   * decode of it (a {@code MemberUpdate} with no service and no health is an endpoints update).
   */
  private void sendToMembers(Record<String, SpecificRecord> record, String serviceKey,
      EndpointSnapshot endpointList, HealthSignal signal) {
    for (String destination : membersOf(serviceKey)) {
      forward(record, destination, serviceKey, null, endpointList, signal, false);
    }
  }

  private void destinationChanged(Record<String, SpecificRecord> record, String destination,
      PolicyEvent event) {
    if (!event.getKind().name().equals("FailoverService")
        && !event.getKind().name().equals("VirtualDestination")) {
      return;
    }
    PolicyEvent previous = selectors.get(destination);
    if (event.getSpec() == null) {
      selectors.delete(destination);
      index.remove(destination);
    } else {
      selectors.put(destination, event);
      index.put(destination, event);
    }
    Set<String> candidates = backingServiceKeys(previous, event);
    if (candidates != null) {
      // A FailoverService names its backing services: only they can join or leave.
      for (String serviceKey : candidates) {
        reconsider(record, destination, serviceKey, services.get(serviceKey));
      }
      return;
    }
    // Label selectors (VirtualDestination): one pass over this partition's services.
    try (KeyValueIterator<String, ServiceSnapshot> all = services.all()) {
      while (all.hasNext()) {
        KeyValue<String, ServiceSnapshot> kv = all.next();
        reconsider(record, destination, kv.key, kv.value);
      }
    }
  }

  /** Adds or removes one service's membership of the destination after the destination changed. */
  private void reconsider(Record<String, SpecificRecord> record, String destination,
      String serviceKey, ServiceSnapshot snapshot) {
    String membership = RoutingKeys.join(serviceKey, destination);
    boolean was = memberships.get(membership) != null;
    boolean is = snapshot != null && index.selects(destination, domain(serviceKey, snapshot));
    if (is) {
      memberships.put(membership, "");
      send(record, destination, serviceKey, false);
    } else if (was) {
      memberships.delete(membership);
      send(record, destination, serviceKey, true);
    }
  }

  /**
   * The service keys a FailoverService change can touch: its backing services before and after.
   * Null when either version selects by labels (or is unknown), which needs a full pass.
   */
  private static Set<String> backingServiceKeys(PolicyEvent previous, PolicyEvent next) {
    Set<String> keys = new java.util.HashSet<>();
    for (PolicyEvent event : new PolicyEvent[] {previous, next}) {
      if (event == null || event.getSpec() == null) {
        continue;
      }
      if (!(event.getSpec() instanceof FailoverServiceSpec fs)) {
        return null;
      }
      for (ClusterObjectRef b : fs.getBackingServices()) {
        if (b != null && b.getClusterName() != null && b.getNamespace() != null
            && b.getName() != null) {
          keys.add(RoutingKeys.service(b.getClusterName(), b.getNamespace(), b.getName()));
        }
      }
    }
    return keys;
  }

  private List<String> membersOf(String serviceKey) {
    List<String> out = new ArrayList<>();
    try (KeyValueIterator<String, String> it =
        memberships.prefixScan(RoutingKeys.prefix(serviceKey), KEYS)) {
      it.forEachRemaining(kv -> out.add(RoutingKeys.rest(kv.key)));
    }
    return out;
  }

  /** The service's membership of {@code destination}: its snapshot and endpoints, or removed. */
  private void send(Record<String, SpecificRecord> record, String destination, String serviceKey,
      boolean removed) {
    forward(record, destination, serviceKey, removed ? null : services.get(serviceKey),
        removed ? null : endpoints.get(serviceKey), null, removed);
  }

  private void forward(Record<String, SpecificRecord> record, String destination,
      String serviceKey, ServiceSnapshot service, EndpointSnapshot endpointList,
      HealthSignal signal, boolean removed) {
    MemberUpdate update = MemberUpdate.newBuilder()
        .setMember(AvroMapping.clusterObjectRef(RoutingKeys.parseService(serviceKey)))
        .setService(service)
        .setEndpoints(endpointList)
        .setHealth(signal)
        .setRemoved(removed)
        .build();
    context.forward(record.withKey(destination).withValue(update));
  }

  private static Service domain(String serviceKey, ServiceSnapshot snapshot) {
    return AvroMapping.service(RoutingKeys.parseService(serviceKey).cluster(), snapshot);
  }
}
