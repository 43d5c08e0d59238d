package io.meshfed.bench.e2e;

import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.ClusterObjectRef;
import io.meshfed.avro.Endpoint;
import io.meshfed.avro.EndpointPort;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.FailoverServiceSpec;
import io.meshfed.avro.MeshKind;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PortSpec;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ServicePort;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.rules.decision.DecisionInputs;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.decision.EndpointInput;
import io.meshfed.rules.decision.MemberInput;
import io.meshfed.rules.decision.TierInput;
import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.split.SplitPolicy;
import io.meshfed.topics.EventKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A fleet spread over the three zones of one region, for the zone-outage section: clusters
 * {@code <prefix>-NN}, each in every zone {@code <prefix>-region-1a/b/c} (its heartbeat lists
 * the three); services {@code svc-K} on every cluster with {@code endpointsPerService}
 * endpoints, endpoint e in zone {@code e mod 3}, so a zone is a third of every service's
 * endpoints; FailoverServices {@code zfs-I}, visible to every cluster (empty {@code clusters}),
 * whose tiers 0, 1, 2 are svc-K on clusters P, P+1, P+2 (P = I mod clusters, K = I / clusters):
 * each service backs three destinations, as primary, second and third tier.
 */
final class ZoneFleet {

  static final int ZONES = 3;
  static final int TIERS = 3;
  static final int PORT = 8080;

  final String prefix;
  final int clusters;
  final int destinations;
  final int servicesPerCluster;
  final int endpointsPerService;

  ZoneFleet(String prefix, int clusters, int destinations, int endpointsPerService) {
    if (clusters < TIERS || endpointsPerService % ZONES != 0) {
      throw new IllegalArgumentException("need >= 3 clusters and endpoints in multiples of 3");
    }
    this.prefix = prefix;
    this.clusters = clusters;
    this.destinations = destinations;
    this.servicesPerCluster = (destinations + clusters - 1) / clusters;
    this.endpointsPerService = endpointsPerService;
  }

  String cluster(int i) {
    return String.format("%s-%02d", prefix, Math.floorMod(i, clusters));
  }

  int clusterIndex(String name) {
    return Integer.parseInt(name.substring(prefix.length() + 1));
  }

