package io.meshfed.rules.tiers;

import io.meshfed.rules.membership.Member;
import io.meshfed.rules.model.ClusterInfo;
import io.meshfed.rules.model.FailoverPolicySpec;
import io.meshfed.rules.model.FailoverServiceSpec;
import io.meshfed.rules.model.FailoverServiceSpec.BackingService;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.tiers.Tier.WeightedMember;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

/**
 * Orders a destination's members into failover tiers for one client cluster.
 *
 * <ul>
 *   <li>FailoverService: tier i is {@code backingServices[i]}, the same for every client; a
 *       backing service that does not exist (yet) leaves its tier empty, so indices always match
 *       the spec.
 *   <li>VirtualDestination without a FailoverPolicy: one tier, every member, equal weight.
 *   <li>With one, by {@link io.meshfed.rules.model.TierOrdering}: LOCALITY ranks the client's own
 *       cluster, then clusters sharing a zone with it, then its region, then the rest;
 *       PRIORITY_LABELS ranks clusters by how long a prefix of the listed labels they share
 *       with the client cluster (Istio's failoverPriority); CLUSTER_ORDER follows the list, with
 *       unlisted clusters in a last tier. Empty ranks are dropped, so tier indices are dense.
 * </ul>
 */
public final class TierPlanner {

  private TierPlanner() {}

  public static List<Tier> forFailoverService(FailoverServiceSpec spec, List<Member> members) {
    List<Tier> tiers = new ArrayList<>();
    for (int i = 0; i < spec.backingServices().size(); i++) {
      BackingService backing = spec.backingServices().get(i);
      ServiceRef wanted = backing == null ? null : backing.ref();
      List<WeightedMember> tierMembers = members.stream()
          .filter(m -> m.ref().equals(wanted))
          .map(m -> new WeightedMember(m, 1))
          .toList();
      tiers.add(new Tier(i, tierMembers));
    }
    return tiers;
  }

  public static List<Tier> forVirtualDestination(List<Member> members, FailoverPolicySpec policy,
      String clientCluster, Map<String, ClusterInfo> clusters) {
    if (policy == null) {
      return members.isEmpty() ? List.of()
          : List.of(new Tier(0, members.stream().map(m -> new WeightedMember(m, 1)).toList()));
    }
    ClusterInfo client = clusters.get(clientCluster);
    ToIntFunction<Member> rank = switch (policy.ordering()) {
      case LOCALITY -> m -> localityRank(client, clientCluster, clusters.get(m.cluster()));
      case PRIORITY_LABELS -> m -> labelRank(policy.priorityLabels(), client,
          clusters.get(m.cluster()));
      case CLUSTER_ORDER -> m -> {
        int position = policy.clusterOrder().indexOf(m.cluster());
        return position >= 0 ? position : policy.clusterOrder().size();
      };
    };
    TreeMap<Integer, List<WeightedMember>> byRank = new TreeMap<>();
    for (Member member : members) {
      int weight = policy.weights().getOrDefault(member.cluster(), 1);
      byRank.computeIfAbsent(rank.applyAsInt(member), r -> new ArrayList<>())
          .add(new WeightedMember(member, weight));
    }
    List<Tier> tiers = new ArrayList<>();
    for (List<WeightedMember> tierMembers : byRank.values()) {
      tierMembers.sort((a, b) -> a.member().ref().compareTo(b.member().ref()));
      tiers.add(new Tier(tiers.size(), tierMembers));
    }
    return Collections.unmodifiableList(tiers);
  }

  /** 0 same cluster, 1 shares a zone, 2 same region, 3 the rest (or locality unknown). */
  static int localityRank(ClusterInfo client, String clientCluster, ClusterInfo member) {
    if (member == null) {
      return 3;
    }
    if (member.name().equals(clientCluster)) {
      return 0;
    }
    if (client == null) {
      return 3;
    }
    if (!Collections.disjoint(client.zones(), member.zones())) {
      return 1;
    }
    if (client.region() != null && client.region().equals(member.region())) {
      return 2;
    }
    return 3;
  }

  /**
   * Istio failoverPriority: with n labels, rank 0 when all n match the client's, 1 when only the
   * first n-1 do, ... n when the first does not.
   */
  static int labelRank(List<String> labels, ClusterInfo client, ClusterInfo member) {
    if (client == null || member == null) {
      return labels.size();
    }
    int matched = 0;
    for (String label : labels) {
      String wanted = client.labels().get(label);
      if (wanted == null || !Objects.equals(wanted, member.labels().get(label))) {
        break;
      }
      matched++;
    }
    return labels.size() - matched;
  }
}
