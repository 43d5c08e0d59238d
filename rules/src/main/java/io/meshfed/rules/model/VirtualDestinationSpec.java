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
 * @param clientMode the members of Gloo's {@code clientMode} oneof the resource sets, as
 *     written (see {@link ClientMode}); null when it does not set {@code clientMode}
 */
public record VirtualDestinationSpec(List<String> hosts, List<Selector> services,
    List<Selector> externalServices, List<Selector> externalWorkloads, List<PortMapping> ports,
    List<String> clusters, List<String> clientMode) {

  public VirtualDestinationSpec {
    hosts = copy(hosts);
    services = copy(services);
    externalServices = copy(externalServices);
    externalWorkloads = copy(externalWorkloads);
    ports = copy(ports);
    clusters = copy(clusters);
    clientMode = clientMode == null ? null : List.copyOf(clientMode);
  }

  /** Without {@code clientMode}. */
  public VirtualDestinationSpec(List<String> hosts, List<Selector> services,
      List<Selector> externalServices, List<Selector> externalWorkloads, List<PortMapping> ports,
      List<String> clusters) {
    this(hosts, services, externalServices, externalWorkloads, ports, clusters, null);
  }

  /**
   * The mode to serve: the one member set, or {@link ClientMode#AUTO} when {@code clientMode}
   * is absent (Gloo then inherits WorkspaceSettings', whose default is auto; meshfed has no
   * WorkspaceSettings). Meaningful only for a spec that validates: an invalid one is not served.
   */
  public ClientMode resolvedClientMode() {
    if (clientMode == null || clientMode.size() != 1) {
      return ClientMode.AUTO;
    }
    ClientMode mode = ClientMode.ofMember(clientMode.get(0));
    return mode == null ? ClientMode.AUTO : mode;
  }

  /** True when at least one selector of any kind selects backends. */
  public boolean hasBackingSelectors() {
    return !services.isEmpty() || !externalServices.isEmpty() || !externalWorkloads.isEmpty();
  }

  private static <T> List<T> copy(List<T> list) {
    return list == null ? List.of() : List.copyOf(list);
  }
}
