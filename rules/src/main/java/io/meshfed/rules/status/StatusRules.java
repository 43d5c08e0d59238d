package io.meshfed.rules.status;

import io.meshfed.rules.model.Meta;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.status.Condition.Status;
import io.meshfed.rules.status.ResourceStatus.ClusterStatus;
import io.meshfed.rules.validation.Findings;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Derives a resource's status. For a destination, precedence is: INVALID (validation errors) →
 * FAILED (a cluster could not apply the current generation) → PENDING (a cluster has not
 * acknowledged the current generation, or the latest decision epoch for it) → WARNING
 * (warnings, or a cluster that applied with a warning: its agent's APPLIED ack carries what
 * that cluster cannot serve) → ACCEPTED. Like Service Mesh Hub, ACCEPTED means applied in every cluster it
 * targets — including the latest failover, not only the latest spec. Policies are not applied
 * per cluster: INVALID, WARNING or ACCEPTED.
 *
 * <p>Conditions say the same in Kubernetes' shape: {@code Valid} (the spec validates),
 * {@code Accepted} (the topology decides for it: valid and no hostname conflict),
 * {@code Applied} (every target cluster applied the latest generation and epoch; also per
 * cluster) and {@code Conflict} (it lost a hostname claim to an older destination).
 */
public final class StatusRules {

  private StatusRules() {}

  public static ResourceStatus forDestination(Meta meta, Findings findings,
      List<ServiceRef> selected, Collection<String> targetClusters, Map<String, ClusterAck> acks) {
    return forDestination(meta, findings, selected, StatusInputs.of(targetClusters, acks));
  }

  /**
   * As above, naming the policies that apply ({@code appliedPolicies}); an INVALID destination
   * has none, since nothing of it is applied.
   */
  public static ResourceStatus forDestination(Meta meta, Findings findings,
      List<ServiceRef> selected, Collection<String> targetClusters, Map<String, ClusterAck> acks,
      List<ResourceId> appliedPolicies) {
    return forDestination(meta, findings, selected, new StatusInputs(targetClusters, acks,
        Map.of(), Map.of(), null, List.of(), appliedPolicies));
  }

