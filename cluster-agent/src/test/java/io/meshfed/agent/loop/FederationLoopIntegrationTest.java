package io.meshfed.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.meshfed.agent.ClusterAgent;
import io.meshfed.agent.MeshfedResources;
import io.meshfed.agent.SimulatedCluster;
import io.meshfed.agent.apply.IstioApplier;
import io.meshfed.agent.apply.KubernetesApplier;
import io.meshfed.agent.config.AgentConfig;
import io.meshfed.agent.publish.ClusterPublisher;
import io.meshfed.avro.ResourceKind;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.testing.KafkaStack;
import io.meshfed.topology.TopologyMain;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.TopologyConfig;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole loop on real Kafka and registry with two simulated clusters: agents publish what
 * their clusters have, the topology decides, agents apply — Istio objects in mgmt-cluster,
 * Service + EndpointSlices in remote-cluster — acknowledge, and the FailoverService's status
 * becomes ACCEPTED. Then the walkthrough: reviews v1 and v2 break, both clusters move to
 * remote-cluster; they recover, and traffic returns after damping.
 */
class FederationLoopIntegrationTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.withRegistry();

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(toClose);
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private ClusterAgent agent(String cluster, SimulatedCluster sim, String applier,
      boolean policySource, String region) throws Exception {
    Properties p = new Properties();
    p.setProperty("meshfed.bootstrap.servers", STACK.bootstrapServers());
    p.setProperty("meshfed.registry.url", STACK.registryUrl());
    p.setProperty("meshfed.registry.auto.register", "true");
    p.setProperty("meshfed.agent.applier", applier);
    p.setProperty("meshfed.agent.policy.source", String.valueOf(policySource));
    p.setProperty("meshfed.agent.region", region);
    p.setProperty("meshfed.agent.zones", region + "a");
    p.setProperty("meshfed.agent.heartbeat.interval.ms", "1000");
    p.setProperty("meshfed.agent.health.port", "0");
    ClusterAgent agent = new ClusterAgent(AgentConfig.fromProperties(cluster, p), sim.client())
        .start();
    toClose.add(agent);
    return agent;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> serviceEntryEndpoints(SimulatedCluster c) {
    var items = c.client().genericKubernetesResources(
        io.meshfed.agent.apply.Reconciler.contextFor(IstioApplier.SERVICE_ENTRY))
        .inNamespace("meshfed").list().getItems();
    if (items.isEmpty()) {
      return null;
    }
    return (List<Map<String, Object>>) ((Map<String, Object>) items.get(0)
        .getAdditionalProperties().get("spec")).get("endpoints");
  }

  private static List<String> readySliceAddresses(SimulatedCluster c) {
    return c.client().discovery().v1().endpointSlices().inNamespace("meshfed").list().getItems()
        .stream().flatMap(s -> s.getEndpoints().stream())
        .filter(e -> Boolean.TRUE.equals(e.getConditions().getReady()))
        .map(e -> e.getAddresses().get(0)).sorted().toList();
  }

  @SuppressWarnings("unchecked")
  private static String state(SimulatedCluster mgmt) {
    GenericKubernetesResource fs = mgmt.client().genericKubernetesResources(
        ClusterPublisher.crd(ResourceKind.FailoverService)).inNamespace("service-mesh-hub")
        .withName("reviews-failover").get();
    Object status = fs == null ? null : fs.getAdditionalProperties().get("status");
    return status == null ? null : String.valueOf(((Map<String, Object>) status).get("state"));
  }

  @Test
  void theWalkthroughAcrossTwoSimulatedClusters() throws Exception {
    SimulatedCluster mgmt = new SimulatedCluster();
    SimulatedCluster remote = new SimulatedCluster();
    toClose.add(mgmt);
    toClose.add(remote);
    for (String c : List.of("mgmt-cluster", "remote-cluster")) {
      TopicProvisioner.addCluster(STACK.bootstrapServers(), c, (short) 1);
    }
    TopologyConfig topologyConfig = TopologyConfig.defaults(STACK.bootstrapServers(),
            RegistryConfig.of(STACK.registryUrl()).withAutoRegister(true), Set.of("mgmt-cluster"))
        .withStateDir(Files.createTempDirectory("meshfed-loop"))
        .withTimers(Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofMillis(200));
    KafkaStreams topology = TopologyMain.start(topologyConfig);
    toClose.add(() -> topology.close(Duration.ofSeconds(30)));

    mgmt.service("bookinfo", "reviews", Map.of("app", "reviews"), 9080);
    mgmt.endpoints("bookinfo", "reviews", 9080, true, "10.0.0.11", "10.0.0.12");
    remote.service("bookinfo", "reviews", Map.of("app", "reviews"), 9080);
    remote.endpoints("bookinfo", "reviews", 9080, true, "10.1.0.21");
    ClusterAgent mgmtAgent = agent("mgmt-cluster", mgmt, "istio", true, "us-east-1");
    ClusterAgent remoteAgent = agent("remote-cluster", remote, "kubernetes", false, "eu-west-1");

    mgmt.client().genericKubernetesResources(
        ClusterPublisher.crd(ResourceKind.OutlierDetectionPolicy))
        .inNamespace("service-mesh-hub").resource(MeshfedResources.reviewsOutlierPolicy())
        .create();
    mgmt.client().genericKubernetesResources(ClusterPublisher.crd(ResourceKind.FailoverService))
        .inNamespace("service-mesh-hub").resource(MeshfedResources.reviewsFailoverService())
        .create();

    await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
      assertThat(serviceEntryEndpoints(mgmt)).extracting(e -> e.get("address") + "="
          + e.get("weight")).containsExactly("10.0.0.11=50", "10.0.0.12=50");
      assertThat(readySliceAddresses(remote)).containsExactly("10.0.0.11", "10.0.0.12");
    });
    await().atMost(Duration.ofSeconds(30)).until(() -> "ACCEPTED".equals(state(mgmt)));
    assertThat(mgmtAgent.isReady()).isTrue();
    assertThat(remoteAgent.isReady()).isTrue();

    long broke = System.nanoTime();
    mgmt.endpoints("bookinfo", "reviews", 9080, false, "10.0.0.11", "10.0.0.12");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(serviceEntryEndpoints(mgmt)).extracting(e -> e.get("address") + "="
            + e.get("weight")).containsExactly("10.1.0.21=100"));
    long mgmtApplied = System.nanoTime();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(readySliceAddresses(remote)).containsExactly("10.1.0.21"));
    long remoteApplied = System.nanoTime();
    System.out.printf("failover applied: mgmt-cluster %d ms, remote-cluster %d ms after the"
        + " EndpointSlice change%n", (mgmtApplied - broke) / 1_000_000,
        (remoteApplied - broke) / 1_000_000);

    mgmt.endpoints("bookinfo", "reviews", 9080, true, "10.0.0.11", "10.0.0.12");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(serviceEntryEndpoints(mgmt)).extracting(e -> e.get("address") + "="
            + e.get("weight")).containsExactly("10.0.0.11=50", "10.0.0.12=50"));
    List<EndpointSlice> slices = remote.client().discovery().v1().endpointSlices()
        .inNamespace("meshfed").list().getItems();
    assertThat(slices).allSatisfy(s -> assertThat(s.getMetadata().getLabels())
        .containsEntry(KubernetesApplier.MCS_SERVICE_NAME,
            s.getMetadata().getLabels().get("kubernetes.io/service-name")));
  }
}
