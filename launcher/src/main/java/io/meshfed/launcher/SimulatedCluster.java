package io.meshfed.launcher;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditionsBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One simulated Kubernetes cluster: the fabric8 mock API server in CRUD mode (no
 * kube-apiserver runs here) with meshfed's CRDs installed, and helpers to create the objects a
 * real cluster would have.
 */
public final class SimulatedCluster implements AutoCloseable {

  private final KubernetesMockServer server;
  private final KubernetesClient client;

  public SimulatedCluster() throws IOException {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    server.init();
    client = server.createClient();
    try (var in = SimulatedCluster.class.getResourceAsStream("/deploy/crds.yaml")) {
      for (Object crd : (List<?>) Serialization.unmarshal(in)) {
        client.apiextensions().v1().customResourceDefinitions()
            .resource((CustomResourceDefinition) crd).create();
      }
    }
  }

  public KubernetesClient client() {
    return client;
  }

  public KubernetesMockServer server() {
    return server;
  }

  /** A kubeconfig pointing at this simulated API server. */
  public String kubeconfig(String name) {
    String url = client.getMasterUrl().toString();
    return "apiVersion: v1\nkind: Config\nclusters:\n- name: " + name + "\n  cluster:\n"
        + "    server: " + url + "\n    insecure-skip-tls-verify: true\ncontexts:\n- name: "
        + name + "\n  context:\n    cluster: " + name + "\n    user: " + name + "\n"
        + "current-context: " + name + "\nusers:\n- name: " + name + "\n  user:\n"
        + "    token: simulated\n";
  }

  public void service(String namespace, String name, Map<String, String> labels, int port) {
    client.services().inNamespace(namespace).resource(new ServiceBuilder()
        .withMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace)
            .withLabels(labels).withCreationTimestamp("2026-11-22T09:00:00Z").build())
        .withNewSpec().addNewPort().withName("http").withPort(port).withProtocol("TCP")
        .endPort().endSpec().build()).create();
  }

  /** Creates or replaces the service's single EndpointSlice. */
  public void endpoints(String namespace, String service, int port, boolean ready,
      String... addresses) {
    var slice = new EndpointSliceBuilder()
        .withMetadata(new ObjectMetaBuilder().withName(service + "-slice").withNamespace(namespace)
            .withLabels(Map.of("kubernetes.io/service-name", service)).build())
        .withAddressType("IPv4")
        .withEndpoints(java.util.Arrays.stream(addresses).map(a -> new EndpointBuilder()
            .withAddresses(a).withConditions(new EndpointConditionsBuilder().withReady(ready)
                .withServing(ready).withTerminating(false).build()).build()).toList())
        .withPorts(new EndpointPortBuilder().withName("http").withPort(port).build())
        .build();
    var ops = client.discovery().v1().endpointSlices().inNamespace(namespace);
    var existing = ops.withName(service + "-slice").get();
    if (existing == null) {
      ops.resource(slice).create();
    } else {
      slice.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
      ops.resource(slice).update();
    }
  }

  /** Addresses of ready endpoints in the EndpointSlices of {@code namespace}, sorted. */
  public List<String> readyAddresses(String namespace) {
    return client.discovery().v1().endpointSlices().inNamespace(namespace).list().getItems()
        .stream().filter(s -> s.getEndpoints() != null).flatMap(s -> s.getEndpoints().stream())
        .filter(e -> e.getConditions() != null && Boolean.TRUE.equals(e.getConditions().getReady()))
        .map(e -> e.getAddresses().get(0)).sorted().toList();
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
