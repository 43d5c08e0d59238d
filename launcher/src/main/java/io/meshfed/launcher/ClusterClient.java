package io.meshfed.launcher;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/** A client of one simulated cluster of the stack in {@code --dir}, checked to answer. */
final class ClusterClient {

  /** Why there is no client, with the exit code it maps to (1: no such cluster, 3: down). */
  static final class Unavailable extends Exception {
    final int exit;

    Unavailable(int exit, String message) {
      super(message);
      this.exit = exit;
    }
  }

  /** The API server's address and the kubeconfig it came from, for error messages. */
  final StackOptions.Endpoint apiServer;
  final KubernetesClient client;

  private ClusterClient(StackOptions.Endpoint apiServer, KubernetesClient client) {
    this.apiServer = apiServer;
    this.client = client;
  }

  static ClusterClient open(StackOptions stack, String cluster) throws Unavailable,
      IOException {
    Path kubeconfig;
    try {
      kubeconfig = stack.kubeconfig(cluster);
    } catch (StackOptions.StackUnreachable e) {
      throw new Unavailable(1, e.getMessage());
    }
    Config config = Config.fromKubeconfig(Files.readString(kubeconfig));
    var apiServer = new StackOptions.Endpoint(config.getMasterUrl(), "from " + kubeconfig);
    try {
      URI url = URI.create(config.getMasterUrl());
      // The fabric8 client retries a refused connection for seconds and then names only the
      // request: one connection attempt first says at once which server is down.
      Reachability.check("cluster " + cluster + "'s API server", apiServer,
          url.getHost() + ":" + url.getPort());
    } catch (StackOptions.StackUnreachable e) {
      throw new Unavailable(3, e.getMessage());
    }
    return new ClusterClient(apiServer, new KubernetesClientBuilder().withConfig(config)
        .build());
  }

  /** A failed request in a line: code 0 is no HTTP answer at all, else the server's message. */
  String describe(io.fabric8.kubernetes.client.KubernetesClientException e) {
    return e.getCode() == 0 ? "cannot reach " + apiServer + ": " + Causes.of(e)
        : Main.firstLine(e.getMessage());
  }
}
