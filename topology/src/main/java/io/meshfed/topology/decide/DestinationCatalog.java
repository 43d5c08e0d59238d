package io.meshfed.topology.decide;

import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.internal.ControlEvent;
import io.meshfed.rules.model.Meta;
import io.meshfed.rules.model.Resource;
import io.meshfed.rules.model.Selector;
import io.meshfed.rules.status.PolicyReach;
import io.meshfed.rules.validation.Findings;
import io.meshfed.rules.validation.HostnameClaims;
import io.meshfed.rules.validation.Validator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The decide task's copy of every destination spec and policy (both arrive broadcast to every
 * task), parsed and validated once: a health event's evaluation reads them, it never decodes,
 * maps or validates a spec (regexes included) again. Also answers which destinations a change
 * touches: the rivals for a hostname, the destinations a policy's selectors match.
 *
 * <p>One reason to change: how specs and policies are kept and looked up.
 */
final class DestinationCatalog {

  private final KeyValueStore<String, ControlEvent> destinations;
  private final KeyValueStore<String, ControlEvent> policies;
  private final Map<String, ParsedDestination> parsed = new HashMap<>();
  private final HostnameIndex hostnames = new HostnameIndex();
  /** The valid FailoverPolicies and OutlierDetectionPolicies by key. */
  private final Map<String, Resource> validPolicies = new TreeMap<>();
  /** {@link #validPolicies} by type, built on first use after a policy change. */
  private final Map<Class<?>, List<?>> policiesByType = new HashMap<>();

  DestinationCatalog(KeyValueStore<String, ControlEvent> destinations,
      KeyValueStore<String, ControlEvent> policies) {
    this.destinations = destinations;
    this.policies = policies;
    try (KeyValueIterator<String, ControlEvent> all = destinations.all()) {
      all.forEachRemaining(kv -> index(kv.key, ParsedDestination.of(kv.value,
          ((PolicyEvent) kv.value.getEvent()).getCreationTimestamp())));
    }
    try (KeyValueIterator<String, ControlEvent> all = policies.all()) {
      all.forEachRemaining(kv -> rememberPolicy(kv.key, (PolicyEvent) kv.value.getEvent()));
    }
  }

  /**
   * What a destination spec (or its deletion) changed.
   *
   * @param existed a spec of the destination was stored before
   * @param affected the destination and every destination contesting its old or new hostnames
   */
  record DestinationChange(boolean existed, Set<String> affected) {}

  /** Stores a destination spec or deletes it; null when it is an older generation arriving late. */
  DestinationChange putDestination(String key, ControlEvent control, Instant now) {
    PolicyEvent event = (PolicyEvent) control.getEvent();
    ControlEvent previous = destinations.get(key);
    if (previous != null && event.getSpec() != null
        && ((PolicyEvent) previous.getEvent()).getGeneration() > event.getGeneration()
        && ((PolicyEvent) previous.getEvent()).getUid().equals(event.getUid())) {
      return null;
    }
    Set<String> affected = new TreeSet<>();
    affected.add(key);
    affected.addAll(hostnames.claimantsOf(hostnames.remove(key)));
    if (event.getSpec() == null) {
      destinations.delete(key);
      parsed.remove(key);
    } else {
      destinations.put(key, control);
      ParsedDestination before = parsed.get(key);
      index(key, ParsedDestination.of(control,
          before != null && before.sameGeneration(event) ? before.seenAt() : now));
      affected.addAll(hostnames.claimantsOf(hostnames.hostsOf(key)));
    }
    return new DestinationChange(previous != null, affected);
  }

  /**
   * Stores a FailoverPolicy or OutlierDetectionPolicy or deletes it; returns the destinations its
   * old or new selectors match (only they can change).
   */
  Set<String> putPolicy(String key, ControlEvent control) {
    PolicyEvent event = (PolicyEvent) control.getEvent();
    ControlEvent previous = policies.get(key);
    if (event.getSpec() == null) {
      policies.delete(key);
    } else {
      policies.put(key, control);
    }
    rememberPolicy(key, event);
    List<Selector> selectors = new ArrayList<>();
    for (ControlEvent c : java.util.Arrays.asList(previous, control)) {
      if (c != null && ((PolicyEvent) c.getEvent()).getSpec() != null) {
        selectors.addAll(PolicyReach.selectors(AvroMapping.resource((PolicyEvent) c.getEvent())));
      }
    }
    Set<String> matched = new TreeSet<>();
    if (!selectors.isEmpty()) {
      parsed.forEach((destination, dest) -> {
        Meta meta = dest.resource().meta();
        if (selectors.stream().anyMatch(s -> s.matches(meta))) {
          matched.add(destination);
        }
      });
    }
    return matched;
  }

  /** Every stored policy by key: a store scan, for a task's start. */
  Map<String, ControlEvent> policies() {
    Map<String, ControlEvent> all = new TreeMap<>();
    try (KeyValueIterator<String, ControlEvent> it = policies.all()) {
      it.forEachRemaining(kv -> all.put(kv.key, kv.value));
    }
    return all;
  }

  ParsedDestination get(String key) {
    return parsed.get(key);
  }

  Set<String> keys() {
    return parsed.keySet();
  }

  /** The hostname conflicts of a valid destination with the other destinations claiming them. */
  Findings hostnameConflicts(Resource.Destination resource) {
    List<Resource.Destination> rivals = new ArrayList<>();
    for (String key : hostnames.claimantsOf(resource.hostnames())) {
      ParsedDestination rival = parsed.get(key);
      if (rival != null) {
        rivals.add(rival.resource());
      }
    }
    if (rivals.size() <= 1) {
      return Findings.NONE; // the destination alone claims its hostnames
    }
    return HostnameClaims.conflicts(rivals).getOrDefault(resource.id(), Findings.NONE);
  }

  @SuppressWarnings("unchecked")
  <P extends Resource> List<P> validPolicies(Class<P> type) {
    return (List<P>) policiesByType.computeIfAbsent(type, t -> validPolicies.values().stream()
        .filter(type::isInstance).map(type::cast).toList());
  }

  private void rememberPolicy(String key, PolicyEvent event) {
    validPolicies.remove(key);
    policiesByType.clear();
    if (event.getSpec() != null) {
      Resource policy = AvroMapping.resource(event);
      if (Validator.validate(policy).isValid()) {
        validPolicies.put(key, policy);
      }
    }
  }

  /** Keeps a parsed destination; a spec-valid one also claims its hostnames. */
  private void index(String key, ParsedDestination destination) {
    parsed.put(key, destination);
    if (destination.specFindings().isValid()) {
      hostnames.put(key, destination.resource().hostnames());
    }
  }

}