  public static ResourceStatus forDestination(Meta meta, Findings findings,
      List<ServiceRef> selected, StatusInputs in) {
    long generation = meta.generation();
    Condition valid = valid(findings.errors().stream()
        .filter(e -> !in.conflicts().contains(e)).toList(), generation);
    Condition conflict = in.conflicts().isEmpty()
        ? new Condition(Condition.CONFLICT, Status.False, "NoConflict",
            "no other destination claims its hostnames", generation)
        : new Condition(Condition.CONFLICT, Status.True, "HostnameConflict",
            String.join("; ", in.conflicts()), generation);
    if (!findings.isValid()) {
      String why = valid.status() == Status.False ? "Invalid" : "HostnameConflict";
      List<Condition> conditions = List.of(valid,
          new Condition(Condition.ACCEPTED, Status.False, why,
              "not decided for: " + String.join("; ", findings.errors()), generation),
          new Condition(Condition.APPLIED, Status.False, why, "nothing is applied", generation),
          conflict);
      return new ResourceStatus(meta.id(), generation, ResourceState.INVALID,
          findings.errors(), findings.warnings(), List.of(), List.of(), List.of(), conditions,
          in.listedMeshes() == null ? List.of() : meshes(in, List.of(), ResourceState.INVALID));
    }
    List<ClusterStatus> clusters = new ArrayList<>();
    List<String> failedClusters = new ArrayList<>();
    List<String> pendingClusters = new ArrayList<>();
    List<String> clusterWarnings = new ArrayList<>();
    for (String cluster : new TreeSet<>(in.targetClusters())) {
      ClusterAck ack = in.acks().get(cluster);
      Long latest = in.latestEpochs().get(cluster);
      ResourceState state;
      String message = null;
      Condition applied;
      if (ack == null || ack.generation() < generation) {
        state = ResourceState.PENDING;
        applied = new Condition(Condition.APPLIED, Status.False, "Pending", ack == null
            ? "no acknowledgement yet" : "applied generation " + ack.generation() + " of "
            + generation, generation);
      } else if (latest != null && ack.epoch() < latest) {
        // The spec is applied but not the latest failover: not ACCEPTED yet (issue #18).
        state = ResourceState.PENDING;
        applied = new Condition(Condition.APPLIED, Status.False, "Pending",
            "applied epoch " + ack.epoch() + ", latest decision is epoch " + latest, generation);
      } else if (!ack.applied()) {
        state = ResourceState.FAILED;
        message = ack.message();
        applied = new Condition(Condition.APPLIED, Status.False, "ApplyFailed",
            "epoch " + ack.epoch() + ": " + (message == null ? "the agent gave no reason"
                : message), generation);
      } else if (ack.message() != null && !ack.message().isBlank()) {
        // Applied, with something this cluster's data plane cannot serve (e.g. a clientMode
        // its applier has no way to honour): the agent says what, and it is a WARNING here.
        state = ResourceState.WARNING;
        message = ack.message();
        applied = new Condition(Condition.APPLIED, Status.True, "AppliedWithWarnings",
            "generation " + ack.generation() + ", epoch " + ack.epoch() + ": " + message,
            generation);
      } else {
        state = ResourceState.ACCEPTED;
        applied = new Condition(Condition.APPLIED, Status.True, "Applied",
            "generation " + ack.generation() + ", epoch " + ack.epoch(), generation);
      }
      if (state == ResourceState.FAILED) {
        failedClusters.add(cluster);
      } else if (state == ResourceState.PENDING) {
        pendingClusters.add(cluster);
      } else if (state == ResourceState.WARNING) {
        clusterWarnings.add("cluster " + cluster + ": " + message);
      }
      // The latest epoch is named only where the cluster is judged on it: it applied this
      // generation and is behind on epochs. A cluster with no ack of the generation is PENDING
      // on that alone, and naming the epoch there would make the status change — a record to
      // the source cluster, a status write on its API server — with every decision.
      long judgedOn = latest == null || ack == null || ack.generation() < generation ? -1
          : latest;
      clusters.add(new ClusterStatus(cluster, ack == null ? -1 : ack.generation(),
          ack == null ? -1 : ack.epoch(), state, message, judgedOn, List.of(applied)));
    }
    List<String> warnings = new ArrayList<>(findings.warnings());
    warnings.addAll(clusterWarnings);
    ResourceState overall = !failedClusters.isEmpty() ? ResourceState.FAILED
        : !pendingClusters.isEmpty() ? ResourceState.PENDING
        : warnings.isEmpty() ? ResourceState.ACCEPTED : ResourceState.WARNING;
    Condition accepted = new Condition(Condition.ACCEPTED, Status.True,
        findings.warnings().isEmpty() ? "Accepted" : "AcceptedWithWarnings",
        findings.warnings().isEmpty() ? "decided for " + clusters.size() + " target clusters"
            : String.join("; ", findings.warnings()), generation);
    int total = clusters.size();
    Condition applied = !failedClusters.isEmpty()
        ? new Condition(Condition.APPLIED, Status.False, "ApplyFailed", "failed in "
            + String.join(", ", failedClusters), generation)
        : !pendingClusters.isEmpty()
        ? new Condition(Condition.APPLIED, Status.False, "Pending", (total
            - pendingClusters.size()) + " of " + total + " target clusters applied the latest"
            + " config; waiting for " + String.join(", ", pendingClusters), generation)
        : !clusterWarnings.isEmpty()
        ? new Condition(Condition.APPLIED, Status.True, "AppliedWithWarnings", "applied in all "
            + total + " target clusters; " + String.join("; ", clusterWarnings), generation)
        : new Condition(Condition.APPLIED, Status.True, "Applied", total == 0
            ? "no cluster is a target (see spec.clusters and spec.meshes)"
            : "applied in all " + total + " target clusters", generation);
    ResourceStatus status = new ResourceStatus(meta.id(), generation, overall, List.of(),
        warnings, clusters, selected, in.appliedPolicies(),
        List.of(valid, accepted, applied, conflict), List.of());
    if (in.listedMeshes() == null) {
      return status;
    }
    return new ResourceStatus(status.id(), generation, overall, List.of(), status.warnings(),
        clusters, selected, in.appliedPolicies(), status.conditions(),
        meshes(in, clusters, overall));
  }

