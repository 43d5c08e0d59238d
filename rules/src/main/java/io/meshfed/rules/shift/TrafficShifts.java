package io.meshfed.rules.shift;

import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.shift.TrafficPolicy.FailoverServiceRef;
import io.meshfed.rules.status.ResourceState;
import io.meshfed.rules.validation.Findings;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which TrafficPolicy shifts take effect in one cluster, and each policy's status.
 *
 * <p><b>Where.</b> A shift depends only on the policy and the FailoverService's config in the
 * client cluster, so the cluster's agent computes it from the policies applied in its own
 * cluster and the FailoverService configs it receives; the topology is not involved. A policy
 * therefore shifts the clients of the cluster it is applied in: a selected service of another
 * cluster is a WARNING naming the cluster to apply it in (Service Mesh Hub applies one policy
 * from the management cluster to every cluster).
 *
 * <p><b>Rules.</b> Spec errors make the policy INVALID. One FailoverService per policy (the seed
 * allows weighted destinations; meshfed shifts a service wholly, as the guide does). A service
 * selected by several policies is shifted by the oldest; the others get a WARNING (two Istio
 * VirtualServices for one host are merged in no defined order). A FailoverService whose config
 * does not reach this cluster (missing, INVALID, not visible here) shifts nothing and is a
 * WARNING, re-judged when its config arrives. Where the agent writes Kubernetes objects
 * ({@code canShift} false) nothing can be shifted — kube-proxy sends a Service's clients only to
 * its own endpoints — and that is a WARNING too.
 */
public final class TrafficShifts {

  /** The suffix of a Kubernetes service's cluster-local name. */
  public static final String CLUSTER_DOMAIN = "svc.cluster.local";

  private TrafficShifts() {}

  /** A policy's state and what makes it so. */
  public record Verdict(long observedGeneration, ResourceState state, Findings findings,
      Map<String, TargetState> trafficTargets) {}

  /**
   * A selected service's state, keyed {@code cluster/namespace/name} in the status: ACCEPTED
   * with the host it is shifted to, or WARNING with why not.
   */
  public record TargetState(ResourceState state, String shiftedTo, String message) {}

  /** The shifts to write in the cluster and every policy's verdict, by {@code namespace/name}. */
  public record Plan(List<Shift> shifts, Map<String, Verdict> verdicts) {
    /** The shifts to one FailoverService, which its config's objects carry. */
    public List<Shift> shiftsTo(FailoverServiceRef failoverService) {
      return shifts.stream().filter(s -> s.failoverService().equals(failoverService)).toList();
    }
  }

  /** Spec errors of one policy. */
  public static Findings validate(TrafficPolicy policy) {
    List<String> errors = new ArrayList<>();
    if (policy.services().isEmpty()) {
      errors.add("spec.destinationSelector must select at least one service"
          + " (kubeServiceRefs.services)");
    }
    for (int i = 0; i < policy.services().size(); i++) {
      TrafficPolicy.KubeServiceRef s = policy.services().get(i);
      String field = "spec.destinationSelector kubeServiceRefs service " + (i + 1);
      if (s == null) {
        errors.add(field + " is empty");
        continue;
      }
      required(field + " name", s.name(), errors);
      required(field + " namespace", s.namespace(), errors);
      required(field + " clusterName", s.clusterName(), errors);
    }
    if (policy.shiftTo().size() != 1) {
      errors.add("spec.trafficShift.destinations lists " + policy.shiftTo().size()
          + " destinations; meshfed shifts to exactly one failoverService");
    } else {
      FailoverServiceRef fs = policy.shiftTo().get(0);
      String field = "spec.trafficShift.destinations[0].failoverService";
      if (fs == null) {
        errors.add(field + " is required");
      } else {
        required(field + ".name", fs.name(), errors);
        required(field + ".namespace", fs.namespace(), errors);
      }
    }
    return new Findings(bounded(errors), List.of());
  }

