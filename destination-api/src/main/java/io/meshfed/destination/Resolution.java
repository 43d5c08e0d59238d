package io.meshfed.destination;

import io.linkerd.proxy.destination.WeightedAddr;
import io.linkerd.proxy.net.IPAddress;
import io.linkerd.proxy.net.IPv6;
import io.linkerd.proxy.net.TcpAddress;
import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.WeightedEndpoint;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an authority resolves to for one client cluster: nothing (the name does not exist), or
 * the destination with its weighted addresses. A pure translation of the topology's
 * {@link FederatedDestination}.
 *
 * <p>Only endpoints with a share of the traffic are addresses: a tier the decision gives 0% is
 * not in the set, so a failover shows as an {@code add} of the next tier and a {@code remove}
 * of the failed one. The weight of an address is the decision's weight as is: a relative
 * integer, about 10^9 over the whole destination and at least 1 for every endpoint with a share,
 * so it fits the uint32 {@code weight} and no endpoint of a large tier is lost. Endpoints whose
 * address is not an IP literal (DNS names) cannot be carried by {@code TcpAddress} and are left
 * out.
 */
public record Resolution(FederatedDestination destination, DestinationPort port,
    Map<String, WeightedAddr> addrs, Map<String, String> setLabels) {

  /** Resolves {@code authority} against the client cluster's destinations. */
  public static Optional<Resolution> of(Authority authority,
      Iterable<FederatedDestination> clientDestinations) {
    for (FederatedDestination fd : clientDestinations) {
      if (!fd.getHosts().contains(authority.destinationHost())) {
        continue;
      }
      Optional<DestinationPort> port = fd.getPorts().stream()
          .filter(p -> p.getNumber() == authority.port()).findFirst();
      if (port.isEmpty()) {
        continue;
      }
      int tier = authority.tier();
      if (tier >= 0 && fd.getTiers().stream().noneMatch(t -> t.getIndex() == tier)) {
        continue;
      }
      return Optional.of(new Resolution(fd, port.get(), addrs(fd, port.get(), tier),
          setLabels(fd)));
    }
    return Optional.empty();
  }

  private static Map<String, WeightedAddr> addrs(FederatedDestination fd, DestinationPort port,
      int onlyTier) {
    Map<String, WeightedAddr> out = new LinkedHashMap<>();
    boolean onePort = fd.getPorts().size() == 1;
    int portIndex = fd.getPorts().indexOf(port);
    for (DestinationTier tier : fd.getTiers()) {
      if (onlyTier >= 0 && tier.getIndex() != onlyTier) {
        continue;
      }
      for (WeightedEndpoint e : tier.getEndpoints()) {
        boolean carriesTraffic = e.getWeight() > 0;
        // Each endpoint names its port for every destination port (WeightedEndpoint.ports);
        // a topology that predates that list gave one port, right only where it is the target.
        boolean ownPorts = portIndex >= 0 && portIndex < e.getPorts().size();
        int endpointPort = ownPorts ? e.getPorts().get(portIndex) : e.getPort();
        boolean onThisPort = ownPorts || onePort || e.getPort() == port.getTargetPort();
        Optional<IPAddress> ip = ip(e.getAddress());
        if (carriesTraffic && onThisPort && ip.isPresent()) {
          out.put(e.getAddress() + ":" + endpointPort, WeightedAddr.newBuilder()
              .setAddr(TcpAddress.newBuilder().setIp(ip.get()).setPort(endpointPort))
              .setWeight(e.getWeight())
              .putAllMetricLabels(labels(e, tier.getIndex()))
              .build());
        }
      }
    }
    return out;
  }

  private static Map<String, String> labels(WeightedEndpoint e, int tier) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("cluster", e.getCluster());
    labels.put("namespace", e.getNamespace());
    labels.put("service", e.getService());
    if (e.getZone() != null) {
      labels.put("zone", e.getZone());
    }
    if (e.getRegion() != null) {
      labels.put("region", e.getRegion());
    }
    labels.put("tier", String.valueOf(tier));
    return labels;
  }

  private static Map<String, String> setLabels(FederatedDestination fd) {
    return Map.of("destination_kind", fd.getDestination().getKind().name(),
        "destination_namespace", fd.getDestination().getNamespace(),
        "destination_name", fd.getDestination().getName());
  }

  /** An IP literal as the wire's {@code IPAddress}; empty for anything else. */
  static Optional<IPAddress> ip(String address) {
    if (address.indexOf(':') >= 0) {
      return ipv6(address);
    }
    String[] parts = address.split("\\.", -1);
    if (parts.length != 4) {
      return Optional.empty();
    }
    int value = 0;
    for (String part : parts) {
      if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
        return Optional.empty();
      }
      int octet = Integer.parseInt(part);
      if (octet > 255) {
        return Optional.empty();
      }
      value = (value << 8) | octet;
    }
    return Optional.of(IPAddress.newBuilder().setIpv4(value).build());
  }

  private static Optional<IPAddress> ipv6(String address) {
    try {
      // A literal with ':' is parsed, never looked up in DNS.
      byte[] bytes = java.net.InetAddress.getByName(address).getAddress();
      if (bytes.length != 16) {
        return Optional.empty();
      }
      java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
      return Optional.of(IPAddress.newBuilder().setIpv6(IPv6.newBuilder()
          .setFirst(buffer.getLong()).setLast(buffer.getLong())).build());
    } catch (java.net.UnknownHostException e) {
      return Optional.empty();
    }
  }

  /** Tiers that receive traffic, with their load, in order. */
  public List<DestinationTier> loadedTiers() {
    return destination.getTiers().stream().filter(t -> t.getLoadPercent() > 0).toList();
  }
}
