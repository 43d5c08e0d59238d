package io.meshfed.launcher;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditionsBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.agent.publish.ClusterPublisher;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.KubernetesListBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One simulated Kubernetes cluster: the fabric8 mock API server in CRUD mode (no
 * kube-apiserver runs here) with meshfed's CRDs installed, and helpers to create the objects a
 * real cluster would have.
 */
public final class SimulatedCluster implements AutoCloseable {

  /**
   * The core kinds a workload is made of here, Namespaces first so a snapshot restores them
   * before what lives in them. No controller runs in a simulated cluster: a Pod is only an
   * object, and EndpointSlices are written by hand (or by {@link #endpoints}).
   */
  static final List<ResourceDefinitionContext> CORE_KINDS = List.of(
      kind("", "v1", "Namespace", "namespaces", false),
      kind("", "v1", "Service", "services", true),
      kind("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true),
      kind("", "v1", "Pod", "pods", true));

  /** Members outside Kubernetes (ExternalService, ExternalWorkload), which agents publish. */
  static final List<ResourceDefinitionContext> MEMBER_KINDS = java.util.Arrays.stream(
      io.meshfed.agent.publish.ExternalMembers.Kind.values())
      .map(io.meshfed.agent.publish.ExternalMembers.Kind::context).toList();

  /**
   * The kinds a snapshot keeps: what users and the demo create (workloads and meshfed
   * resources) and what the agents apply. CRDs are not in it; they are installed at start.
   */
  static final List<ResourceDefinitionContext> SNAPSHOT_KINDS = java.util.stream.Stream.of(
      CORE_KINDS.stream(),
      ClusterPublisher.PLURALS.keySet().stream().sorted().map(ClusterPublisher::crd),
      MEMBER_KINDS.stream(),
      java.util.stream.Stream.of(kind("networking.istio.io", "v1", "ServiceEntry",
          "serviceentries", true), kind("networking.istio.io", "v1", "DestinationRule",
          "destinationrules", true),
          // The agent's restart epoch (RestartEpochStore): a restarted stack's agents count on.
          kind("", "v1", "ConfigMap", "configmaps", true))).flatMap(s -> s).toList();

  /** What discovery lists, so kubectl finds every kind a snapshot keeps, and the CRDs. */
  static final List<ResourceDefinitionContext> DISCOVERABLE_KINDS = java.util.stream.Stream
      .concat(SNAPSHOT_KINDS.stream(), java.util.stream.Stream.of(kind("apiextensions.k8s.io",
          "v1", "CustomResourceDefinition", "customresourcedefinitions", false))).toList();

  private static ResourceDefinitionContext kind(String group, String version, String kind,
      String plural, boolean namespaced) {
    return new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version)
        .withKind(kind).withPlural(plural).withNamespaced(namespaced).build();
  }

