package io.meshfed.agent.apply;

import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.ResourceRef;
import io.meshfed.rules.shift.Shift;
import java.util.List;

/**
 * What {@link ShiftingApplier} asks of the TrafficPolicies in this cluster: told which
 * FailoverService configs reach the cluster, it answers which shifts point at each.
 */
public interface TrafficShiftSource {

  /** A FailoverService's config is applied in this cluster (its host and port are known). */
  void configured(FederatedDestination destination);

  /** A destination's config is gone from this cluster. */
  void withdrawn(ResourceRef destination);

  /** The shifts to this FailoverService that take effect in this cluster. */
  List<Shift> shiftsTo(ResourceRef failoverService);
}
