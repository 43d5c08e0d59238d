package io.meshfed.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshfed.agent.apply.Backoff;
import io.meshfed.agent.apply.IstioApplier;
import io.meshfed.agent.apply.Reconciler;
import io.meshfed.avro.ClusterObjectRef;
import io.meshfed.avro.DestinationPort;
import io.meshfed.avro.DestinationTier;
import io.meshfed.avro.EndpointHealth;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.OutlierDetection;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.WeightedEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The agent's apply path against the fabric8 mock API server (in-process, CRUD mode — no
 * kube-apiserver can run here, so absolute figures are those of the mock server's HTTP stack):
 * per-object apply latency when weights change, and the time to apply and to resync 10,000
 * objects (5,000 destinations × ServiceEntry + DestinationRule).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.meshfed.bench.AgentApplyBenchmark [destinations]</pre>
 *
 * Writes {@code bench/results/agent-apply.json}.
 */
public final class AgentApplyBenchmark {

  private AgentApplyBenchmark() {}

  public static void main(String[] args) throws Exception {
    int destinations = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
    Map<String, Object> figures = measure(destinations, 1_000);
    String json = new com.fasterxml.jackson.databind.ObjectMapper()
        .writerWithDefaultPrettyPrinter().writeValueAsString(figures);
    Path out = Path.of("bench", "results", "agent-apply.json");
    Files.createDirectories(out.getParent());
    Files.writeString(out, json + "\n");
    System.out.println(json);
  }

  /**
   * Apply latency per object over {@code samples} weight changes of one destination, then the
   * time to apply {@code destinations} destinations (two objects each) from scratch and to
   * resync them after a restart.
   */
  public static Map<String, Object> measure(int destinations, int samples) throws Exception {
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(),
        new HashMap<>(), new KubernetesCrudDispatcher(), false);
    server.init();
    try (KubernetesClient client = server.createClient(b -> b.editOrNewConfig()
        .withRequestRetryBackoffLimit(0).endConfig())) {
      IstioApplier applier = new IstioApplier("meshfed");
      Reconciler reconciler = new Reconciler(client, "meshfed", applier.kinds(),
          Backoff.ISTIO_AGENT);

      // Warm-up, then per-object latency of weight changes on one destination.
      for (int i = 0; i < 200; i++) {
        FederatedDestination fd = destination(0, i % 2 == 0 ? 60 : 40);
        reconciler.reconcile(fd.getDestination(), applier.desired(fd));
      }
      double[] perObject = new double[samples];
      for (int i = 0; i < samples; i++) {
        FederatedDestination next = destination(0, i % 2 == 0 ? 70 : 30);
        long t = System.nanoTime();
        var result = reconciler.reconcile(next.getDestination(), applier.desired(next));
        perObject[i] = (System.nanoTime() - t) / 1e6 / Math.max(1, result.updated());
      }
      Arrays.sort(perObject);

      // What an agent does after reading its config topic from the start: one pass over all.
      var all = new java.util.LinkedHashMap<ResourceRef,
          List<io.fabric8.kubernetes.api.model.GenericKubernetesResource>>();
      for (int d = 1; d <= destinations; d++) {
        FederatedDestination each = destination(d, 50);
        all.put(each.getDestination(), applier.desired(each));
      }
      long t0 = System.nanoTime();
      int failures = reconciler.reconcileAll(all).size();
      double applySeconds = (System.nanoTime() - t0) / 1e9;
      int before = server.getRequestCount();
      long t1 = System.nanoTime();
      failures += reconciler.reconcileAll(all).size();
      double resyncSeconds = (System.nanoTime() - t1) / 1e9;
      int writes = server.getRequestCount() - before - applier.kinds().size();

      Map<String, Object> out = new java.util.LinkedHashMap<>();
      out.put("machine", Runtime.getRuntime().availableProcessors() + " cores, "
          + System.getProperty("java.vm.version"));
      out.put("apiServer", "fabric8 kubernetes-server-mock 7.8.0 (CRUD, in-process)");
      out.put("applyLatencyPerObjectMs", Map.of("p50", round(perObject[samples / 2]),
          "p99", round(perObject[Math.max(0, (int) (samples * 0.99) - 1)]),
          "samples", samples));
      out.put("objects", destinations * 2);
      out.put("initialApplySeconds", round(applySeconds));
      out.put("resyncSeconds", round(resyncSeconds));
      out.put("resyncRequestsBeyondOneListPerKind", writes);
      out.put("failures", failures);
      out.put("time", Instant.now().toString());
      return out;
    } finally {
      server.destroy();
    }
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static FederatedDestination destination(int n, int firstWeight) {
    ResourceRef ref = new ResourceRef(ResourceKind.VirtualDestination, "bench", "dest-" + n);
    List<WeightedEndpoint> endpoints = List.of(
        endpoint("10.0." + (n / 250) + "." + (n % 250), firstWeight),
        endpoint("10.1." + (n / 250) + "." + (n % 250), 100 - firstWeight));
    return FederatedDestination.newBuilder().setDestination(ref).setClientCluster("c0")
        .setHosts(List.of("dest-" + n + ".bench.internal"))
        .setPorts(List.of(new DestinationPort(8080, "HTTP", 8080)))
        .setTiers(List.of(new DestinationTier(0, 100,
            List.of(new ClusterObjectRef("svc", "bench", "c0")), endpoints)))
        .setActiveTier(0).setOutlierDetection(new OutlierDetection(5, null, null, null))
        .setEpoch(1).setPolicyGeneration(1).setTime(Instant.now()).build();
  }

  private static WeightedEndpoint endpoint(String address, int weight) {
    return WeightedEndpoint.newBuilder().setAddress(address).setPort(8080).setWeight(weight)
        .setCluster("c0").setNamespace("bench").setService("svc").setZone("z")
        .setRegion("r").setHealth(EndpointHealth.HEALTHY).build();
  }
}
