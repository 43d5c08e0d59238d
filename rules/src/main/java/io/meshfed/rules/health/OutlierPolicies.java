package io.meshfed.rules.health;

import io.meshfed.rules.model.Meta;
import io.meshfed.rules.model.PolicySelection;
import io.meshfed.rules.model.Resource.OutlierDetectionPolicy;
import io.meshfed.rules.model.ResourceId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Which outlier-detection settings apply to a destination: those of the oldest valid
 * OutlierDetectionPolicy that selects it, or the defaults — and then status says so, because the
 * systems meshfed replaces silently do not fail over without such a policy.
 */
public final class OutlierPolicies {

  /** The settings that apply, where they come from, and what status should say about it. */
  public record Resolution(OutlierSettings settings, Optional<ResourceId> source,
      List<String> warnings) {
    public Resolution {
      warnings = List.copyOf(warnings);
    }
  }

  private OutlierPolicies() {}

  /** {@code validPolicies} must hold only policies that passed validation. */
  public static Resolution forDestination(Meta destination,
      Collection<OutlierDetectionPolicy> validPolicies) {
    var selected = PolicySelection.forDestination(destination, validPolicies,
        p -> p.spec().destinations());
    if (selected.policy().isEmpty()) {
      return new Resolution(OutlierSettings.DEFAULTS, Optional.empty(), List.of(
          "no OutlierDetectionPolicy selects this destination; default outlier detection applies"
              + " (" + OutlierSettings.DEFAULTS + ")"));
    }
    OutlierDetectionPolicy winner = selected.policy().get();
    return new Resolution(OutlierSettings.of(winner.spec()), Optional.of(winner.id()),
        new ArrayList<>(selected.warnings()));
  }
}
