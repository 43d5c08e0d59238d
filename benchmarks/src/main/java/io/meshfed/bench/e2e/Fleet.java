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
import io.meshfed.topics.EventKeys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A synthetic fleet as its agents would publish it: clusters {@code <prefix>-NN}, services
 * {@code svc-N} in namespace {@code <prefix>} with {@code endpointsPerService} endpoints each, and
 * FailoverServices {@code fs-N} (from the first cluster, the policy source) whose tier 0 is one
 * cluster's {@code svc-N} and tier 1 the next cluster's.
 */
final class Fleet {

  static final Instant CREATED = Instant.parse("2026-11-22T00:00:00Z");
  static final int PORT = 8080;

  final String prefix;
  final int clusters;
  final int servicesPerCluster;
  final int endpointsPerService;

  Fleet(String prefix, int clusters, int servicesPerCluster, int endpointsPerService) {
    this.prefix = prefix;
    this.clusters = clusters;
    this.servicesPerCluster = servicesPerCluster;
    this.endpointsPerService = endpointsPerService;
  }

  String cluster(int i) {
    return String.format("%s-%02d", prefix, i % clusters);
  }

  List<String> clusterNames() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < clusters; i++) {
      names.add(cluster(i));
    }
    return names;
  }

  static String eventsTopic(String cluster) {
    return "meshfed.cluster." + cluster + ".events";
  }

  ProducerRecord<String, SpecificRecord> heartbeat(int cluster, Instant now) {
    String name = cluster(cluster);
    String region = "region-" + (cluster % 4);
    return new ProducerRecord<>(eventsTopic(name), EventKeys.heartbeat(name),
        ClusterHeartbeat.newBuilder().setAgentVersion("bench").setRegion(region)
            .setZones(List.of(region + "a")).setMeshKind(MeshKind.ISTIO).setTime(now)
            .setStartedAt(CREATED).build());
  }

  ProducerRecord<String, SpecificRecord> service(int cluster, int service) {
    String name = cluster(cluster);
    return new ProducerRecord<>(eventsTopic(name), EventKeys.service(name, prefix,
        "svc-" + service), ServiceSnapshot.newBuilder().setNamespace(prefix)
            .setName("svc-" + service).setUid(name + "-svc-" + service)
            .setCreationTimestamp(CREATED).setLabels(Map.of("app", "svc-" + service))
            .setPorts(List.of(new ServicePort("http", PORT, "TCP", null))).build());
  }

  /** The service's endpoints, the first {@code ready} of them ready. */
  ProducerRecord<String, SpecificRecord> endpoints(int cluster, int service, int ready) {
    String name = cluster(cluster);
    List<Endpoint> endpoints = new ArrayList<>(endpointsPerService);
    for (int e = 0; e < endpointsPerService; e++) {
      int host = service * endpointsPerService + e;
      endpoints.add(Endpoint.newBuilder()
          .setAddresses(List.of("10." + (cluster % 256) + "." + (host / 256 % 256) + "."
              + (host % 256)))
          .setReady(e < ready).setServing(e < ready).setTargetName("pod-" + service + "-" + e)
          .build());
    }
    return new ProducerRecord<>(eventsTopic(name), EventKeys.endpoints(name, prefix,
        "svc-" + service), EndpointSnapshot.newBuilder().setNamespace(prefix)
            .setServiceName("svc-" + service)
            .setPorts(List.of(new EndpointPort("http", PORT, "TCP", null)))
            .setEndpoints(endpoints).build());
  }

  /**
   * FailoverService fs-{@code index}: tier 0 is svc-{@code service} on cluster {@code primary},
   * tier 1 the same service on the next cluster; visible to those two clusters only (a
   * destination is consumed where its backing services run, not by the whole fleet).
   */
  ProducerRecord<String, SpecificRecord> failoverService(int index, int primary, int service) {
    String source = cluster(0);
    String first = cluster(primary);
    String second = cluster(primary + 1);
    FailoverServiceSpec spec = FailoverServiceSpec.newBuilder()
        .setHostname("fs-" + index + "." + prefix + ".global").setPort(new PortSpec((long) PORT, "http"))
        .setClusters(first.equals(second) ? List.of(first) : List.of(first, second))
        .setBackingServices(List.of(new ClusterObjectRef("svc-" + service, prefix, first),
            new ClusterObjectRef("svc-" + service, prefix, second)))
        .build();
    return new ProducerRecord<>(eventsTopic(source), EventKeys.policy(source,
        ResourceKind.FailoverService, prefix, "fs-" + index), PolicyEvent.newBuilder()
            .setKind(ResourceKind.FailoverService).setNamespace(prefix)
            .setName("fs-" + index).setUid("uid-fs-" + index).setGeneration(1)
            .setCreationTimestamp(CREATED).setSpec(spec).build());
  }
}
