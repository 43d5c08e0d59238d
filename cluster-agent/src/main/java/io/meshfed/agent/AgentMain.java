package io.meshfed.agent;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.meshfed.agent.config.AgentConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code agent --cluster NAME [--kubeconfig FILE] --config FILE [--config FILE ...]}
 * (later files override earlier ones): in-cluster config when no
 * kubeconfig is given.
 */
public final class AgentMain {

  private AgentMain() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    String cluster = null;
    Path kubeconfig = null;
    List<Path> configFiles = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "agent" -> { }
        case "--cluster" -> cluster = args[++i];
        case "--kubeconfig" -> kubeconfig = Path.of(args[++i]);
        case "--config" -> configFiles.add(Path.of(args[++i]));
        default -> usage("unknown argument '" + args[i] + "'");
      }
    }
    if (cluster == null || configFiles.isEmpty()) {
      usage("--cluster and --config are required");
    }
    run(cluster, kubeconfig, configFiles);
  }

  /**
   * Runs the agent of {@code cluster} until the JVM stops: {@code kubeconfig} null means the
   * in-cluster config; later {@code configFiles} override earlier ones.
   */
  public static void run(String cluster, Path kubeconfig, List<Path> configFiles)
      throws IOException, InterruptedException {
    AgentConfig config = AgentConfig.load(cluster, configFiles);
    Config kube = kubeconfig == null ? Config.autoConfigure(null)
        : Config.fromKubeconfig(Files.readString(kubeconfig));
    // The agent retries with its own backoff (200 ms doubling, 10 tries), so writes are not
    // retried twice over by the client.
    kube.setRequestRetryBackoffLimit(0);
    KubernetesClient client = new KubernetesClientBuilder().withConfig(kube).build();
    ClusterAgent agent = new ClusterAgent(config, client).start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        agent.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      client.close();
      stopped.countDown();
    }, "agent-shutdown"));
    stopped.await();
  }

  private static void usage(String problem) {
    System.err.println("meshfed agent: " + problem);
    System.err.println("usage: meshfed agent --cluster NAME [--kubeconfig FILE] --config FILE"
        + " [--config FILE ...]");
    System.exit(2);
  }
}
