package io.meshfed.launcher;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code meshfed scenario}: the playground's failover in three commands against a running
 * {@code meshfed up} — create a workload with endpoints in some clusters and a FailoverService
 * over it, make endpoints of one cluster unready, restore them.
 */
@Command(name = "scenario", description = "Playground workloads in a running 'meshfed up':"
    + " create one, make its endpoints unready, restore them.",
    subcommands = {ScenarioCommand.Create.class, ScenarioCommand.Unready.class,
        ScenarioCommand.Restore.class})
final class ScenarioCommand implements Runnable {

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /** What every scenario command names: the workload and the stack it lives in. */
  static final class WorkloadOptions {
    @Parameters(index = "0", paramLabel = "NAME", description = "the workload (a Service)")
    String name;

    @Option(names = {"-n", "--namespace"}, defaultValue = "bookinfo",
        description = "the workload's namespace (default ${DEFAULT-VALUE})")
    String namespace;

    @Mixin
    StackOptions stack = new StackOptions();
  }

  /** A scenario step that could not be done: the message and the exit code. */
  static final class Refused extends Exception {
    final int exit;

    Refused(int exit, String message) {
      super(message);
      this.exit = exit;
    }
  }

  /** Runs {@code step}, turning a refusal into one line on stderr and its exit code. */
  static int report(String verb, Step step) throws Exception {
    try {
      step.run();
      return 0;
    } catch (Refused e) {
      System.err.println("meshfed scenario " + verb + ": " + e.getMessage());
      return e.exit;
    }
  }

  interface Step {
    void run() throws Exception;
  }

  /** Applies {@code yaml} to {@code cluster} as {@code meshfed apply} would. */
  static void apply(StackOptions stack, String cluster, String yaml) throws Exception {
    ClusterClient target = open(stack, cluster);
    try (var client = target.client) {
      EmbeddedStack.apply(client, ResourceFile.parse("scenario",
          yaml.getBytes(StandardCharsets.UTF_8)), applied -> { });
    } catch (KubernetesClientException e) {
      throw new Refused(e.getCode() == 0 ? 3 : 1, target.describe(e));
    }
  }

  private static ClusterClient open(StackOptions stack, String cluster) throws Exception {
    try {
      return ClusterClient.open(stack, cluster);
    } catch (ClusterClient.Unavailable e) {
      throw new Refused(e.exit, e.getMessage());
    }
  }

  /** The stack's clusters in the order {@code meshfed up} was given them (policy source first). */
  static List<String> clusters(StackOptions stack) throws Refused {
    try {
      return Arrays.asList(stack.endpoint("clusters").address().split(","));
    } catch (StackOptions.StackUnreachable e) {
      throw new Refused(3, e.getMessage());
    }
  }

  @Command(name = "create", description = "Create the workload NAME (Namespace, Service, an"
      + " EndpointSlice with ready endpoints) in each cluster of --endpoints, and the"
      + " FailoverService NAME-failover over them in the policy-source cluster, in that order"
      + " of preference. Run again, it replaces them.")
  static final class Create implements Callable<Integer> {
    @Mixin
    WorkloadOptions workload = new WorkloadOptions();

    @Option(names = "--endpoints", required = true, split = ",",
        paramLabel = "CLUSTER=COUNT", description = "endpoints per cluster, most preferred"
            + " cluster first, e.g. mgmt-cluster=2,remote-cluster=1")
    LinkedHashMap<String, Integer> endpoints;

    @Option(names = "--port", defaultValue = "9080", description = "service port (default"
        + " ${DEFAULT-VALUE})")
    int port;

