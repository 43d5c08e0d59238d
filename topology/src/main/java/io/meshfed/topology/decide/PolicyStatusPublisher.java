package io.meshfed.topology.decide;

import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.internal.ControlEvent;
import io.meshfed.rules.model.Meta;
import io.meshfed.rules.model.Resource;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.status.PolicyReach;
import io.meshfed.rules.status.StatusRules;
import io.meshfed.rules.validation.Findings;
import io.meshfed.rules.validation.Validator;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The status of the FailoverPolicies and OutlierDetectionPolicies this task owns: validation and
 * the destinations each one's selectors select ({@link PolicyReach}). A policy's status changes
 * when the policy does, and also when a destination it selects appears, disappears or changes
 * labels — so each owned policy's selected destinations are kept here and updated per
 * destination change (every task sees every destination spec: they are broadcast), and a policy
 * whose selection changed is marked and published once per drained batch
 * ({@link #publishDirty}), not once per destination: creating 1,000 destinations a
 * wildcard policy selects costs one status per batch, not 1,000.
 *
 * <p>Cost: a destination change matches the owned policies' selectors against the old and new
 * metadata (a few hundred policies federation-wide, spread over the tasks); a policy change
 * matches its selectors against every destination once, as {@link DestinationCatalog#putPolicy}
 * already does.
 *
 * <p>One reason to change: what a policy's status says and when it is republished.
 */
final class PolicyStatusPublisher {

  /** An owned policy as its status needs it, parsed and validated once per change. */
  private record Owned(Resource policy, Findings findings, String sourceCluster, String uid,
      TreeSet<ResourceId> selected) {}

  private final DestinationCatalog catalog;
  private final DecisionLedger ledger;
  private final Predicate<String> owns;
  private final Map<String, Owned> owned = new HashMap<>();
  private final Set<String> dirty = new LinkedHashSet<>();

  /**
   * Loads the owned policies from the catalog and marks them all: a status whose input was
   * committed but not yet published (a crash between the two) goes out now, and one that is
   * unchanged is recognised by the ledger and not sent again.
   */
  PolicyStatusPublisher(DestinationCatalog catalog, DecisionLedger ledger,
      Predicate<String> owns) {
    this.catalog = catalog;
    this.ledger = ledger;
    this.owns = owns;
    catalog.policies().forEach((key, control) -> {
      if (owns.test(key)) {
        remember(key, control);
      }
    });
  }

  /** A policy was stored or deleted (already applied to the catalog). */
  void onPolicy(String key, ControlEvent control, Instant now) {
    if (!owns.test(key)) {
      return;
    }
    PolicyEvent event = (PolicyEvent) control.getEvent();
    if (event.getSpec() == null) {
      owned.remove(key);
      dirty.remove(key);
      ledger.withdrawStatus(key, control.getSourceCluster(), new ResourceRef(event.getKind(),
          event.getNamespace(), event.getName()), now);
    } else {
      remember(key, control);
    }
  }

  /**
   * A destination spec was stored or deleted: {@code before} and {@code after} are its metadata
   * (null when it did not exist / no longer exists).
   */
  void onDestination(String key, Meta before, Meta after) {
    if (owned.isEmpty() || (before == null && after == null)) {
      return;
    }
    ResourceId id = (after != null ? after : before).id();
    owned.forEach((policyKey, p) -> {
      if (!p.findings().isValid()) {
        return; // an INVALID policy lists nothing
      }
      boolean was = p.selected().contains(id);
      boolean is = after != null && PolicyReach.selects(p.policy(), after);
      if (was != is) {
        if (is) {
          p.selected().add(id);
        } else {
          p.selected().remove(id);
        }
        dirty.add(policyKey);
      }
    });
  }

  /** Publishes the status of every marked policy (the ledger sends only what changed). */
  void publishDirty(Instant now) {
    for (String key : dirty) {
      Owned p = owned.get(key);
      if (p != null) {
        ledger.publishStatus(key, p.sourceCluster(), StatusRules.forPolicy(p.policy().meta(),
            p.findings(), PolicyReach.of(p.selected())), p.uid(), now);
      }
    }
    dirty.clear();
  }

  private void remember(String key, ControlEvent control) {
    PolicyEvent event = (PolicyEvent) control.getEvent();
    Resource policy = AvroMapping.resource(event);
    Findings findings = Validator.validate(policy);
    TreeSet<ResourceId> selected = new TreeSet<>();
    if (findings.isValid()) {
      for (String destination : catalog.keys()) {
        Meta meta = catalog.get(destination).resource().meta();
        if (PolicyReach.selects(policy, meta)) {
          selected.add(meta.id());
        }
      }
    }
    owned.put(key, new Owned(policy, findings, control.getSourceCluster(), event.getUid(),
        selected));
    dirty.add(key);
  }
}