  /**
   * The plan for {@code cluster}: its policies (any order), the FailoverServices whose config
   * reaches it, and whether its agent can shift at all (Istio applier).
   */
  public static Plan plan(String cluster, boolean canShift, Collection<TrafficPolicy> policies,
      Map<FailoverServiceRef, ShiftTarget> visible) {
    List<TrafficPolicy> ordered = new ArrayList<>(policies);
    ordered.sort(TrafficPolicy.OLDEST_FIRST);
    Map<String, String> shiftedBy = new HashMap<>();
    List<Shift> shifts = new ArrayList<>();
    Map<String, Verdict> verdicts = new LinkedHashMap<>();
    for (TrafficPolicy policy : ordered) {
      Findings spec = validate(policy);
      if (!spec.isValid()) {
        verdicts.put(policy.key(), new Verdict(policy.generation(), ResourceState.INVALID, spec,
            Map.of()));
        continue;
      }
      FailoverServiceRef fs = policy.shiftTo().get(0);
      ShiftTarget target = visible.get(fs);
      List<String> warnings = new ArrayList<>();
      Map<String, TargetState> targets = new LinkedHashMap<>();
      String notHere = null;
      if (!canShift) {
        notHere = "cluster " + cluster + "'s agent writes Kubernetes Services"
            + " (meshfed.agent.applier=KUBERNETES); kube-proxy cannot send a Service's clients"
            + " elsewhere, so nothing is shifted";
      } else if (target == null) {
        notHere = "spec.trafficShift.destinations[0].failoverService " + fs + ": no config for"
            + " it reaches cluster " + cluster + " (it does not exist, is INVALID or is not"
            + " visible there), so nothing is shifted (yet)";
      }
      if (notHere != null) {
        warnings.add(notHere);
      }
      for (TrafficPolicy.KubeServiceRef selected : policy.services()) {
        ServiceRef service = selected.ref();
        String key = service.cluster() + "/" + service.namespace() + "/" + service.name();
        String why = null;
        if (!service.cluster().equals(cluster)) {
          why = "service " + key + " is in cluster " + service.cluster() + "; a TrafficPolicy"
              + " shifts the clients of the cluster it is applied in, so apply it in "
              + service.cluster();
          warnings.add("spec.destinationSelector: " + why);
        } else if (notHere != null) {
          why = notHere;
        } else {
          String host = service.name() + "." + service.namespace() + "." + CLUSTER_DOMAIN;
          String older = shiftedBy.putIfAbsent(host, policy.key());
          if (older != null && !older.equals(policy.key())) {
            why = "service " + key + " is already shifted by the older TrafficPolicy " + older;
            warnings.add("spec.destinationSelector: " + why);
          } else if (older == null) {
            shifts.add(new Shift(policy.key(), service, host, fs, target));
          }
        }
        targets.put(key, why == null
            ? new TargetState(ResourceState.ACCEPTED, target.hostname(), null)
            : new TargetState(ResourceState.WARNING, null, why));
      }
      verdicts.put(policy.key(), new Verdict(policy.generation(), warnings.isEmpty()
          ? ResourceState.ACCEPTED : ResourceState.WARNING, new Findings(List.of(), warnings),
          targets));
    }
    return new Plan(List.copyOf(shifts), verdicts);
  }

  /**
   * The first {@link Findings#MAX_MESSAGES} errors and a count of the rest, as every validation
   * keeps them: 10,000 selected services without a name were 10,000 errors, a status of about
   * 700 KB the agent tried to write back.
   */
  private static List<String> bounded(List<String> errors) {
    if (errors.size() <= Findings.MAX_MESSAGES) {
      return errors;
    }
    List<String> out = new ArrayList<>(errors.subList(0, Findings.MAX_MESSAGES));
    out.add("... and " + (errors.size() - Findings.MAX_MESSAGES) + " more errors");
    return out;
  }

  private static void required(String field, String value, List<String> errors) {
    if (value == null || value.isEmpty()) {
      errors.add(field + " is required");
    }
  }
}