  /** The mock server logs every request at INFO through java.util.logging; keep it to warnings. */
  private static final java.util.logging.Logger MOCK_SERVER_LOG = quiet(
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver.MockWebServer"));

  private static java.util.logging.Logger quiet(java.util.logging.Logger logger) {
    logger.setLevel(java.util.logging.Level.WARNING);
    return logger;
  }

  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final Path snapshot;

  /** A cluster that starts empty and forgets everything on close. */
  public SimulatedCluster() throws IOException {
    this(null);
  }

  /**
   * A cluster whose objects outlive it: with {@code snapshot} set, the objects saved there by
   * the previous {@link #close()} are created again at start (the mock API server keeps its
   * objects in memory only), and the API server listens on its previous port when it is free,
   * so kubeconfigs written before stay good.
   */
  public SimulatedCluster(Path snapshot) throws IOException {
    this.snapshot = snapshot;
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new Discovery.Dispatcher(new Discovery(DISCOVERABLE_KINDS)), false);
    int previousPort = snapshot == null ? 0 : previousPort(snapshot);
    // On 127.0.0.1 either way: the mock server's init() listens on every interface.
    server.init(InetAddress.getLoopbackAddress(),
        previousPort > 0 && portIsFree(previousPort) ? previousPort : 0);
    client = server.createClient();
    try (var in = SimulatedCluster.class.getResourceAsStream("/deploy/crds.yaml")) {
      for (Object crd : (List<?>) Serialization.unmarshal(in)) {
        client.apiextensions().v1().customResourceDefinitions()
            .resource((CustomResourceDefinition) crd).create();
      }
    }
    if (snapshot != null && Files.exists(snapshot)) {
      savedAt = Files.getLastModifiedTime(snapshot).toInstant();
      restore(snapshot);
    }
    if (snapshot != null) {
      // Saved as it changes, not only on close: a stack killed with kill -9 comes back with
      // the objects it had (at most one interval old), so its agents publish no change that
      // did not happen and the topology makes no decision nobody asked for.
      saver = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "snapshot-" + snapshot.getFileName());
        t.setDaemon(true);
        return t;
      });
      saver.scheduleWithFixedDelay(this::saveIfChanged, SAVE_EVERY.toMillis(),
          SAVE_EVERY.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } else {
      saver = null;
    }
  }

  /** How often a cluster with a snapshot file looks for changes to save. */
  static final java.time.Duration SAVE_EVERY = java.time.Duration.ofMillis(500);

  private final java.util.concurrent.ScheduledExecutorService saver;
  /** What the snapshot file holds now; only the saver thread and close() touch it. */
  private String saved;

  private synchronized void saveIfChanged() {
    try {
      save(snapshot);
    } catch (IOException | RuntimeException e) {
      // The next round tries again; close() reports a failure that lasts.
    }
  }

  /** How many objects a start restored from the snapshot (0 for a new cluster). */
  public int restored() {
    return restored;
  }

  /** When the snapshot a start restored was saved, or null for a new cluster. */
  public java.time.Instant savedAt() {
    return savedAt;
  }

  private java.time.Instant savedAt;

  private int restored;

  private void restore(Path file) throws IOException {
    try (var in = Files.newInputStream(file)) {
      KubernetesList saved = Serialization.unmarshal(in, KubernetesList.class);
      for (HasMetadata object : saved.getItems()) {
        object.getMetadata().setResourceVersion(null);
        ResourceDefinitionContext kind = SNAPSHOT_KINDS.stream()
            .filter(k -> k.getKind().equals(object.getKind())).findFirst().orElseThrow();
        var resource = Serialization.unmarshal(Serialization.asJson(object),
            GenericKubernetesResource.class);
        var ops = client.genericKubernetesResources(kind);
        (kind.isNamespaceScoped() ? ops.inNamespace(object.getMetadata().getNamespace()) : ops)
            .resource(resource).create();
        restored++;
      }
    }
  }

  /** Every object of {@link #SNAPSHOT_KINDS}, in the order of the list (Services first). */
  List<HasMetadata> objects() {
    List<HasMetadata> all = new ArrayList<>();
    for (ResourceDefinitionContext kind : SNAPSHOT_KINDS) {
      all.addAll(client.genericKubernetesResources(kind).inAnyNamespace().list().getItems());
    }
    return all;
  }

  /** Writes the objects to {@code file}, atomically, unless it holds them already. */
  private synchronized void save(Path file) throws IOException {
    String content = "# meshfed simulated cluster, port " + server.getPort() + "\n"
        + Serialization.asYaml(new KubernetesListBuilder().withItems(objects()).build());
    if (content.equals(saved)) {
      return;
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    saved = content;
  }

  private static int previousPort(Path file) {
    try {
      if (!Files.exists(file)) {
        return 0;
      }
      String first = Files.readAllLines(file).stream().findFirst().orElse("");
      int at = first.lastIndexOf("port ");
      return at < 0 ? 0 : Integer.parseInt(first.substring(at + 5).trim());
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  private static boolean portIsFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return true;
    } catch (IOException e) {
      return false;
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

  /** Saves the objects when the cluster has a snapshot file, then stops the API server. */
  @Override
  public void close() {
    if (saver != null) {
      saver.shutdownNow();
    }
    try {
      if (snapshot != null) {
        save(snapshot);
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("meshfed: could not save simulated cluster to " + snapshot + ": " + e);
    } finally {
      client.close();
      server.destroy();
    }
  }
}
