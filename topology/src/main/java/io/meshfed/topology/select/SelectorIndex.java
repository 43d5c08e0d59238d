package io.meshfed.topology.select;

import io.meshfed.avro.FailoverServiceSpec;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.VirtualDestinationSpec;
import io.meshfed.rules.model.Selector;
import io.meshfed.rules.model.Service;
import io.meshfed.topology.RoutingKeys;
import io.meshfed.topology.decide.AvroMapping;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which destinations could select a service, without looking at every destination.
 *
 * <p>Each destination is filed under one token per selector — the most selective field it
 * sets: an exact backing-service reference (FailoverService), a name, one label pair, a
 * namespace, a cluster, or '*' for a selector that matches everything. A service is looked up
 * under its own tokens (its reference, name, each label pair, namespace, cluster, '*'), and the
 * few candidates found are then matched exactly. Rebuilt from the replicated selector store when
 * a task starts; kept in step with it after that.
 */
final class SelectorIndex {

  private final Map<String, Set<String>> byToken = new HashMap<>();
  private final Map<String, List<String>> tokensOf = new HashMap<>();
  private final Map<String, Matcher> matchers = new HashMap<>();

  /** A destination's exact test. */
  private interface Matcher {
    boolean matches(Service service);
  }

  void put(String destinationKey, PolicyEvent event) {
    remove(destinationKey);
    List<String> tokens = new ArrayList<>();
    Matcher matcher;
    if (event.getSpec() instanceof FailoverServiceSpec fs) {
      Set<String> refs = new HashSet<>();
      fs.getBackingServices().forEach(b -> {
        if (b != null && b.getClusterName() != null && b.getNamespace() != null
            && b.getName() != null) {
          String ref = RoutingKeys.service(b.getClusterName(), b.getNamespace(), b.getName());
          refs.add(ref);
          tokens.add("ref:" + ref);
        }
      });
      matcher = service -> refs.contains(RoutingKeys.service(service.ref()));
    } else if (event.getSpec() instanceof VirtualDestinationSpec vd) {
      // Every selector list: the decide stage's Membership then keeps each member only where
      // its kind is selected (services, externalServices, externalWorkloads).
      List<Selector> selectors = new ArrayList<>(AvroMapping.selectors(vd.getServices()));
      selectors.addAll(AvroMapping.selectors(vd.getExternalServices()));
      selectors.addAll(AvroMapping.selectors(vd.getExternalWorkloads()));
      selectors.forEach(s -> tokens.add(token(s)));
      matcher = service -> selectors.stream().anyMatch(s -> s.matches(service));
    } else {
      return;
    }
    tokensOf.put(destinationKey, tokens);
    matchers.put(destinationKey, matcher);
    tokens.forEach(t -> byToken.computeIfAbsent(t, k -> new HashSet<>()).add(destinationKey));
  }

  void remove(String destinationKey) {
    List<String> tokens = tokensOf.remove(destinationKey);
    matchers.remove(destinationKey);
    if (tokens != null) {
      tokens.forEach(t -> {
        Set<String> set = byToken.get(t);
        if (set != null) {
          set.remove(destinationKey);
          if (set.isEmpty()) {
            byToken.remove(t);
          }
        }
      });
    }
  }

  /** Destinations that select {@code service}, in key order. */
  Set<String> destinationsSelecting(Service service) {
    Set<String> candidates = new HashSet<>();
    for (String token : tokensOf(service)) {
      candidates.addAll(byToken.getOrDefault(token, Set.of()));
    }
    Set<String> selecting = new TreeSet<>();
    for (String candidate : candidates) {
      if (matchers.get(candidate).matches(service)) {
        selecting.add(candidate);
      }
    }
    return selecting;
  }

  boolean selects(String destinationKey, Service service) {
    Matcher matcher = matchers.get(destinationKey);
    return matcher != null && matcher.matches(service);
  }

  private static String token(Selector s) {
    if (s.name() != null) {
      return "name:" + s.name();
    }
    if (!s.labels().isEmpty()) {
      var first = new TreeSet<>(s.labels().keySet()).first();
      return "label:" + first + "=" + s.labels().get(first);
    }
    if (s.namespace() != null) {
      return "ns:" + s.namespace();
    }
    if (s.cluster() != null) {
      return "cluster:" + s.cluster();
    }
    return "*";
  }

  private static List<String> tokensOf(Service service) {
    List<String> tokens = new ArrayList<>();
    tokens.add("ref:" + RoutingKeys.service(service.ref()));
    tokens.add("name:" + service.ref().name());
    service.labels().forEach((k, v) -> tokens.add("label:" + k + "=" + v));
    tokens.add("ns:" + service.ref().namespace());
    tokens.add("cluster:" + service.ref().cluster());
    tokens.add("*");
    return tokens;
  }
}