  /**
   * Per mesh: the listed meshes, or when none is listed the meshes the target clusters
   * report. A mesh's state rolls up its clusters' states (FAILED, then PENDING, else
   * ACCEPTED); a listed mesh no cluster reports is PENDING and says so.
   */
  private static List<MeshStatus> meshes(StatusInputs in, List<ClusterStatus> clusters,
      ResourceState overall) {
    TreeSet<String> names = new TreeSet<>(in.listedMeshes());
    if (names.isEmpty()) {
      for (String cluster : in.targetClusters()) {
        String mesh = in.meshOf().get(cluster);
        if (mesh != null) {
          names.add(mesh);
        }
      }
    }
    List<MeshStatus> out = new ArrayList<>();
    for (String mesh : names) {
      if (overall == ResourceState.INVALID) {
        out.add(new MeshStatus(mesh, 0, ResourceState.INVALID, List.of()));
        continue;
      }
      List<ClusterStatus> inMesh = clusters.stream()
          .filter(c -> mesh.equals(in.meshOf().get(c.cluster()))).toList();
      if (inMesh.isEmpty()) {
        out.add(new MeshStatus(mesh, 0, ResourceState.PENDING,
            List.of("no cluster reports mesh " + mesh)));
        continue;
      }
      List<String> errors = new ArrayList<>();
      boolean pending = false;
      for (ClusterStatus c : inMesh) {
        if (c.state() == ResourceState.FAILED) {
          errors.add(c.cluster() + ": " + (c.message() == null ? "apply failed" : c.message()));
        }
        pending |= c.state() == ResourceState.PENDING;
      }
      ResourceState state = !errors.isEmpty() ? ResourceState.FAILED
          : pending ? ResourceState.PENDING : ResourceState.ACCEPTED;
      out.add(new MeshStatus(mesh, 0, state, errors));
    }
    return out;
  }

  private static Condition valid(List<String> errors, long generation) {
    return errors.isEmpty()
        ? new Condition(Condition.VALID, Status.True, "Valid", "the spec is valid", generation)
        : new Condition(Condition.VALID, Status.False, "ValidationFailed",
            String.join("; ", errors), generation);
  }

  public static ResourceStatus forPolicy(Meta meta, Findings findings) {
    return forPolicy(meta, findings, PolicyReach.NONE);
  }

  /**
   * A policy's status listing the destinations it selects ({@code reach}). An INVALID policy
   * applies to nothing, so it lists none whatever its selectors would match.
   */
  public static ResourceStatus forPolicy(Meta meta, Findings findings, PolicyReach reach) {
    ResourceState state = !findings.isValid() ? ResourceState.INVALID
        : findings.warnings().isEmpty() ? ResourceState.ACCEPTED : ResourceState.WARNING;
    Condition valid = valid(findings.errors(), meta.generation());
    Condition accepted = findings.isValid()
        ? new Condition(Condition.ACCEPTED, Status.True, findings.warnings().isEmpty()
            ? "Accepted" : "AcceptedWithWarnings", findings.warnings().isEmpty()
            ? "it selects " + reach.total() + " destinations (where several policies of a kind"
                + " select one, the oldest applies)"
            : String.join("; ", findings.warnings()), meta.generation())
        : new Condition(Condition.ACCEPTED, Status.False, "Invalid",
            "not applied to any destination", meta.generation());
    return new ResourceStatus(meta.id(), meta.generation(), state, findings.errors(),
        findings.warnings(), List.of(), List.of(), List.of(), List.of(valid, accepted),
        List.of(), findings.isValid() ? reach : PolicyReach.NONE);
  }
}
