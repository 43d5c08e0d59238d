package io.meshfed.rules.membership;

import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.model.PortMapping;
import io.meshfed.rules.model.Resource;
import io.meshfed.rules.model.ServicePort;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToIntBiFunction;

/**
 * The ports a destination serves, each with the backend port it routes to (Gloo Mesh
 * {@code ports[].targetPort}: by number or by name, on every backing service).
 *
 * <p>{@link Membership} resolves each destination port to a service port of each member; the
 * endpoint port behind a service port is the caller's to look up (EndpointSlice semantics), so
 * it is passed in as {@code endpointPort}.
 */
public final class DestinationPorts {

  private DestinationPorts() {}

  /**
   * The destination's ports with their target port: the endpoint port the first member (in
   * member order) resolves it to — members normally agree, and each endpoint carries its own
   * ports anyway ({@link #endpointPorts}). With no member to resolve it, the number the spec
   * names: {@code targetPort.number}, else the port's own number (also for a named targetPort,
   * which has nothing to resolve against until a member appears).
   */
  public static List<DesiredConfig.Port> resolve(Resource.Destination destination,
      List<Member> members, ToIntBiFunction<Member, ServicePort> endpointPort) {
    List<DesiredConfig.Port> ports = new ArrayList<>();
    if (destination instanceof Resource.FailoverService fs) {
      int number = fs.spec().port().number().intValue();
      ports.add(new DesiredConfig.Port(number,
          fs.spec().port().protocol().toUpperCase(Locale.ROOT),
          resolved(members, 0, endpointPort, number)));
      return ports;
    }
    List<PortMapping> mappings = ((Resource.VirtualDestination) destination).spec().ports();
    for (int i = 0; i < mappings.size(); i++) {
      PortMapping p = mappings.get(i);
      int specified = p.targetPort() != null && p.targetPort().number() != null
          ? p.targetPort().number().intValue() : p.number().intValue();
      ports.add(new DesiredConfig.Port(p.number().intValue(),
          p.protocol().toUpperCase(Locale.ROOT), resolved(members, i, endpointPort, specified)));
    }
    return ports;
  }

  /**
   * The endpoint port of each destination port for one member, in the destination's port
   * order; empty when the destination has one port (the endpoint's single port says it all).
   */
  public static List<Integer> endpointPorts(Member member,
      ToIntBiFunction<Member, ServicePort> endpointPort) {
    if (member.targetPorts().size() <= 1) {
      return List.of();
    }
    List<Integer> ports = new ArrayList<>(member.targetPorts().size());
    for (ServicePort servicePort : member.targetPorts()) {
      ports.add(endpointPort.applyAsInt(member, servicePort));
    }
    return ports;
  }

  private static int resolved(List<Member> members, int index,
      ToIntBiFunction<Member, ServicePort> endpointPort, int fallback) {
    for (Member member : members) {
      if (index < member.targetPorts().size()) {
        return endpointPort.applyAsInt(member, member.targetPorts().get(index));
      }
    }
    return fallback;
  }
}
