package io.meshfed.rules.shift;

import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.shift.TrafficPolicy.FailoverServiceRef;

/**
 * One shift to write: clients calling {@code sourceHost} go to the FailoverService's host.
 *
 * @param policy the TrafficPolicy's {@code namespace/name}
 * @param service the selected Kubernetes service
 * @param sourceHost its cluster-local name, {@code <name>.<namespace>.svc.cluster.local}
 * @param failoverService the FailoverService shifted to
 * @param target its hostname, port and protocol in this cluster
 */
public record Shift(String policy, ServiceRef service, String sourceHost,
    FailoverServiceRef failoverService, ShiftTarget target) {

  /** Whether HTTP routing applies (else TCP routing: the connection is forwarded as is). */
  public boolean isHttp() {
    return switch (target.protocol()) {
      case "HTTP", "HTTP2", "GRPC" -> true;
      default -> false;
    };
  }
}
