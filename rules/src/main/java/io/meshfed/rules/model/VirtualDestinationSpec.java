package io.meshfed.rules.model;

import java.util.List;

/**
 * Gloo Mesh VirtualDestination: hosts backed by every service any selector matches.
 *
 * @param hosts hostnames it serves
 * @param services selectors of Kubernetes services
 * @param externalServices selectors of external services
 * @param externalWorkloads selectors of external workloads
 * @param ports ports it serves
 * @param clusters clusters it is visible to; empty means every cluster
 */
public record VirtualDestinationSpec(List<String> hosts, List<Selector> services,
    List<Selector> externalServices, List<Selector> externalWorkloads, List<PortMapping> ports,
    List<String> clusters) {

  public VirtualDestinationSpec {
    hosts = copy(hosts);
    services = copy(services);
    externalServices = copy(externalServices);
    externalWorkloads = copy(externalWorkloads);
    ports = copy(ports);
    clusters = copy(clusters);
  }

  /** True when at least one selector of any kind selects backends. */
  public boolean hasBackingSelectors() {
    return !services.isEmpty() || !externalServices.isEmpty() || !externalWorkloads.isEmpty();
  }

  private static <T> List<T> copy(List<T> list) {
    return list == null ? List.of() : List.copyOf(list);
  }
}
