package io.meshfed.bench.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshfed.agent.apply.ConfigApplier.ObjectKind;
import io.meshfed.agent.apply.IstioApplier;
import io.meshfed.agent.apply.Ownership;
import io.meshfed.agent.apply.Reconciler;
import io.meshfed.agent.apply.ShiftingApplier;
import io.meshfed.agent.config.AgentConfig;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.testing.OffLoopCloseCrudDispatcher;
import io.meshfed.topology.Bookinfo;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * mgmt-cluster's Kubernetes for the classes that run a real {@link io.meshfed.agent.ClusterAgent}:
 * the fabric8 mock API server in CRUD mode on loopback, with {@code dispatcher} (at least the
 * {@link OffLoopCloseCrudDispatcher}: the stock one blocks the server's event loop on a watch's
 * end) and meshfed's CRDs installed; the harness's own client ({@link #client}, User-Agent
 * {@link ApiFaultServer#HARNESS_AGENT}, so a faulting dispatcher leaves it alone); the agent's
 * configuration as the embedded stack sets it; and what the agent applied, read back.
 */
final class MockCluster implements AutoCloseable {

  /** Where the agent writes its objects ({@code meshfed.agent.namespace}'s default). */
  static final String NAMESPACE = "meshfed";

  final KubernetesMockServer server;
  final KubernetesClient client;
  private final List<KubernetesClient> agentClients = new ArrayList<>();

  MockCluster(OffLoopCloseCrudDispatcher dispatcher) throws IOException {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient(b -> b.editOrNewConfig()
        .withUserAgent(ApiFaultServer.HARNESS_AGENT).endConfig());
    installCrds(client);
  }

  /**
   * A client as {@code AgentMain} makes the agent's (the client's own retry off: the agent's
   * backoff is the only one) with {@code requestTimeout} for a request that gets no answer.
   */
  KubernetesClient agentClient(Duration requestTimeout) {
    KubernetesClient c = server.createClient(b -> b.editOrNewConfig()
        .withRequestRetryBackoffLimit(0).withRequestTimeout((int) requestTimeout.toMillis())
        .endConfig());
    agentClients.add(c);
    return c;
  }

  /**
   * mgmt-cluster's agent as the embedded stack configures it (Istio, the policy source),
   * connecting to Kafka at {@code bootstrap}; {@code extra} laid over it.
   */
  static AgentConfig mgmtAgent(ChaosSuite.Env env, String bootstrap, Map<String, String> extra) {
    Properties p = new Properties();
    p.setProperty("meshfed.bootstrap.servers", bootstrap);
    p.setProperty("meshfed.registry.url", env.registry.confluentApiUrl());
    p.setProperty("meshfed.registry.auto.register", "true");
    p.setProperty("meshfed.agent.applier", "istio");
    p.setProperty("meshfed.agent.policy.source", "true");
    // Bookinfo's heartbeat says the same, so the agent's and the harness's agree.
    p.setProperty("meshfed.agent.region", "us-east-1");
    p.setProperty("meshfed.agent.zones", "us-east-1a");
    p.setProperty("meshfed.agent.heartbeat.interval.ms", "1000");
    p.setProperty("meshfed.agent.health.port", "0");
    p.setProperty("meshfed.agent.health.address", "127.0.0.1");
    extra.forEach(p::setProperty);
    return AgentConfig.fromProperties(Bookinfo.MGMT, p);
  }

  static void installCrds(KubernetesClient client) throws IOException {
    try (var in = MockCluster.class.getResourceAsStream("/deploy/crds.yaml")) {
      for (Object crd : (List<?>) Serialization.unmarshal(in)) {
        client.apiextensions().v1().customResourceDefinitions()
            .resource((CustomResourceDefinition) crd).create();
      }
    }
  }

  /** The kinds an Istio agent may own: its applier's and the traffic shifts' VirtualService. */
  private static List<ObjectKind> ownedKinds() {
    List<ObjectKind> kinds = new ArrayList<>(new IstioApplier(NAMESPACE).kinds());
    kinds.add(ShiftingApplier.VIRTUAL_SERVICE);
    return kinds;
  }

  /** Every object the agent owns, by "Kind/name", read without faults. */
  Map<String, GenericKubernetesResource> owned() {
    Map<String, GenericKubernetesResource> out = new TreeMap<>();
    for (ObjectKind kind : ownedKinds()) {
      for (GenericKubernetesResource r : client.genericKubernetesResources(
          Reconciler.contextFor(kind)).inNamespace(NAMESPACE)
          .withLabel(Ownership.MANAGED_BY_LABEL, Ownership.MANAGED_BY_VALUE).list().getItems()) {
        out.put(kind.kind() + "/" + r.getMetadata().getName(), r);
      }
    }
    return out;
  }

  /** "Kind/name" → resourceVersion of every owned object: changes when anything is written. */
  Map<String, String> ownedVersions() {
    Map<String, String> out = new TreeMap<>();
    owned().forEach((k, r) -> out.put(k, r.getMetadata().getResourceVersion()));
    return out;
  }

  /**
   * How the objects the agent owns differ from what its applier makes of {@code fd} (no
   * TrafficPolicy here, so the Istio applier's objects and nothing else): a missing or extra
   * object, a label, or a spec that is not the desired one; null when they are exactly it.
   */
  String appliedDiff(FederatedDestination fd) {
    if (fd == null) {
      return "no config to compare with";
    }
    Map<String, GenericKubernetesResource> have;
    try {
      have = owned();
    } catch (RuntimeException e) {
      return "the API server did not list: " + e;
    }
    ObjectMapper json = new ObjectMapper();
    List<String> diff = new ArrayList<>();
    for (GenericKubernetesResource want : new IstioApplier(NAMESPACE).desired(fd)) {
      String key = want.getKind() + "/" + want.getMetadata().getName();
      GenericKubernetesResource live = have.remove(key);
      if (live == null) {
        diff.add(key + " missing");
      } else if (!live.getMetadata().getLabels().entrySet()
          .containsAll(want.getMetadata().getLabels().entrySet())) {
        diff.add(key + " labels " + live.getMetadata().getLabels());
      } else if (!tree(json, live.getAdditionalProperties().get("spec"))
          .equals(tree(json, want.getAdditionalProperties().get("spec")))) {
        diff.add(key + " spec " + BadResources.abbreviate(String.valueOf(
            live.getAdditionalProperties().get("spec"))));
      }
    }
    have.keySet().forEach(k -> diff.add(k + " not desired"));
    return diff.isEmpty() ? null : String.join("; ", diff);
  }

  private static JsonNode tree(ObjectMapper json, Object value) {
    try {
      return json.readTree(Serialization.asJson(value));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    agentClients.forEach(KubernetesClient::close);
    client.close();
    server.destroy();
  }
}
