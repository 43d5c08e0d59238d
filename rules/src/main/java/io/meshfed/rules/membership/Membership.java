package io.meshfed.rules.membership;

import io.meshfed.rules.model.BackendKind;
import io.meshfed.rules.model.FailoverServiceSpec;
import io.meshfed.rules.model.FailoverServiceSpec.BackingService;
import io.meshfed.rules.model.PortMapping;
import io.meshfed.rules.model.Selector;
import io.meshfed.rules.model.Service;
import io.meshfed.rules.model.ServicePort;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.model.VirtualDestinationSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Which backing services make up a destination.
 *
 * <p>VirtualDestination (Gloo Mesh semantics): a service matches when it matches ANY selector of
 * its kind; only one Kubernetes service (and one external workload) per cluster — when several
 * match, the oldest (creationTimestamp, then name) is selected with a warning; any number of
 * external services. Every destination port must exist on a member (by targetPort name or
 * number, or the same number when no targetPort is given); a member without it is excluded with
 * a warning.
 *
 * <p>FailoverService: the listed backing services that exist, in list order.
 */
public final class Membership {

  private Membership() {}

  public static MembershipResult select(VirtualDestinationSpec spec,
      Collection<Service> candidates) {
    List<String> warnings = new ArrayList<>();
    List<Service> chosen = new ArrayList<>();
    chosen.addAll(onePerCluster(BackendKind.SERVICE, "service", spec.services(), candidates,
        warnings));
    chosen.addAll(onePerCluster(BackendKind.EXTERNAL_WORKLOAD, "external workload",
        spec.externalWorkloads(), candidates, warnings));
    chosen.addAll(candidates.stream()
        .filter(s -> s.kind() == BackendKind.EXTERNAL_SERVICE && matchesAny(spec.externalServices(), s))
        .toList());
    chosen.sort(java.util.Comparator.comparing(Service::ref));
    List<Member> members = new ArrayList<>();
    for (Service service : chosen) {
      resolvePorts(service, spec.ports(), warnings)
          .ifPresent(ports -> members.add(new Member(service.ref(), service.kind(), ports)));
    }
    return new MembershipResult(members, warnings);
  }

  public static MembershipResult select(FailoverServiceSpec spec, Collection<Service> candidates) {
    Map<ServiceRef, Service> byRef = candidates.stream()
        .collect(Collectors.toMap(Service::ref, Function.identity(), (a, b) -> a));
    List<String> warnings = new ArrayList<>();
    List<Member> members = new ArrayList<>();
    long port = spec.port() == null || spec.port().number() == null ? 0 : spec.port().number();
    for (BackingService backing : spec.backingServices()) {
      if (backing == null || backing.name() == null || backing.namespace() == null
          || backing.clusterName() == null) {
        continue;
      }
      Service service = byRef.get(backing.ref());
      if (service == null) {
        continue; // reported by Validator.resolveReferences
      }
      // FailoverService has one port; the backend port is the same number, or the only port.
      Optional<ServicePort> target = service.portByNumber(port)
          .or(() -> service.ports().size() == 1 ? Optional.of(service.ports().get(0))
              : Optional.empty());
      if (target.isEmpty()) {
        warnings.add("backing service " + service.ref() + " has no port " + port
            + " (ports: " + describePorts(service) + "); it is excluded");
        continue;
      }
      members.add(new Member(service.ref(), service.kind(), List.of(target.get())));
    }
    return new MembershipResult(members, warnings);
  }

  private static List<Service> onePerCluster(BackendKind kind, String noun,
      List<Selector> selectors, Collection<Service> candidates, List<String> warnings) {
    Map<String, List<Service>> byCluster = new TreeMap<>();
    for (Service service : candidates) {
      if (service.kind() == kind && matchesAny(selectors, service)) {
        byCluster.computeIfAbsent(service.ref().cluster(), c -> new ArrayList<>()).add(service);
      }
    }
    List<Service> chosen = new ArrayList<>();
    byCluster.forEach((cluster, matches) -> {
      matches.sort(Service.OLDEST_FIRST);
      Service oldest = matches.get(0);
      chosen.add(oldest);
      if (matches.size() > 1) {
        warnings.add("cluster " + cluster + ": " + matches.size() + " " + noun + "s match ("
            + matches.stream().map(s -> s.ref().namespace() + "/" + s.ref().name())
                .collect(Collectors.joining(", "))
            + "); only one per cluster is allowed, selected the oldest, "
            + oldest.ref().namespace() + "/" + oldest.ref().name());
      }
    });
    return chosen;
  }

  private static boolean matchesAny(List<Selector> selectors, Service service) {
    return selectors.stream().anyMatch(s -> s.matches(service));
  }

  private static Optional<List<ServicePort>> resolvePorts(Service service, List<PortMapping> ports,
      List<String> warnings) {
    List<ServicePort> targets = new ArrayList<>();
    for (PortMapping mapping : ports) {
      if (mapping == null || mapping.number() == null) {
        continue;
      }
      Optional<ServicePort> target;
      String wanted;
      if (mapping.targetPort() != null && mapping.targetPort().name() != null
          && !mapping.targetPort().name().isEmpty()) {
        wanted = "named \"" + mapping.targetPort().name() + "\"";
        target = service.portByName(mapping.targetPort().name());
      } else {
        long number = mapping.targetPort() != null && mapping.targetPort().number() != null
            ? mapping.targetPort().number() : mapping.number();
        wanted = String.valueOf(number);
        target = service.portByNumber(number);
      }
      if (target.isEmpty()) {
        warnings.add("backing service " + service.ref() + " has no port " + wanted
            + " (ports: " + describePorts(service) + "); it is excluded");
        return Optional.empty();
      }
      targets.add(target.get());
    }
    return Optional.of(targets);
  }

  private static String describePorts(Service service) {
    if (service.ports().isEmpty()) {
      return "none";
    }
    return service.ports().stream()
        .map(p -> p.name() == null ? String.valueOf(p.number()) : p.name() + "=" + p.number())
        .collect(Collectors.joining(", "));
  }
}
