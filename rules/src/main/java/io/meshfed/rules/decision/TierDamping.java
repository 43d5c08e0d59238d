package io.meshfed.rules.decision;

import io.meshfed.rules.model.ServiceRef;
import java.time.Instant;
import java.util.List;

/**
 * Failback-damping memory of one tier.
 *
 * @param members the tier's members when this was recorded; a different set starts afresh
 * @param effectiveHealthy healthy count the split currently uses
 * @param pendingHealthy a higher healthy count waiting to hold for minHealthyDuration, or -1
 * @param pendingSince when that rise began, or null
 */
public record TierDamping(List<ServiceRef> members, int effectiveHealthy, int pendingHealthy,
    Instant pendingSince) {

  public TierDamping {
    members = List.copyOf(members);
  }

  public boolean isPending() {
    return pendingSince != null;
  }
}
