package io.meshfed.agent.shift;

import io.meshfed.rules.shift.TrafficShifts;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A TrafficPolicy's status as the CRD declares it: {@code observedGeneration}, {@code state},
 * {@code validationErrors}, {@code warnings}, and {@code trafficTargets} (the guide's field:
 * each selected service, keyed {@code cluster/namespace/name}, with its state and the host it is
 * shifted to, or why it is not).
 */
public final class TrafficPolicyStatus {

  private TrafficPolicyStatus() {}

  public static Map<String, Object> of(TrafficShifts.Verdict verdict) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("observedGeneration", verdict.observedGeneration());
    status.put("state", verdict.state().name());
    status.put("validationErrors", verdict.findings().errors());
    status.put("warnings", verdict.findings().warnings());
    Map<String, Object> targets = new LinkedHashMap<>();
    verdict.trafficTargets().forEach((key, target) -> {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("state", target.state().name());
      if (target.shiftedTo() != null) {
        entry.put("shiftedTo", target.shiftedTo());
      }
      if (target.message() != null) {
        entry.put("message", target.message());
      }
      targets.put(key, entry);
    });
    status.put("trafficTargets", targets);
    return status;
  }
}
