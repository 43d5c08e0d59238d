package io.meshfed.rules.membership;

import io.meshfed.rules.model.BackendKind;
import io.meshfed.rules.model.ServicePort;
import io.meshfed.rules.model.ServiceRef;

/**
 * A backing service selected for a destination, with the backend port each destination port
 * maps to.
 *
 * @param ref cluster, namespace, name
 * @param kind service, external service or external workload
 * @param targetPorts the member's service port for each destination port, in the destination's
 *     port order (endpoint ports are matched to it by name, as EndpointSlices do)
 */
public record Member(ServiceRef ref, BackendKind kind, java.util.List<ServicePort> targetPorts) {

  public Member {
    targetPorts = java.util.List.copyOf(targetPorts);
  }

  public String cluster() {
    return ref.cluster();
  }
}
