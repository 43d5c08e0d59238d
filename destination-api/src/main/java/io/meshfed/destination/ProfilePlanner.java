package io.meshfed.destination;

import com.google.protobuf.Duration;
import io.linkerd.proxy.destination.DestinationProfile;
import io.linkerd.proxy.destination.RetryBudget;
import io.linkerd.proxy.destination.WeightedDst;
import io.linkerd.proxy.meta.Metadata;
import io.linkerd.proxy.meta.Resource;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.ResourceRef;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code GetProfile} answer as a pure function of what the authority resolves to.
 *
 * <ul>
 *   <li>{@code fully_qualified_name}: the destination's host; empty for an unknown name.
 *   <li>{@code opaque_protocol}: true for ports declared TCP, TLS or MONGO (not HTTP).
 *   <li>{@code retry_budget}: Linkerd's defaults (20% extra load, 10 retries/s, 10 s window).
 *   <li>{@code parent_ref}: the FailoverService or VirtualDestination, {@code meshfed.io} group,
 *       namespace and name in their own fields; also each override's {@code backend_ref}.
 *   <li>{@code dst_overrides}: when the decision splits traffic across more than one tier
 *       (overprovisioned partial failover, or a FailoverPolicy threshold), one entry per loaded
 *       tier with authority {@code tier-N.<host>:<port>} and weight = the tier's load percent;
 *       {@code Get} resolves those authorities to the tier's endpoints. With one loaded tier
 *       the list is empty: send to the destination as normal.
 * </ul>
 */
public final class ProfilePlanner {

  private static final Set<String> OPAQUE = Set.of("TCP", "TLS", "MONGO");
  static final RetryBudget RETRY_BUDGET = RetryBudget.newBuilder().setRetryRatio(0.2f)
      .setMinRetriesPerSecond(10).setTtl(Duration.newBuilder().setSeconds(10)).build();

  private ProfilePlanner() {}

  public static DestinationProfile profile(Authority authority, Optional<Resolution> now) {
    DestinationProfile.Builder profile = DestinationProfile.newBuilder()
        .setRetryBudget(RETRY_BUDGET);
    if (now.isEmpty()) {
      return profile.build();
    }
    Resolution r = now.get();
    ResourceRef ref = r.destination().getDestination();
    profile.setFullyQualifiedName(authority.destinationHost())
        .setOpaqueProtocol(OPAQUE.contains(r.port().getProtocol().toUpperCase(Locale.ROOT)))
        .setParentRef(meta(ref));
    List<DestinationTier> loaded = r.loadedTiers();
    if (authority.tier() < 0 && loaded.size() > 1) {
      for (DestinationTier tier : loaded) {
        profile.addDstOverrides(WeightedDst.newBuilder()
            .setAuthority(authority.ofTier(tier.getIndex()).toString())
            .setWeight(tier.getLoadPercent())
            .setBackendRef(meta(ref)));
      }
    }
    return profile.build();
  }

  /**
   * The destination resource as upstream's {@code meta.Resource}: group, kind, namespace and
   * name each in its own field, as Linkerd's own controller fills them (section and port name
   * parts of a resource and stay empty).
   */
  static Metadata meta(ResourceRef ref) {
    return Metadata.newBuilder().setResource(Resource.newBuilder().setGroup("meshfed.io")
        .setKind(ref.getKind().name()).setNamespace(ref.getNamespace()).setName(ref.getName()))
        .build();
  }
}
