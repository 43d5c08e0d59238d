package io.meshfed.query;

import io.meshfed.avro.FailoverServiceSpec;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.VirtualDestinationSpec;
import io.meshfed.avro.internal.ControlEvent;
import io.meshfed.rules.decision.DecisionState;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.topology.state.KnownCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON shapes of the API: plain maps, field order fixed, built from stored records. */
final class Views {

  private Views() {}

  /** A destination or a policy (kind, identity, spec summary) with its status. */
  static Map<String, Object> destination(ControlEvent control, PolicyStatus status) {
    PolicyEvent event = (PolicyEvent) control.getEvent();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("kind", event.getKind().name());
    out.put("namespace", event.getNamespace());
    out.put("name", event.getName());
    out.put("generation", event.getGeneration());
    out.put("created", event.getCreationTimestamp().toString());
    out.put("sourceCluster", control.getSourceCluster());
    if (event.getSpec() instanceof FailoverServiceSpec fs) {
      out.put("hostnames", fs.getHostname() == null ? List.of() : List.of(fs.getHostname()));
      out.put("port", fs.getPort() == null ? null : fs.getPort().getNumber());
    } else if (event.getSpec() instanceof VirtualDestinationSpec vd) {
      out.put("hostnames", List.copyOf(vd.getHosts()));
      out.put("port", vd.getPorts().isEmpty() ? null : vd.getPorts().get(0).getNumber());
    }
    // A policy has neither; its status names the destinations it selects.
    out.put("status", status == null ? Map.of("state", "PENDING") : status(status));
    return out;
  }

  static Map<String, Object> status(PolicyStatus s) {
    return io.meshfed.schema.StatusDocument.of(s);
  }

  static Map<String, Object> client(String destination, String client, DecisionState state) {
    Map<String, Object> out = new LinkedHashMap<>();
    DesiredConfig config = state.config();
    out.put("destination", destination);
    out.put("clientCluster", client);
    out.put("epoch", state.epoch());
    out.put("activeTier", config.activeTier());
    out.put("panic", state.split().panic());
    out.put("tierLoadPercent", state.split().tierLoadPercent());
    out.put("flaps", state.flaps());
    out.put("tiers", config.tiers().stream().map(t -> {
      Map<String, Object> tier = new LinkedHashMap<>();
      tier.put("index", t.index());
      tier.put("loadPercent", t.loadPercent());
      tier.put("members", t.members().stream().map(Object::toString).toList());
      tier.put("endpoints", t.endpoints().stream().map(e -> {
        Map<String, Object> ep = new LinkedHashMap<>();
        ep.put("address", e.address());
        ep.put("port", e.port());
        ep.put("weight", e.weight());
        ep.put("cluster", e.service().cluster());
        ep.put("health", e.health() == null ? null : e.health().name());
        return ep;
      }).toList());
      return tier;
    }).toList());
    return out;
  }

  static Map<String, Object> decision(io.meshfed.avro.FailoverDecision d) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("epoch", d.getEpoch());
    out.put("clientCluster", d.getClientCluster());
    out.put("time", d.getTime().toString());
    out.put("reasonCode", d.getReasonCode().name());
    out.put("reason", d.getReason());
    out.put("before", d.getBefore() == null ? null : Map.of("activeTier",
        d.getBefore().getActiveTier(), "tierLoadPercent", d.getBefore().getTierLoadPercent()));
    out.put("after", Map.of("activeTier", d.getAfter().getActiveTier(), "tierLoadPercent",
        d.getAfter().getTierLoadPercent()));
    out.put("inputs", d.getInputs().stream().map(t -> Map.of("tier", t.getIndex(), "healthy",
        t.getHealthy(), "ejected", t.getEjected(), "unknown", t.getUnknown(), "total",
        t.getTotal())).toList());
    out.put("policyGeneration", d.getPolicyGeneration());
    return out;
  }

  static Map<String, Object> cluster(KnownCluster c, Instant now, Duration ttl) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", c.name());
    out.put("agentVersion", c.agentVersion());
    out.put("region", c.region());
    out.put("zones", c.zones());
    out.put("labels", c.labels());
    out.put("meshKind", c.meshKind());
    // The agent's timestamp: every replica of the cluster store agrees on it (each decide task
    // keeps its own receive time, which staleness is judged on).
    out.put("lastHeartbeat", c.sentAt().toString());
    out.put("stale", c.receivedAt().plus(ttl).isBefore(now));
    out.put("agentStartedAt", c.startedAt() == null ? null : c.startedAt().toString());
    // Istio's restart epoch: 0 at the agent's first start, so it counts the restarts.
    out.put("agentRestartEpoch", c.restartEpoch());
    return out;
  }
}