    @Override
    public Integer call() throws Exception {
      return report("create", () -> {
        List<String> stackClusters = clusters(workload.stack);
        for (Map.Entry<String, Integer> e : endpoints.entrySet()) {
          if (!stackClusters.contains(e.getKey())) {
            throw new Refused(2, "no cluster '" + e.getKey() + "' in the stack in "
                + workload.stack.dir + "; its clusters: " + String.join(", ", stackClusters));
          }
          if (e.getValue() < 1 || e.getValue() > Workload.MAX_ENDPOINTS) {
            throw new Refused(2, "--endpoints " + e.getKey() + "=" + e.getValue() + ": a"
                + " cluster takes 1 to " + Workload.MAX_ENDPOINTS + " endpoints");
          }
        }
        if (port < 1 || port > 65535) {
          throw new Refused(2, "--port " + port + " is not a port (1-65535)");
        }
        Workload w = new Workload(workload.name, workload.namespace, port);
        for (Map.Entry<String, Integer> e : endpoints.entrySet()) {
          List<String> addresses = Workload.addresses(stackClusters.indexOf(e.getKey()),
              e.getValue());
          apply(workload.stack, e.getKey(), w.yaml(addresses));
          System.out.println(w.name() + " in " + e.getKey() + ": Service " + w.namespace() + "/"
              + w.name() + ", " + addresses.size() + " endpoint" + (addresses.size() == 1 ? ""
              : "s") + " ready (" + String.join(", ", addresses) + ")");
        }
        List<String> order = new ArrayList<>(endpoints.keySet());
        String policySource = stackClusters.get(0);
        apply(workload.stack, policySource, w.failoverService(order));
        System.out.println("FailoverService " + Workload.POLICY_NAMESPACE + "/"
            + w.failoverServiceName() + " in " + policySource + ": " + w.hostname() + ":"
            + port + " served by " + String.join(", then ", order));
      });
    }
  }

  /** The workload's EndpointSlice in one cluster, and what to do with its endpoints. */
  abstract static class SliceCommand implements Callable<Integer> {
    @Mixin
    WorkloadOptions workload = new WorkloadOptions();

    @Option(names = "--cluster", required = true, description = "the cluster whose endpoints"
        + " change")
    String cluster;

    abstract String verb();

    /** How many of {@code total} endpoints are to be unready, or a refusal. */
    abstract int unready(int total) throws Refused;

    @Override
    public Integer call() throws Exception {
      return report(verb(), () -> {
        EndpointSlice slice;
        ClusterClient target = open(workload.stack, cluster);
        Workload w = new Workload(workload.name, workload.namespace, 0);
        try (var client = target.client) {
          slice = client.discovery().v1().endpointSlices().inNamespace(w.namespace())
              .withName(w.sliceName()).get();
        } catch (KubernetesClientException e) {
          throw new Refused(e.getCode() == 0 ? 3 : 1, target.describe(e));
        }
        if (slice == null || slice.getEndpoints() == null || slice.getPorts() == null
            || slice.getPorts().isEmpty()) {
          throw new Refused(1, "no workload " + w.namespace() + "/" + w.name() + " in "
              + cluster + " (no EndpointSlice " + w.sliceName() + "); create it with"
              + " 'meshfed scenario create " + w.name() + " --endpoints " + cluster + "=2'");
        }
        List<String> addresses = slice.getEndpoints().stream()
            .map(e -> e.getAddresses().get(0)).toList();
        int unready = unready(addresses.size());
        Workload withPort = new Workload(w.name(), w.namespace(),
            slice.getPorts().get(0).getPort());
        apply(workload.stack, cluster, withPort.slice(addresses, unready));
        System.out.println(w.name() + " in " + cluster + ": " + (unready == 0
            ? addresses.size() + " of " + addresses.size() + " endpoints ready"
            : unready + " of " + addresses.size() + " endpoints unready ("
                + String.join(", ", addresses.subList(0, unready)) + ")"));
      });
    }
  }

  @Command(name = "unready", description = "Make endpoints of the workload in one cluster"
      + " unready (the first --count of them; the others ready), as a failing rollout would.")
  static final class Unready extends SliceCommand {
    @Option(names = "--count", description = "how many (default: all)")
    Integer count;

    @Override
    String verb() {
      return "unready";
    }

    @Override
    int unready(int total) throws Refused {
      if (count != null && (count < 1 || count > total)) {
        throw new Refused(2, "--count " + count + ": the workload has " + total + " endpoints"
            + " in " + cluster);
      }
      return count == null ? total : count;
    }
  }

  @Command(name = "restore", description = "Make every endpoint of the workload in one cluster"
      + " ready again.")
  static final class Restore extends SliceCommand {
    @Override
    String verb() {
      return "restore";
    }

    @Override
    int unready(int total) {
      return 0;
    }
  }
}
