package io.meshfed.rules.model;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A backing service as a cluster reports it.
 *
 * @param ref cluster, namespace, name
 * @param kind Kubernetes service or an external backend
 * @param uid Kubernetes uid
 * @param created creationTimestamp; the oldest wins when several match in one cluster
 * @param labels the service's labels
 * @param ports the service's ports
 */
public record Service(ServiceRef ref, BackendKind kind, String uid, Instant created,
    Map<String, String> labels, List<ServicePort> ports) {

  /** Oldest first, then by name: the Gloo rule for one service per cluster. */
  public static final Comparator<Service> OLDEST_FIRST = Comparator.comparing(Service::created)
      .thenComparing(s -> s.ref().name()).thenComparing(s -> s.ref().namespace());

  public Service {
    labels = Map.copyOf(labels);
    ports = List.copyOf(ports);
  }

  /** The port with this number, if the service has it. */
  public Optional<ServicePort> portByNumber(long number) {
    return ports.stream().filter(p -> p.number() == number).findFirst();
  }

  /** The port with this name, if the service has it. */
  public Optional<ServicePort> portByName(String name) {
    return ports.stream().filter(p -> name.equals(p.name())).findFirst();
  }
}