  List<String> clusterNames() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < clusters; i++) {
      names.add(cluster(i));
    }
    return names;
  }

  String region() {
    return prefix + "-region-1";
  }

  String zone(int z) {
    return region() + (char) ('a' + z);
  }

  int primary(int destination) {
    return destination % clusters;
  }

  int service(int destination) {
    return destination / clusters;
  }

  String destinationName(int destination) {
    return "zfs-" + destination;
  }

  int destinationIndex(String name) {
    return Integer.parseInt(name.substring("zfs-".length()));
  }

  ProducerRecord<String, SpecificRecord> heartbeat(int cluster, Instant now) {
    String name = cluster(cluster);
    return new ProducerRecord<>(Fleet.eventsTopic(name), EventKeys.heartbeat(name),
        ClusterHeartbeat.newBuilder().setAgentVersion("bench").setRegion(region())
            .setZones(List.of(zone(0), zone(1), zone(2))).setMeshKind(MeshKind.ISTIO)
            .setTime(now).setStartedAt(Fleet.CREATED).build());
  }

  ProducerRecord<String, SpecificRecord> service(int cluster, int service) {
    String name = cluster(cluster);
    return new ProducerRecord<>(Fleet.eventsTopic(name), EventKeys.service(name, prefix,
        "svc-" + service), ServiceSnapshot.newBuilder().setNamespace(prefix)
            .setName("svc-" + service).setUid(name + "-svc-" + service)
            .setCreationTimestamp(Fleet.CREATED).setLabels(Map.of("app", "svc-" + service))
            .setPorts(List.of(new ServicePort("http", PORT, "TCP", null))).build());
  }

  String address(int cluster, int service, int endpoint) {
    int host = service * endpointsPerService + endpoint;
    return "10." + (Math.floorMod(cluster, clusters) % 256) + "." + (host / 256 % 256) + "."
        + (host % 256);
  }

  /** The service's endpoints, all ready except those in zone {@code downZone} (-1: none). */
  ProducerRecord<String, SpecificRecord> endpoints(int cluster, int service, int downZone) {
    String name = cluster(cluster);
    List<Endpoint> endpoints = new ArrayList<>(endpointsPerService);
    for (int e = 0; e < endpointsPerService; e++) {
      boolean ready = e % ZONES != downZone;
      endpoints.add(Endpoint.newBuilder()
          .setAddresses(List.of(address(cluster, service, e)))
          .setReady(ready).setServing(ready).setZone(zone(e % ZONES))
          .setTargetName("pod-" + service + "-" + e).build());
    }
    return new ProducerRecord<>(Fleet.eventsTopic(name), EventKeys.endpoints(name, prefix,
        "svc-" + service), EndpointSnapshot.newBuilder().setNamespace(prefix)
            .setServiceName("svc-" + service)
            .setPorts(List.of(new EndpointPort("http", PORT, "TCP", null)))
            .setEndpoints(endpoints).build());
  }

  /** FailoverService zfs-{@code index}, published by the first cluster (the policy source). */
  ProducerRecord<String, SpecificRecord> failoverService(int index) {
    String source = cluster(0);
    List<ClusterObjectRef> backing = new ArrayList<>();
    for (int t = 0; t < TIERS; t++) {
      backing.add(new ClusterObjectRef("svc-" + service(index), prefix,
          cluster(primary(index) + t)));
    }
    FailoverServiceSpec spec = FailoverServiceSpec.newBuilder()
        .setHostname(destinationName(index) + "." + prefix + ".global")
        .setPort(new PortSpec((long) PORT, "http"))
        .setClusters(List.of()) // every cluster
        .setBackingServices(backing).build();
    return new ProducerRecord<>(Fleet.eventsTopic(source), EventKeys.policy(source,
        ResourceKind.FailoverService, prefix, destinationName(index)), PolicyEvent.newBuilder()
            .setKind(ResourceKind.FailoverService).setNamespace(prefix)
            .setName(destinationName(index)).setUid("uid-" + destinationName(index))
            .setGeneration(1).setCreationTimestamp(Fleet.CREATED).setSpec(spec).build());
  }

  /**
   * What the rules decide from for destination {@code index} with zone {@code downZone} down
   * (-1: none), as the topology builds it: a tier per backing service, endpoints not ready are
   * unhealthy, the default split policy, no damping. Client clusters all see the same content.
   */
  DecisionInputs inputs(int index, int downZone) {
    List<TierInput> tiers = new ArrayList<>();
    for (int t = 0; t < TIERS; t++) {
      int cluster = primary(index) + t;
      List<EndpointInput> endpoints = new ArrayList<>();
      for (int e = 0; e < endpointsPerService; e++) {
        endpoints.add(new EndpointInput(address(cluster, service(index), e), PORT,
            e % ZONES == downZone ? EndpointHealth.UNHEALTHY : EndpointHealth.HEALTHY,
            zone(e % ZONES), region()));
      }
      tiers.add(new TierInput(t, List.of(new MemberInput(
          new ServiceRef(cluster(cluster), prefix, "svc-" + service(index)), 1, endpoints))));
    }
    return new DecisionInputs(new ResourceId(Kind.FailoverService, prefix,
        destinationName(index)), 1, cluster(0), List.of(), List.of(), OutlierSettings.DEFAULTS,
        tiers, SplitPolicy.DEFAULT, Duration.ZERO);
  }

  /** The routing content of a config (tier loads and endpoint weights), comparable as a string. */
  static String routing(DesiredConfig config) {
    StringBuilder s = new StringBuilder().append(config.activeTier());
    for (DesiredConfig.Tier t : config.tiers()) {
      s.append('|').append(t.index()).append(':').append(t.loadPercent());
      t.endpoints().stream().sorted(java.util.Comparator.comparing(
              DesiredConfig.WeightedEndpoint::address))
          .forEach(e -> s.append(' ').append(e.address()).append(':').append(e.port())
              .append('=').append(e.weight()));
    }
    return s.toString();
  }

  /** The same for a config as the topology wrote it. */
  static String routing(io.meshfed.avro.FederatedDestination config) {
    StringBuilder s = new StringBuilder().append(config.getActiveTier());
    List<io.meshfed.avro.DestinationTier> tiers = new ArrayList<>(config.getTiers());
    tiers.sort(java.util.Comparator.comparingInt(io.meshfed.avro.DestinationTier::getIndex));
    for (var t : tiers) {
      s.append('|').append(t.getIndex()).append(':').append(t.getLoadPercent());
      t.getEndpoints().stream().sorted(java.util.Comparator.comparing(
              io.meshfed.avro.WeightedEndpoint::getAddress))
          .forEach(e -> s.append(' ').append(e.getAddress()).append(':').append(e.getPort())
              .append('=').append(e.getWeight()));
    }
    return s.toString();
  }
}
