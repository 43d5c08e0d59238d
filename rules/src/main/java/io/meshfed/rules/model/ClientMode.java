package io.meshfed.rules.model;

import java.util.List;

/**
 * Gloo Mesh's {@code ClientMode} ({@code common.gloo.solo.io}, solo-apis
 * {@code api/gloo.solo.io/common/v2/clientmode.proto}, branches gloo-mesh-v2.2.x to v2.6.x): a
 * oneof of three empty messages saying how a VirtualDestination's cross-cluster traffic passes
 * the east-west gateway. In Gloo, {@code auto} is the default and today means SNI routing;
 * {@code sniRouting} passes TLS through the gateway to the member's sidecar (the member sees
 * the calling workload's identity; every member needs a sidecar); {@code tlsTermination}
 * terminates TLS at the gateway, so members without sidecars are reachable and a member sees
 * the gateway's identity, not the caller's.
 *
 * <p>meshfed has no east-west gateway: a client's proxy reaches the members' endpoints
 * directly. So {@link #AUTO} keeps meshfed's translation (the client's data plane chooses),
 * {@link #SNI_ROUTING} makes the client's sidecar originate Istio mutual TLS to each member's
 * sidecar — the guarantee SNI routing gives, end to end — and {@link #TLS_TERMINATION} is
 * INVALID (see {@link io.meshfed.rules.validation.Validator}).
 */
public enum ClientMode {
  AUTO("auto"),
  SNI_ROUTING("sniRouting"),
  TLS_TERMINATION("tlsTermination");

  /** The oneof's members by their JSON names, in the proto's field order. */
  public static final List<String> MEMBERS = List.of("auto", "sniRouting", "tlsTermination");

  private final String member;

  ClientMode(String member) {
    this.member = member;
  }

  /** The oneof member's JSON name, as a resource writes it. */
  public String member() {
    return member;
  }

  /** The mode a member name selects, or null for a name that is not one of {@link #MEMBERS}. */
  public static ClientMode ofMember(String member) {
    for (ClientMode mode : values()) {
      if (mode.member.equals(member)) {
        return mode;
      }
    }
    return null;
  }
}
