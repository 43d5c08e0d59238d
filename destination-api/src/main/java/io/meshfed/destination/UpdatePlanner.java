package io.meshfed.destination;

import io.linkerd.proxy.destination.AddrSet;
import io.linkerd.proxy.destination.NoEndpoints;
import io.linkerd.proxy.destination.Update;
import io.linkerd.proxy.destination.WeightedAddr;
import io.linkerd.proxy.destination.WeightedAddrSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rules of the Destination {@code Get} stream as a pure function: given what the client was
 * last told and what the name resolves to now, the updates to send (in order) and what the
 * client knows afterwards.
 *
 * <ul>
 *   <li>The first call always yields exactly one message (the client may use stale results
 *       until it gets one): {@code add} of every address, or {@code no_endpoints{exists:true}}
 *       for a destination without addresses, or {@code no_endpoints{exists:false}} for an
 *       unknown name.
 *   <li>{@code no_endpoints} is only sent when there are no addresses at all, never while an
 *       {@code add} is due.
 *   <li>Changes: new or re-weighted addresses in one {@code add} first, then gone ones in one
 *       {@code remove}, so a failover never leaves the client with an empty set in between.
 *       The last address leaving is a {@code remove} of it (equivalent to
 *       {@code no_endpoints{exists:true}}); a destination that stops existing gets
 *       {@code no_endpoints{exists:false}}.
 *   <li>Nothing changed, nothing sent.
 * </ul>
 */
public final class UpdatePlanner {

  private UpdatePlanner() {}

  /** What the client has been told: whether the name exists, and its addresses. */
  public record Told(boolean exists, Map<String, WeightedAddr> addrs) {
    public Told {
      addrs = Map.copyOf(addrs);
    }
  }

  /** The updates to send and what the client knows after them. */
  public record Plan(List<Update> updates, Told told) {}

  /**
   * @param told what the client was told, or null when nothing has been sent yet
   * @param now what the name resolves to now
   */
  public static Plan plan(Told told, Optional<Resolution> now) {
    if (now.isEmpty()) {
      boolean unchanged = told != null && !told.exists();
      return new Plan(unchanged ? List.of() : List.of(noEndpoints(false)),
          new Told(false, Map.of()));
    }
    Resolution r = now.get();
    Map<String, WeightedAddr> next = r.addrs();
    Told after = new Told(true, next);
    if (told == null || !told.exists()) {
      return new Plan(List.of(next.isEmpty() ? noEndpoints(true) : add(next, r)), after);
    }
    Map<String, WeightedAddr> changed = new LinkedHashMap<>();
    next.forEach((key, addr) -> {
      if (!addr.equals(told.addrs().get(key))) {
        changed.put(key, addr);
      }
    });
    List<WeightedAddr> gone = told.addrs().entrySet().stream()
        .filter(e -> !next.containsKey(e.getKey())).map(Map.Entry::getValue).toList();
    List<Update> updates = new ArrayList<>(2);
    if (!changed.isEmpty()) {
      updates.add(add(changed, r));
    }
    if (!gone.isEmpty()) {
      updates.add(Update.newBuilder().setRemove(AddrSet.newBuilder()
          .addAllAddrs(gone.stream().map(WeightedAddr::getAddr).toList())).build());
    }
    return new Plan(updates, after);
  }

  private static Update add(Map<String, WeightedAddr> addrs, Resolution r) {
    return Update.newBuilder().setAdd(WeightedAddrSet.newBuilder()
        .addAllAddrs(addrs.values()).putAllMetricLabels(r.setLabels())).build();
  }

  private static Update noEndpoints(boolean exists) {
    return Update.newBuilder().setNoEndpoints(NoEndpoints.newBuilder().setExists(exists)).build();
  }
}
